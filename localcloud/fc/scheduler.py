"""A small delayed-task executor for asynchronous invocations and their retries.

Async events, OSS notifications and MNS pushes are queued here; a failed attempt is re-queued after its
retry delay instead of sleeping on a thread, so a burst of retries costs no threads. Real time is used (not
the cloud clock): retry delays are already scaled down by the backend.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

Task = Callable[[], None]


class DelayedExecutor:
    """Runs tasks on up to ``threads`` daemon threads, each no earlier than its due time."""

    def __init__(self, threads: int, name: str = "localcloud-fc-async") -> None:
        self.threads = threads
        self._name = name
        self._heap: list[tuple[float, int, Task]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._workers: list[threading.Thread] = []
        self._idle_workers = 0
        self._stopped = False

    def submit(self, task: Task, delay: float = 0.0) -> None:
        with self._cond:
            if self._stopped:
                raise RuntimeError("executor is shut down")
            heapq.heappush(self._heap, (time.monotonic() + max(delay, 0.0), next(self._seq), task))
            # An idle worker counts as idle until it wakes up and pops a task, so compare with the queue length:
            # a burst of submissions must not pile up behind one worker that has not woken up yet.
            if self._idle_workers < len(self._heap) and len(self._workers) < self.threads:
                worker = threading.Thread(target=self._loop, name=f"{self._name}-{len(self._workers)}", daemon=True)
                self._workers.append(worker)
                worker.start()
            self._cond.notify()

    def shutdown(self) -> None:
        with self._cond:
            self._stopped = True
            self._heap.clear()
            self._cond.notify_all()

    def _next(self) -> Task | None:
        with self._cond:
            while not self._stopped:
                if self._heap and self._heap[0][0] <= time.monotonic():
                    return heapq.heappop(self._heap)[2]
                timeout = self._heap[0][0] - time.monotonic() if self._heap else None
                self._idle_workers += 1
                self._cond.wait(timeout)
                self._idle_workers -= 1
            return None

    def _loop(self) -> None:
        while (task := self._next()) is not None:
            try:
                task()
            except Exception:  # a task must never kill its thread
                log.exception("async invocation task failed")
