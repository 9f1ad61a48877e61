"""The bulk benchmark's baseline pacing: a limiter that assumes VOD counts its quota in a sliding one-second window.

At most N call starts in any second plus a fixed 50 ms margin (for the network, and VOD judging a call when it
arrives); after a throttle every caller pauses 0.1 s and the allowance drops to 70%, recovering linearly over
1.5 s. It never tells the rules apart and learns nothing, which is what the learning limiter (lib.ratelimit) is
measured against, under each rule. ``bench/funcproc.py`` installs it in the function's process when a plan says
``"pacing": "fixed-window"``. Stdlib only and Python 3.10-compatible, like the function.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

SLOWDOWN_FACTOR = 0.7
RECOVERY_S = 1.5
THROTTLE_PAUSE_S = 0.1
SLOWDOWN_COOLDOWN_S = 1.0
WINDOW_MARGIN_S = 0.05


class FixedWindowLimiter:
    """At most ``floor(rate)`` starts in any window of ``floor(rate) / rate`` s + margin; slower after a throttle."""

    def __init__(self, rate: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._starts: deque[float] = deque()
        self._not_before = float("-inf")
        self._last_slowdown = float("-inf")
        self.set_rate(rate)

    @property
    def rate(self) -> float:
        return self._rate

    def set_rate(self, rate: float) -> None:
        self._rate = float(rate)
        self._limit = max(1, math.floor(rate + 1e-9))
        self._span = self._limit / self._rate
        self._starts = deque(self._starts, maxlen=self._limit)

    def _allowed(self, now: float) -> int:
        since = now - self._last_slowdown
        if since >= RECOVERY_S:
            return self._limit
        factor = SLOWDOWN_FACTOR + (1.0 - SLOWDOWN_FACTOR) * max(since, 0.0) / RECOVERY_S
        return max(1, math.floor(self._limit * factor))

    def acquire(self, deadline: float | None = None) -> float | None:
        """Wait for the earliest start the window allows and return it; None if after ``deadline``."""
        with self._lock:
            slot = max(self._clock(), self._not_before)
            if self._starts:
                slot = max(slot, self._starts[-1])
                allowed = self._allowed(slot)
                if len(self._starts) >= allowed:
                    slot = max(slot, self._starts[-allowed] + self._span + WINDOW_MARGIN_S)
            if deadline is not None and slot > deadline:
                return None
            self._starts.append(slot)
        wait = slot - self._clock()
        if wait > 0:
            time.sleep(wait)
        return slot

    def accepted(self, permit: object) -> None:
        """Answers teach this limiter nothing."""

    def throttled(self, pause_s: float | None = None, permit: object = None) -> None:
        with self._lock:
            now = self._clock()
            self._not_before = max(self._not_before, now + (THROTTLE_PAUSE_S if pause_s is None else pause_s))
            if now - self._last_slowdown >= SLOWDOWN_COOLDOWN_S:
                self._last_slowdown = now
