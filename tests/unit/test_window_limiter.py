"""The window limiter applies VOD's own rule on the client: at most N call starts in any window (+ margin)."""

from __future__ import annotations

import threading

import pytest

from lib import ratelimit
from lib.ratelimit import WindowLimiter


class FakeTime:
    """A manual clock: sleep() advances it, so the schedule is checked exactly and instantly."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def make(rate: float, margin_s: float = 0.02) -> tuple[WindowLimiter, FakeTime]:
    t = FakeTime()
    return WindowLimiter(rate, margin_s=margin_s, clock=t.clock, sleep=t.sleep), t


def starts(limiter: WindowLimiter, t: FakeTime, n: int) -> list[float]:
    out = []
    for _ in range(n):
        assert limiter.acquire()
        out.append(t.now)
    return out


def max_in_any_window(times: list[float], window: float) -> int:
    return max(sum(1 for u in times if s <= u < s + window) for s in times)


def test_a_window_of_calls_goes_out_at_once_then_the_next_waits_a_window_plus_margin():
    # GIVEN 50 calls/s WHEN 101 calls start THEN 50 at once, 50 a window + margin later, then one more window
    limiter, t = make(50)
    times = starts(limiter, t, 101)
    assert times[:50] == [1000.0] * 50
    assert times[50:100] == [pytest.approx(1001.02)] * 50
    assert times[100] == pytest.approx(1002.04)


def test_no_window_ever_holds_more_than_the_quota():
    # GIVEN calls arriving unevenly WHEN they are paced THEN any 1 s window holds at most 50 starts
    limiter, t = make(50)
    times = []
    for i in range(400):
        t.now += 0.003 * (i % 7)
        assert limiter.acquire()
        times.append(t.now)
    assert max_in_any_window(times, 1.0) <= 50
    assert (times[-1] - times[0]) < 400 / 50 + 0.2  # and the quota is used: ~8 s for 400 calls


def test_fractional_rates_allow_one_call_per_interval():
    limiter, t = make(0.5, margin_s=0.0)
    assert starts(limiter, t, 3) == [1000.0, pytest.approx(1002.0), pytest.approx(1004.0)]


def test_acquire_refuses_a_start_after_the_deadline_without_reserving_it():
    limiter, t = make(1, margin_s=0.0)
    assert limiter.acquire()
    assert limiter.acquire(deadline=t.now + 0.5) is False  # next start is 1 s away
    assert t.slept == []
    assert limiter.acquire(deadline=t.now + 1.0)  # the refused call did not take the start


def test_a_throttle_pauses_everyone_and_shrinks_the_window_then_recovers():
    limiter, t = make(100)
    limiter.throttled(pause_s=0.5)
    assert limiter.current_rate() == pytest.approx(100 * ratelimit.SLOWDOWN_FACTOR)
    before = t.now
    assert limiter.acquire()
    assert t.now - before == pytest.approx(0.5)
    t.now += ratelimit.RECOVERY_S
    assert limiter.current_rate() == pytest.approx(100)


def test_a_burst_of_throttle_answers_slows_down_only_once():
    limiter, t = make(100)
    limiter.throttled()
    t.now += ratelimit.SLOWDOWN_COOLDOWN_S / 2
    rate_mid = limiter.current_rate()
    limiter.throttled()  # same burst: must not restart the slowdown
    assert limiter.current_rate() == pytest.approx(rate_mid)


def test_concurrent_callers_never_exceed_the_window():
    # GIVEN a frozen clock WHEN 8 threads reserve 25 starts each THEN every window of 1 s + margin holds ≤ 50
    limiter, _ = make(50)
    slots: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(25):
            slot = limiter.reserve()
            with lock:
                slots.append(slot)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    slots.sort()
    assert len(slots) == 200
    assert max_in_any_window(slots, 1.02) <= 50
    assert slots[-1] == pytest.approx(1000 + 3 * 1.02)


def test_set_rate_changes_the_allowance():
    limiter, t = make(50)
    limiter.set_rate(10)
    assert limiter.limit == 10
    assert starts(limiter, t, 11)[-1] == pytest.approx(1001.02)


def test_rate_must_be_positive():
    with pytest.raises(ValueError):
        WindowLimiter(0)
