"""The instance-wide registry shares one limiter per API, updates its rate in place, and can build another kind."""

from __future__ import annotations

from lib import ratelimit
from lib.ratelimit import get_limiter, reset_limiters, set_limiter_factory


def test_registry_shares_one_limiter_per_api_and_updates_its_rate():
    reset_limiters()
    try:
        a = get_limiter("CancelUrlUploadJobs", 50)
        assert isinstance(a, ratelimit.QuotaLimiter) and a.rate == 50 and a.rule is None  # the rule is learned
        assert get_limiter("CancelUrlUploadJobs", 50) is a
        assert get_limiter("GetURLUploadInfos", 100).rate == 100
        assert get_limiter("CancelUrlUploadJobs", 20).rate == 20
        assert get_limiter("CancelUrlUploadJobs", 20) is a
    finally:
        reset_limiters()


def test_a_limiter_factory_replaces_the_shared_limiters():
    built: list[float] = []

    def by_the_window(quota: float) -> ratelimit.QuotaLimiter:
        built.append(quota)
        return ratelimit.QuotaLimiter(quota, rule="window")

    before = get_limiter("CancelUrlUploadJobs", 50)
    try:
        set_limiter_factory(by_the_window)
        limiter = get_limiter("CancelUrlUploadJobs", 50)
        assert limiter is not before and limiter.rule == "window" and built == [50]
    finally:
        set_limiter_factory(None)
    assert get_limiter("CancelUrlUploadJobs", 50).rule is None
    reset_limiters()
