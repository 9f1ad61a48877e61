"""The canceller keeps quota × batch time (× headroom) batches in flight: enough for the quota, no more."""

from __future__ import annotations

import math

from lib.ratelimit import QuotaLimiter
from lib.vod import IN_FLIGHT_HEADROOM, INITIAL_IN_FLIGHT, Canceller, VodOptions


def make(rate: float, max_workers: int = 16) -> Canceller:
    limiter = QuotaLimiter(rate)
    return Canceller(None, cancel_limiter=limiter, info_limiter=limiter, options=VodOptions(max_workers))


def test_before_any_batch_is_timed_a_few_go_out():
    assert make(50).in_flight_target() == min(16, INITIAL_IN_FLIGHT)
    assert make(50, max_workers=2).in_flight_target() == 2


def test_slow_batches_at_the_default_quota_use_every_worker():
    # GIVEN 50 batches/s and 0.2 s per batch (100 ms cancel + 100 ms lookup) THEN 16 overlap
    canceller = make(50)
    canceller._observe_batch(0.2)
    assert canceller.in_flight_target() == min(16, math.ceil(50 * 0.2 * IN_FLIGHT_HEADROOM) + 1)


def test_fast_batches_need_few_threads_even_with_a_raised_quota():
    canceller = make(500)
    for _ in range(20):
        canceller._observe_batch(0.005)
    assert canceller.in_flight_target() == math.ceil(500 * 0.005 * IN_FLIGHT_HEADROOM) + 1


def test_at_least_two_stay_in_flight():
    canceller = make(1)
    canceller._observe_batch(0.001)
    assert canceller.in_flight_target() == 2
