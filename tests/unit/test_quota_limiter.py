"""The quota limiter learns how VOD counts its quota (a sliding window or a token bucket) from VOD's answers.

Pure and on a fake clock: the rules themselves are the local cloud's (``QuotaCounter``), replayed in process by
``pacing_sim``, so every schedule here is exact and instant. Times are simulated seconds, never measured ones.
"""

from __future__ import annotations

import threading

import pytest
from fake_time import FakeTime
from pacing_sim import Clock, replay

from lib import ratelimit
from lib.ratelimit import Permit, QuotaLimiter
from localcloud.vod.models import QuotaCounter, QuotaRule

WINDOW = QuotaRule("window")
BUCKET = QuotaRule("bucket")  # burst = the quota: one second's worth


def make(rate: float, rule: ratelimit.Rule | None = None) -> tuple[QuotaLimiter, FakeTime]:
    t = FakeTime(1000.0)
    return QuotaLimiter(rate, rule=rule, clock=t.clock, sleep=t.sleep), t


def starts(limiter: QuotaLimiter, n: int) -> list[Permit]:
    permits = []
    for _ in range(n):
        permit = limiter.acquire()
        assert permit is not None
        permits.append(permit)
    return permits


def max_in_any_window(times: list[float], window: float) -> int:
    return max(sum(1 for u in times if s <= u < s + window) for s in times)


def fresh(rule: ratelimit.Rule | None = None, rate: float = 50) -> tuple[QuotaLimiter, Clock]:
    clock = Clock(1000.0)
    return QuotaLimiter(rate, rule=rule, clock=clock), clock


# -- pacing by one rule ----------------------------------------------------------------------------------------
def test_by_the_window_a_window_of_calls_goes_at_once_then_the_next_waits_a_window_plus_the_margin():
    limiter, _ = make(50, rule="window")
    margin = limiter.margin()
    times = [p.start for p in starts(limiter, 101)]
    assert times[:50] == [1000.0] * 50
    assert times[50:100] == [pytest.approx(1001.0 + margin)] * 50
    assert times[100] == pytest.approx(1002.0 + 2 * margin, abs=0.01)


def test_by_the_bucket_a_burst_goes_at_once_then_calls_follow_at_the_refill_rate():
    # GIVEN a bucket of 50 refilled at 50/s, kept a margin's worth of tokens from empty
    limiter, _ = make(50, rule="bucket")
    reserve = limiter.margin() * 50
    times = [p.start for p in starts(limiter, 100)]
    burst = sum(1 for u in times if u == 1000.0)
    # THEN the burst (less the margin's tokens) at once, then one call every 1/50 s
    assert burst == int(50 - reserve)
    gaps = [b - a for a, b in zip(times[burst:], times[burst + 1 :], strict=False)]
    assert gaps == [pytest.approx(0.02, abs=1e-3)] * len(gaps)


def test_uneven_callers_never_put_more_than_the_quota_in_a_window():
    limiter, t = make(50, rule="window")
    times = []
    for i in range(400):
        t.now += 0.003 * (i % 7)
        permit = limiter.acquire()
        assert permit is not None
        times.append(permit.start)
    assert max_in_any_window(times, 1.0) <= 50


def test_concurrent_callers_never_exceed_the_window():
    # GIVEN a frozen clock WHEN 8 threads reserve 25 starts each THEN every window of 1 s holds at most 50
    limiter, _ = make(50, rule="window")
    slots: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(25):
            permit = limiter.reserve()
            assert permit is not None
            with lock:
                slots.append(permit.start)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(slots) == 200
    assert max_in_any_window(sorted(slots), 1.0) <= 50


def test_fractional_rates_allow_one_call_per_interval():
    limiter, _ = make(0.5, rule="window")
    first, second = starts(limiter, 2)
    assert second.start - first.start == pytest.approx(2.0 + second.margin)


def test_a_start_after_the_deadline_is_refused_without_being_reserved():
    limiter, t = make(1, rule="window")
    assert limiter.acquire()
    assert limiter.acquire(deadline=t.now + 0.5) is None  # the next start is a second away
    permit = limiter.acquire(deadline=t.now + 1.5)
    assert permit is not None and permit.start == pytest.approx(1001.0 + permit.margin)


def test_rate_must_be_positive():
    with pytest.raises(ValueError):
        QuotaLimiter(0)


