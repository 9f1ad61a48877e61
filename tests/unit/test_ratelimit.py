"""The instance-wide registry shares one window limiter per API and updates its rate in place."""

from __future__ import annotations

from lib import ratelimit
from lib.ratelimit import get_limiter, reset_limiters


def test_registry_shares_one_limiter_per_api_and_updates_its_rate():
    reset_limiters()
    try:
        a = get_limiter("CancelUrlUploadJobs", 50)
        assert isinstance(a, ratelimit.WindowLimiter) and a.rate == 50  # VOD's own rule: 50 in any window
        assert get_limiter("CancelUrlUploadJobs", 50) is a
        assert get_limiter("GetURLUploadInfos", 100).rate == 100
        assert get_limiter("CancelUrlUploadJobs", 20).rate == 20
        assert get_limiter("CancelUrlUploadJobs", 20) is a
    finally:
        reset_limiters()
