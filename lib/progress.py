"""A progress log line every few seconds while a request is being worked on: done / total, rate, time left.

``done`` and ``total`` count item lines (duplicates included: they are read like any other line); ``total`` is
known once the request has been validated. The rate is this invocation's own, so the time left is what it would
take at the pace now being made. Stdlib only.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from lib import logs

__all__ = ["Progress"]


class Progress:
    """Logs ``progress`` lines at most every ``interval_s`` (none for work that ends sooner)."""

    def __init__(
        self,
        *,
        interval_s: float,
        total: int | None,
        done: int = 0,
        fields: dict[str, Any] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._interval_s = interval_s
        self.total = total
        self._clock = clock
        self._started = clock()
        self._start_done = done
        self._last = self._started
        self._fields = fields or {}

    def update(self, done: int, **fields: Any) -> None:
        """Note that ``done`` lines are done; log if the interval has passed."""
        now = self._clock()
        if now - self._last < self._interval_s:
            return
        self._last = now
        logs.info("progress", **self.snapshot(done, now), **self._fields, **fields)

    def snapshot(self, done: int, now: float | None = None) -> dict[str, Any]:
        """done, total, rate (lines/s in this invocation) and eta_s (when the total is known)."""
        elapsed = max((now if now is not None else self._clock()) - self._started, 1e-9)
        rate = (done - self._start_done) / elapsed
        snapshot: dict[str, Any] = {"done": done, "total": self.total, "rate": round(rate, 1)}
        if self.total is not None and rate > 0:
            snapshot["eta_s"] = round(max(self.total - done, 0) / rate, 1)
        return snapshot