def test_set_rate_changes_the_allowance():
    limiter, _ = make(50, rule="window")
    limiter.set_rate(10)
    times = [p.start for p in starts(limiter, 11)]
    assert times[:10] == [1000.0] * 10 and times[10] > 1001.0


# -- learning the rule -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("rule", "learned"), [(WINDOW, "window"), (BUCKET, "bucket")], ids=["window", "bucket"])
def test_the_probe_finds_the_rule_with_at_most_one_throttle(rule: QuotaRule, learned: str):
    # GIVEN 16 workers with 100 ms to VOD, and VOD counting 50 calls/s by the rule
    limiter, clock = fresh()
    # WHEN they make 200 calls
    run = replay(limiter, clock, rule)
    # THEN the limiter knows the rule, at the cost of at most the probe's one throttle
    assert limiter.rule == learned
    assert run.throttles == (1 if learned == "window" else 0)


def test_under_a_bucket_the_learned_rule_beats_assuming_a_window():
    # GIVEN the same workload twice under a token bucket: paced by an assumed window, and by the learning limiter
    assumed, assumed_clock = fresh(rule="window")
    learning, learning_clock = fresh()
    by_window = replay(assumed, assumed_clock, BUCKET)
    learned = replay(learning, learning_clock, BUCKET)
    # THEN the learning limiter gets its calls accepted sooner: the bucket's refill between bursts is used
    assert learned.finished_at - 1000.0 < 0.9 * (by_window.finished_at - 1000.0)
    # and it sends more than a window would allow in some second, yet VOD never throttled it
    assert max_in_any_window(learned.accepted_at, 1.0) > 50 and learned.throttles == 0


def test_under_a_window_the_learning_limiter_keeps_pace_with_assuming_the_window():
    assumed, assumed_clock = fresh(rule="window")
    learning, learning_clock = fresh()
    by_window = replay(assumed, assumed_clock, WINDOW)
    learned = replay(learning, learning_clock, WINDOW)
    assert learned.finished_at <= by_window.finished_at + 0.01  # the probe costs no time


def probe_after(limiter: QuotaLimiter, t: FakeTime) -> tuple[list[Permit], Permit]:
    """50 calls at once, then half a second later (the bucket half full again, the window still full) the probe."""
    group = starts(limiter, 50)
    t.now += 0.5
    probe = limiter.reserve()
    assert probe is not None and probe.probe and probe.start == t.now
    return group, probe


def test_no_probe_while_a_bucket_would_refuse_it_too():
    limiter, _ = make(50)
    starts(limiter, 50)
    permit = limiter.reserve()  # at once: a bucket of 50 has no token left either
    assert permit is not None and not permit.probe


def test_a_probe_decides_only_once_all_of_its_calls_are_answered():
    # GIVEN 50 calls, and the probe going while the window still holds them
    limiter, t = make(50)
    group, probe = probe_after(limiter, t)
    # WHEN the probe is accepted while one of the 50 is still unanswered
    for permit in group[:-1]:
        limiter.accepted(permit)
    limiter.accepted(probe)
    # THEN nothing is decided until that last answer comes, accepted: then it is a bucket
    assert limiter.rule is None
    limiter.accepted(group[-1])
    assert limiter.rule == "bucket"


def test_one_throttle_among_the_probes_calls_means_a_window_whichever_call_it_hit():
    limiter, t = make(50)
    group, probe = probe_after(limiter, t)
    margin = limiter.margin()
    limiter.accepted(probe)  # the probe overtook a call on its way: that call is the one refused
    limiter.throttled(None, group[7])
    for permit in group[:7] + group[8:]:
        limiter.accepted(permit)
    assert limiter.rule == "window"
    assert limiter.current_rate() == 50 and limiter.margin() == margin  # an expected throttle changes nothing else


def test_more_than_one_throttle_among_the_probes_calls_decides_nothing():
    limiter, t = make(50)
    group, probe = probe_after(limiter, t)
    limiter.throttled(None, probe)
    limiter.throttled(None, group[0])
    for permit in group[1:]:
        limiter.accepted(permit)
    assert limiter.rule is None


