"""Client-side pacing for VOD's per-account QPS quotas.

VOD counts calls in a strict sliding one-second window per account, so a token bucket with a burst would
send a volley, get ``Throttling.User`` and waste the window. A pacer with burst 1 spaces calls evenly at the
quota instead: that reaches the quota without tripping it. One limiter per API is shared by every worker
thread of the function instance (module-level registry), because the quota is per account, not per thread.

Times are ``time.monotonic()`` seconds throughout.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

# After a throttle answer the pacer slows down to this fraction of its rate and recovers linearly to full
# speed over RECOVERY_S: the window is already full, and N workers retrying at full speed would keep it full.
SLOWDOWN_FACTOR = 0.7
RECOVERY_S = 1.5
# A throttle answer pauses every caller this long (unless the server says how long: x-acs-retry-after).
THROTTLE_PAUSE_S = 0.1
# Throttle answers that arrive within this long of the last slowdown belong to the same burst (in-flight calls
# sent before we slowed down) and do not slow the pacer down again.
SLOWDOWN_COOLDOWN_S = 1.0

DEFAULT_QUOTAS: dict[str, float] = {"CancelUrlUploadJobs": 50.0, "GetURLUploadInfos": 100.0}
# Shared limiters pace at this share of the quota. At exactly the quota, network jitter now and then packs one
# call too many into a 1-second window, and every throttle costs far more than 5% (measured against the local
# VOD's strict sliding window: 50/s paced → 30-45 accepted calls/s; 47.5/s paced → 47.6/s, no throttles).
QUOTA_HEADROOM = 0.95


class RateLimiter:
    """Thread-safe pacer: at most one call every ``1/rate`` seconds, no saved-up burst.

    Each :meth:`acquire` reserves the next free slot under a lock and then sleeps outside it, so concurrent
    callers queue up in slot order without holding the lock while they wait.
    """

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be > 0, got {rate!r}")
        self._rate = float(rate)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_slot = float("-inf")
        self._last_slowdown = float("-inf")

    @property
    def rate(self) -> float:
        return self._rate

    def set_rate(self, rate: float) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be > 0, got {rate!r}")
        with self._lock:
            self._rate = float(rate)

    def current_rate(self, now: float | None = None) -> float:
        """The effective rate now: reduced right after a throttle, back to :attr:`rate` after RECOVERY_S."""
        with self._lock:
            return self._effective_rate(self._clock() if now is None else now)

    def _effective_rate(self, now: float) -> float:
        since = now - self._last_slowdown
        if since >= RECOVERY_S:
            return self._rate
        factor = SLOWDOWN_FACTOR + (1.0 - SLOWDOWN_FACTOR) * max(since, 0.0) / RECOVERY_S
        return self._rate * factor

    def reserve(self, deadline: float | None = None) -> float | None:
        """Reserve the next slot and return its time; None (nothing reserved) if it is after ``deadline``."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next_slot)
            if deadline is not None and slot > deadline:
                return None
            self._next_slot = slot + 1.0 / self._effective_rate(slot)
            return slot

    def acquire(self, deadline: float | None = None) -> bool:
        """Wait for a slot; False (without waiting) if the slot would come after ``deadline``."""
        slot = self.reserve(deadline)
        if slot is None:
            return False
        wait = slot - self._clock()
        if wait > 0:
            self._sleep(wait)
        return True

    def throttled(self, pause_s: float | None = None) -> None:
        """The service answered "throttled": pause every caller briefly and slow down for a while."""
        pause = THROTTLE_PAUSE_S if pause_s is None else max(0.0, pause_s)
        with self._lock:
            now = self._clock()
            self._next_slot = max(self._next_slot, now + pause)
            if now - self._last_slowdown >= SLOWDOWN_COOLDOWN_S:
                self._last_slowdown = now


_registry: dict[str, RateLimiter] = {}
_registry_lock = threading.Lock()


def get_limiter(api: str, quota: float | None = None, headroom: float = QUOTA_HEADROOM) -> RateLimiter:
    """The instance-wide limiter for ``api``, pacing at ``headroom`` × ``quota`` (QPS; default: VOD's quota).

    Passing a quota again (say, a new VOD_CANCEL_QPS) updates the shared limiter in place.
    """
    if quota is None:
        quota = DEFAULT_QUOTAS.get(api, 10.0)
    rate = quota * headroom
    with _registry_lock:
        limiter = _registry.get(api)
        if limiter is None:
            limiter = _registry[api] = RateLimiter(rate)
        elif rate != limiter.rate:
            limiter.set_rate(rate)
        return limiter


def reset_limiters() -> None:
    """Forget every shared limiter (tests, or a configuration reload)."""
    with _registry_lock:
        _registry.clear()
