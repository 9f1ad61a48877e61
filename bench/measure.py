"""Run a measured process and observe it from outside: wall time, peak RSS from the kernel, an RSS timeline.

Peak RSS comes from ``wait4``'s ``ru_maxrss`` (the kernel's high-water mark of that one process, threads
included), so nothing inside the function has to cooperate and the figure is the whole process, interpreter and
SDKs included. An RSS timeline sampled with psutil shows *when* memory grew.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.runtime import Runtime, dev_runtime

FUNCPROC = str(Path(__file__).with_name("funcproc.py"))
BASELINES = str(Path(__file__).with_name("baselines.py"))


@dataclass
class ProcessRun:
    """What one measured process did."""

    returncode: int
    wall_s: float
    peak_rss_mb: float
    rss_timeline: list[tuple[float, float]] = field(default_factory=list)  # (seconds since start, MB)
    output: Any = None
    stderr: str = ""


def run_process(
    args: list[str],
    env: dict[str, str],
    *,
    runtime: Runtime | None = None,
    sample_every_s: float | None = None,
    timeout_s: float = 600,
    stdout_path: str | None = None,
) -> ProcessRun:
    """Run ``python args...`` in ``runtime`` (default: the dev tree) with exactly ``env``; stdout is discarded.

    ``sample_every_s`` turns on RSS sampling (psutil) for the timeline. Raises if the process fails.
    """
    samples: list[tuple[float, float]] = []
    with tempfile.TemporaryFile() as stderr:
        stdout = open(stdout_path or os.devnull, "wb")  # noqa: SIM115 - closed below, after the child is gone
        started = time.perf_counter()
        runtime = runtime or dev_runtime()
        proc = subprocess.Popen(
            [*runtime.python, *args], cwd=runtime.cwd, env=env, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr
        )
        stop = threading.Event()
        sampler = None
        if sample_every_s:
            sampler = threading.Thread(target=_sample, args=(proc.pid, started, sample_every_s, samples, stop))
            sampler.start()
        timer = threading.Timer(timeout_s, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
            stop.set()
            if sampler is not None:
                sampler.join()
            stdout.close()
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        stderr.seek(0)
        err = stderr.read().decode("utf-8", errors="replace")
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited with {proc.returncode}:\n{err[-3000:]}")
    return ProcessRun(proc.returncode, wall, usage.ru_maxrss / 1024, samples, stderr=err)


def _sample(pid: int, started: float, every: float, samples: list[tuple[float, float]], stop: threading.Event) -> None:
    import psutil

    try:
        process = psutil.Process(pid)
        while not stop.is_set():
            samples.append((time.perf_counter() - started, process.memory_info().rss / 2**20))
            stop.wait(every)
    except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
        return


def run_function(plan: dict[str, Any], env: dict[str, str], runtime: Runtime, **kwargs: Any) -> ProcessRun:
    """Run ``bench/funcproc.py`` with ``plan`` in ``runtime``; ``output`` is its per-event list."""
    return _run_with_files([FUNCPROC], plan, env, runtime, **kwargs)


def run_baseline(mode: str, plan: dict[str, Any], env: dict[str, str], runtime: Runtime, **kwargs: Any) -> ProcessRun:
    """Run ``bench/baselines.py MODE`` with ``plan`` in ``runtime``; ``output`` is what it reports."""
    return _run_with_files([BASELINES, mode], plan, env, runtime, **kwargs)


def _run_with_files(
    args: list[str], plan: dict[str, Any], env: dict[str, str], runtime: Runtime, **kwargs: Any
) -> ProcessRun:
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        plan_path, out_path = Path(tmp, "plan.json"), Path(tmp, "out.json")
        plan_path.write_text(json.dumps({**plan, "sys_path": list(runtime.sys_path)}), encoding="utf-8")
        run = run_process([*args, str(plan_path), str(out_path)], env, runtime=runtime, **kwargs)
        run.output = json.loads(out_path.read_text(encoding="utf-8"))
    return run


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (no interpolation: with 11 runs, p90 is the 10th fastest)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.4999)))
    return ordered[rank - 1]


class StreamProcess:
    """A warm measured process driven block by block (``--stream`` modes of funcproc.py / baselines.py).

    Two of them (the function and its baseline) can then run short blocks in turn, so a burst of load from
    elsewhere on the machine hits both alike instead of whichever happened to be running.
    """

    def __init__(self, args: list[str], plan: dict[str, Any], env: dict[str, str], runtime: Runtime) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="bench-")
        plan_path = Path(self._tmp.name, "plan.json")
        plan_path.write_text(json.dumps({**plan, "sys_path": list(runtime.sys_path)}), encoding="utf-8")
        read_fd, write_fd = os.pipe()
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the process, closed in close()
        self._proc = subprocess.Popen(
            [*runtime.python, *args, str(plan_path), str(write_fd)],
            cwd=runtime.cwd,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
            pass_fds=(write_fd,),
            text=True,
        )
        os.close(write_fd)
        self._results = os.fdopen(read_fd, encoding="utf-8")

    def block(self, events: int) -> dict[str, Any]:
        """Run the next ``events`` events; returns the block's totals."""
        assert self._proc.stdin is not None
        self._proc.stdin.write(f"{events}\n")
        self._proc.stdin.flush()
        line = self._results.readline()
        if not line:
            self._stderr.seek(0)
            raise RuntimeError("measured process died:\n" + self._stderr.read().decode(errors="replace")[-3000:])
        return json.loads(line)

    def close(self) -> None:
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        self._proc.wait(timeout=30)
        self._results.close()
        self._stderr.close()
        self._tmp.cleanup()

    def __enter__(self) -> StreamProcess:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