def test_a_probe_whose_answers_never_all_come_is_asked_again():
    limiter, t = make(50)
    probe_after(limiter, t)  # its calls are never answered (timeouts)
    t.now += ratelimit.PROBE_TIMEOUT_S / 2
    starts(limiter, 50)
    t.now += 0.5
    assert not limiter.reserve().probe  # type: ignore[union-attr]  # still waiting for those answers
    t.now += ratelimit.PROBE_TIMEOUT_S / 2
    probe_after(limiter, t)  # asserts that this one is a probe


def test_a_fixed_rule_never_probes():
    limiter, _ = make(50, rule="window")
    assert not any(p.probe for p in starts(limiter, 200))


# -- other throttles ---------------------------------------------------------------------------------------------
def test_a_throttle_at_the_windows_edge_widens_the_margin_once_per_news():
    # GIVEN a full window, then two calls paced to its edge
    limiter, _ = make(50, rule="window")
    for permit in starts(limiter, 50):
        limiter.accepted(permit)
    edge = [limiter.reserve(), limiter.reserve()]
    assert all(p is not None and p.paced_by == "window" for p in edge)
    # WHEN both are throttled
    margin = limiter.margin()
    limiter.throttled(None, edge[0])
    limiter.throttled(None, edge[1])  # paced with the old margin, in flight together: the same news
    # THEN the margin doubled once, and the quota is still believed
    assert limiter.margin() == pytest.approx(2 * margin)
    assert limiter.current_rate() == 50


def test_the_margin_decays_back_after_a_while():
    limiter, t = make(50, rule="window")
    for permit in starts(limiter, 50):
        limiter.accepted(permit)
    limiter.throttled(None, limiter.reserve())
    widened = limiter.margin()
    t.now += ratelimit.MARGIN_HALF_LIFE_S
    assert ratelimit.MARGIN_MIN_S < limiter.margin() < widened
    t.now += 20 * ratelimit.MARGIN_HALF_LIFE_S
    assert limiter.margin() == pytest.approx(ratelimit.MARGIN_MIN_S)


def test_throttle_after_throttle_widens_the_margin_then_cuts_the_allowance_which_then_recovers():
    # GIVEN 100 calls/s believed WHEN every new call is throttled
    limiter, t = make(100, rule="window")
    margins = []
    for _ in range(5):
        permit = limiter.acquire()
        limiter.throttled(None, permit)
        margins.append(limiter.margin())
    # THEN the margin doubled while it could, then the allowance dropped and every caller paused
    assert margins[:3] == pytest.approx([0.02, 0.04, 0.08], abs=1e-3)
    assert limiter.current_rate() < 100
    before = t.now
    assert limiter.acquire() is not None and t.now - before == pytest.approx(ratelimit.THROTTLE_PAUSE_S)
    # AND the allowance grows back
    t.now += ratelimit.RECOVERY_S
    assert limiter.current_rate() == pytest.approx(100)


def test_a_quota_far_below_the_configured_one_is_found_at_once():
    # GIVEN a limiter told 50/s and VOD allowing 4/s WHEN 40 calls are made
    limiter, clock = fresh()
    run = replay(limiter, clock, WINDOW, quota=4, calls=40)
    # THEN the throttles are a few per call at most, not a storm, and every call was accepted in the end
    assert len(run.accepted_at) == 40
    assert run.throttles < 2 * 40


def test_a_bucket_smaller_than_the_quota_is_measured_from_its_first_throttles():
    limiter, clock = fresh()
    run = replay(limiter, clock, QuotaRule("bucket", burst=10))
    assert limiter.burst() < 15
    assert run.throttles <= 10  # the first burst's only


def test_retry_after_pauses_every_caller():
    limiter, t = make(100, rule="window")
    permit = limiter.acquire()
    limiter.throttled(0.5, permit)
    before = t.now
    assert limiter.acquire() is not None
    assert t.now - before == pytest.approx(0.5)


def test_a_throttle_without_a_permit_slows_down():
    limiter, _ = make(100)
    limiter.throttled()
    assert limiter.current_rate() < 100


def test_the_server_side_rules_differ_where_the_limiter_probes():
    # The local cloud's two rules, replayed: 50 calls at once, then one more half a second later
    window, bucket = QuotaCounter(WINDOW), QuotaCounter(BUCKET)
    assert all(window.try_acquire(0.0, 50) for _ in range(50))
    assert all(bucket.try_acquire(0.0, 50) for _ in range(50))
    assert not window.try_acquire(0.5, 50)
    assert bucket.try_acquire(0.5, 50)
