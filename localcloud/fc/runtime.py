"""FC instances as worker processes, and the pool that keeps them warm.

One process per instance, one invocation at a time per instance (FC python's model), up to ``max_instances``
in parallel; more concurrent calls wait for a free instance. A timed-out or crashed instance is killed and
discarded, so the next call cold-starts, as on FC.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localcloud.fc.protocol import FrameReader, FrameTimeout, write_frame

WORKER_SCRIPT = Path(__file__).resolve().with_name("worker.py")
"""Run as a script (never ``-m localcloud...``), so the function's interpreter needs nothing of the local cloud."""


@dataclass
class WorkerResult:
    """What one invocation attempt produced on an instance."""

    status: str  # "succeeded" | "failed" | "timeout"
    payload: bytes = b""
    error: dict[str, Any] | None = None
    cold_start: bool = False
    duration_ms: float = 0.0
    max_memory_mb: float | None = None
    logs: str = ""


@dataclass
class InstanceSpec:
    """How to start an instance: its interpreter (with options), import path, environment and code directory."""

    env: dict[str, str]
    code_dir: Path
    log_dir: Path
    python: list[str]  # the executable and its options, e.g. [".../python3.10", "-I", "-S", "-u"]
    sys_path: list[str]  # put first on the worker's sys.path
    tmp_dir: Path | None = None  # the instance's own writable directory (its TMPDIR), removed with it


class Instance:
    """A running worker process plus the pipes to talk to it."""

    def __init__(self, instance_id: str, spec: InstanceSpec) -> None:
        self.instance_id = instance_id
        self.spec = spec
        self.generation = 0
        self.invocations = 0
        self.credentials: Any = None
        """The STS credential the instance started with (the backend refreshes the one in the context)."""
        to_worker_r, self._to_worker = os.pipe()
        self._from_worker, from_worker_w = os.pipe()
        self._stderr_path = spec.log_dir / f"instance-{instance_id}.log"
        with open(self._stderr_path, "ab") as stderr:
            self.process = subprocess.Popen(
                [*spec.python, str(WORKER_SCRIPT), str(to_worker_r), str(from_worker_w), *spec.sys_path],
                cwd=spec.code_dir,
                env=spec.env,
                stdin=subprocess.DEVNULL,
                stdout=stderr,
                stderr=stderr,
                pass_fds=(to_worker_r, from_worker_w),
            )
        os.close(to_worker_r)
        os.close(from_worker_w)
        os.set_blocking(self._to_worker, False)  # writes honour the invocation deadline (see write_frame)
        self._reader = FrameReader(self._from_worker)
        self.closed = False

    @property
    def alive(self) -> bool:
        return not self.closed and self.process.poll() is None

    def invoke(self, event: bytes, meta: dict[str, Any], timeout_s: float, log_path: Path) -> WorkerResult:
        """Run one invocation; kills the instance on timeout or when the process dies mid-call."""
        self.invocations += 1
        log_path.touch()
        started = time.monotonic()
        try:
            deadline = started + timeout_s
            write_frame(self._to_worker, {"op": "invoke", "log_path": str(log_path), "context": meta}, event, deadline)
            reply, payload = self._reader.read(deadline=deadline)
        except FrameTimeout:
            self.kill()
            return WorkerResult(
                status="timeout",
                error={
                    "errorMessage": f"Function timed out after {timeout_s:g} seconds",
                    "errorType": "FunctionTimeout",
                    "stackTrace": [],
                },
                duration_ms=(time.monotonic() - started) * 1000,
                logs=_read_text(log_path),
            )
        except (EOFError, OSError):
            self.kill()
            return WorkerResult(
                status="failed",
                error={
                    "errorMessage": "Process exited unexpectedly before completing request",
                    "errorType": "ProcessExited",
                    "stackTrace": [],
                },
                duration_ms=(time.monotonic() - started) * 1000,
                logs=_read_text(log_path) + self.crash_output(),
            )
        return WorkerResult(
            status="succeeded" if reply.get("status") == "ok" else "failed",
            payload=payload,
            error=reply.get("error"),
            cold_start=bool(reply.get("cold_start")),
            duration_ms=float(reply.get("duration_ms", 0.0)),
            max_memory_mb=reply.get("max_memory_mb"),
            logs=_read_text(log_path),
        )

    def crash_output(self) -> str:
        """Whatever the process wrote outside an invocation (e.g. a worker start-up failure)."""
        return _read_text(self._stderr_path)

    def terminate(self) -> None:
        """Kill the process from another thread; the invoking thread sees EOF and calls :meth:`kill`."""
        if self.process.poll() is None:
            self.process.kill()

    def kill(self) -> None:
        """Stop the process and release its pipes; only the thread that owns the instance may call this."""
        if self.closed:
            return
        self.closed = True
        for fd in (self._to_worker, self._from_worker):
            with contextlib.suppress(OSError):
                os.close(fd)
        if self.process.poll() is None:
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):  # SIGKILL does not fail in practice
            self.process.wait(timeout=5)
        with contextlib.suppress(OSError):
            self._stderr_path.unlink()
        if self.spec.tmp_dir is not None:
            shutil.rmtree(self.spec.tmp_dir, ignore_errors=True)


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8", errors="replace")
    except OSError:
        return ""


