"""The pacer spaces calls evenly (burst 1), refuses slots past a deadline, and slows down after throttling."""

from __future__ import annotations

import itertools
import threading

import pytest

from lib import ratelimit
from lib.ratelimit import RateLimiter, get_limiter, reset_limiters


class FakeTime:
    """A manual clock: sleep() advances it, so pacing is checked exactly and instantly."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def make(rate: float) -> tuple[RateLimiter, FakeTime]:
    t = FakeTime()
    return RateLimiter(rate, clock=t.clock, sleep=t.sleep), t


def test_calls_are_spaced_one_interval_apart_with_no_burst():
    limiter, t = make(50)
    starts = []
    for _ in range(5):
        assert limiter.acquire()
        starts.append(t.now)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert gaps == pytest.approx([0.02] * 4)


def test_idle_time_is_not_saved_up_as_a_burst():
    # GIVEN a limiter idle for a long time WHEN two calls come THEN the second still waits one interval
    limiter, t = make(10)
    assert limiter.acquire()
    t.now += 60
    first = t.now
    assert limiter.acquire()
    assert limiter.acquire()
    assert t.now - first == pytest.approx(0.1)


def test_acquire_refuses_a_slot_after_the_deadline_without_reserving_it():
    limiter, t = make(1)
    assert limiter.acquire()
    assert limiter.acquire(deadline=t.now + 0.5) is False  # next slot is 1 s away
    assert t.slept == []
    assert limiter.acquire(deadline=t.now + 1.0)  # the refused call did not take the slot


def test_throttle_pauses_everyone_and_slows_the_rate_then_recovers():
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


def test_concurrent_callers_get_distinct_slots_one_interval_apart():
    # GIVEN a frozen clock WHEN 8 threads reserve 50 slots each THEN the slots form one evenly spaced sequence
    limiter, _ = make(200)
    slots: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(50):
            slot = limiter.reserve()
            with lock:
                slots.append(slot)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    slots.sort()
    assert len(set(slots)) == 400
    assert [b - a for a, b in itertools.pairwise(slots)] == pytest.approx([1 / 200] * 399)


def test_registry_shares_one_limiter_per_api_and_updates_its_rate():
    reset_limiters()
    try:
        a = get_limiter("CancelUrlUploadJobs")
        assert isinstance(a, ratelimit.WindowLimiter) and a.rate == 50  # VOD's own rule: 50 in any window
        assert get_limiter("CancelUrlUploadJobs") is a
        assert get_limiter("GetURLUploadInfos").rate == 100
        assert get_limiter("CancelUrlUploadJobs", 20, headroom=1.0).rate == 20
        assert get_limiter("CancelUrlUploadJobs", 20, headroom=1.0) is a
    finally:
        reset_limiters()


def test_rate_must_be_positive():
    with pytest.raises(ValueError):
        RateLimiter(0)
