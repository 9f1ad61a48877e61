"""Client-side pacing for VOD's per-account QPS quotas.

VOD counts calls in a strict sliding one-second window per account ("at most N accepted calls in any trailing
second"). :class:`WindowLimiter` (the one the function uses, through :func:`get_limiter`) applies the same rule
on the client: a call may start once the call N starts back is more than a window (plus a jitter margin) old. It
never asks for more than the quota, yet a window's N calls may go out back to back. An even pacer cannot reach the
quota on a job of a few seconds: 2,000 URLs = 200 calls take 199/50 s of pacing plus the last batch's round trips
(bench/README.md compares the two).

One limiter per API is shared by every worker thread of the function instance (module-level registry), because
the quota is per account, not per thread. Times are ``time.monotonic()`` seconds throughout.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

__all__ = ["WindowLimiter", "get_limiter", "reset_limiters"]

# After a throttle answer the limiter allows this fraction of its calls per window and recovers linearly to full
# speed over RECOVERY_S: the window is already full, and N workers retrying at full speed would keep it full.
SLOWDOWN_FACTOR = 0.7
RECOVERY_S = 1.5
# A throttle answer pauses every caller this long (unless the server says how long: x-acs-retry-after).
THROTTLE_PAUSE_S = 0.1
# Throttle answers that arrive within this long of the last slowdown belong to the same burst (in-flight calls
# sent before we slowed down) and do not slow the limiter down again.
SLOWDOWN_COOLDOWN_S = 1.0

# The window limiter keeps each window this much longer than VOD's second: the service judges a call when it
# arrives (after its network trip and, in the local cloud, after the injected latency), the client when it sends
# it, and that gap varies by tens of ms when many calls are in flight (bench/README.md: how the margin was chosen).
WINDOW_MARGIN_S = 0.05


class WindowLimiter:
    """Thread-safe sliding-window limiter: at most ``limit`` call starts in any ``window_s`` + margin.

    ``rate`` (calls/s) becomes ``limit = floor(rate)`` calls per ``limit / rate`` seconds (1 s for whole rates;
    a rate below 1 becomes one call per ``1 / rate`` s). Each :meth:`acquire` reserves the earliest start that
    keeps the rule, under a lock, then sleeps outside it; reservations are handed out in order, so concurrent
    callers queue fairly. After a throttle answer every caller pauses briefly and the allowance per window drops to
    SLOWDOWN_FACTOR, recovering over RECOVERY_S: a throttle means someone else (another instance on the same
    account) shares the quota, or the margin was too small.
    """

    def __init__(
        self,
        rate: float,
        *,
        window_s: float = 1.0,
        margin_s: float = WINDOW_MARGIN_S,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._window_s = window_s
        self._margin_s = margin_s
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._starts: deque[float] = deque()
        self._not_before = float("-inf")
        self._last_slowdown = float("-inf")
        self._configure(rate)

    def _configure(self, rate: float) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be > 0, got {rate!r}")
        self._rate = float(rate)
        self._limit = max(1, math.floor(rate * self._window_s + 1e-9))
        self._span = self._limit / self._rate
        self._starts = deque(self._starts, maxlen=self._limit)

    @property
    def rate(self) -> float:
        return self._rate

    @property
    def limit(self) -> int:
        """Calls allowed per window."""
        return self._limit

    def set_rate(self, rate: float) -> None:
        with self._lock:
            self._configure(rate)

    def current_rate(self, now: float | None = None) -> float:
        """The effective rate now: reduced right after a throttle, back to :attr:`rate` after RECOVERY_S."""
        with self._lock:
            return self._allowed(self._clock() if now is None else now) / self._span

    def _allowed(self, now: float) -> int:
        since = now - self._last_slowdown
        if since >= RECOVERY_S:
            return self._limit
        factor = SLOWDOWN_FACTOR + (1.0 - SLOWDOWN_FACTOR) * max(since, 0.0) / RECOVERY_S
        return max(1, math.floor(self._limit * factor))

    def reserve(self, deadline: float | None = None) -> float | None:
        """Reserve the earliest allowed start and return it; None (nothing reserved) if after ``deadline``."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._not_before)
            starts = self._starts
            if starts:
                slot = max(slot, starts[-1])  # in order: the deque stays sorted
                allowed = self._allowed(slot)
                if len(starts) >= allowed:
                    slot = max(slot, starts[-allowed] + self._span + self._margin_s)
            if deadline is not None and slot > deadline:
                return None
            starts.append(slot)
            return slot

    def acquire(self, deadline: float | None = None) -> bool:
        """Wait for a start; False (without waiting) if it would come after ``deadline``."""
        slot = self.reserve(deadline)
        if slot is None:
            return False
        wait = slot - self._clock()
        if wait > 0:
            self._sleep(wait)
        return True

    def throttled(self, pause_s: float | None = None) -> None:
        """The service answered "throttled": pause every caller briefly and allow fewer calls for a while."""
        pause = THROTTLE_PAUSE_S if pause_s is None else max(0.0, pause_s)
        with self._lock:
            now = self._clock()
            self._not_before = max(self._not_before, now + pause)
            if now - self._last_slowdown >= SLOWDOWN_COOLDOWN_S:
                self._last_slowdown = now


_registry: dict[str, WindowLimiter] = {}
_registry_lock = threading.Lock()


def get_limiter(api: str, quota: float) -> WindowLimiter:
    """The instance-wide :class:`WindowLimiter` for ``api``: ``quota`` calls per second.

    The limiter runs at the quota itself: its window margin is what keeps it clear of throttling. Passing another
    quota (say, a new VOD_CANCEL_QPS) updates the shared limiter in place.
    """
    with _registry_lock:
        limiter = _registry.get(api)
        if limiter is None:
            limiter = _registry[api] = WindowLimiter(quota)
        elif quota != limiter.rate:
            limiter.set_rate(quota)
        return limiter


def reset_limiters() -> None:
    """Forget every shared limiter (tests, or a configuration reload)."""
    with _registry_lock:
        _registry.clear()