class InstancePool:
    """Idle instances ready for reuse, plus the count of busy ones; thread-safe."""

    def __init__(self, factory: Callable[[], Instance], max_instances: int) -> None:
        self._factory = factory
        self._max_instances = max_instances
        self._idle: list[Instance] = []
        self._busy: set[Instance] = set()
        self._starting = 0
        self._generation = 0
        self._cond = threading.Condition()
        self._closed = False

    @property
    def max_instances(self) -> int:
        return self._max_instances

    @max_instances.setter
    def max_instances(self, value: int) -> None:
        if value < 1:
            raise ValueError("max_instances must be at least 1")
        with self._cond:
            self._max_instances = value
            self._cond.notify_all()  # callers waiting for a slot may now start an instance

    @property
    def size(self) -> int:
        """Live instances (idle, busy or starting)."""
        with self._cond:
            return len(self._idle) + len(self._busy) + self._starting

    @property
    def generation(self) -> int:
        return self._generation

    def acquire(self) -> Instance:
        """An idle warm instance, else a new one if under the limit, else wait for one to be released."""
        with self._cond:
            while True:
                if self._closed:
                    raise RuntimeError("the function's instance pool is shut down")
                while self._idle:
                    instance = self._idle.pop()
                    if instance.alive and instance.generation == self._generation:
                        self._busy.add(instance)
                        return instance
                    instance.kill()
                if len(self._busy) + self._starting < self._max_instances:
                    self._starting += 1
                    generation = self._generation
                    break
                self._cond.wait()
        try:
            instance = self._factory()
        except BaseException:
            with self._cond:
                self._starting -= 1
                self._cond.notify_all()
            raise
        instance.generation = generation
        with self._cond:
            self._starting -= 1
            self._busy.add(instance)
        return instance

    def release(self, instance: Instance) -> None:
        with self._cond:
            self._busy.discard(instance)
            if instance.alive and instance.generation == self._generation and not self._closed:
                self._idle.append(instance)
                instance = None  # type: ignore[assignment]
            self._cond.notify_all()
        if instance is not None:
            instance.kill()

    def recycle(self, *, kill_busy: bool = False) -> None:
        """Retire every instance: idle ones now, busy ones when released (or now, with ``kill_busy``)."""
        with self._cond:
            self._generation += 1
            idle, self._idle = self._idle, []
            busy = list(self._busy) if kill_busy else []
            self._cond.notify_all()
        for instance in idle:
            instance.kill()
        for instance in busy:  # only the process: the thread inside invoke() owns the pipes and cleans up
            instance.terminate()

    def close(self) -> None:
        with self._cond:
            self._closed = True
        self.recycle(kill_busy=True)
