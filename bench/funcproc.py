"""The function under test in a process of its own, as one FC instance: ``python bench/funcproc.py PLAN OUT``
(or ``--stream PLAN FD``, see :func:`stream`).

Run as a script by the runtime of bench/runtime.py — by default the code package under the runtime's Python with
``-I -S``, as the local FC runs it — so only the stdlib is importable until PLAN's ``sys_path`` (the code directory
and its PYTHONPATH) goes first on ``sys.path``. PLAN (JSON) also holds the FC context spec and a list of events;
they are handled one after another by ``handler.handler`` in this one process (so the first is a cold start and
the rest are warm), with optional pauses between them; ``pacing`` may swap the function's limiter for the bulk
benchmark's baseline. OUT receives, per event, the handler's wall and CPU time
(the process's, all threads) and a small summary of what it returned, and which of the modules named in
``report_modules`` (prefixes) were imported by the end. The function's own log lines go to this process's stdout,
which the driver discards, as FC ships them elsewhere.

Nothing but the stdlib and ``fcshape.py`` (loaded by path; with ``pacing``, also lib.ratelimit and
``fixed_window.py``) is imported before the handler, so the process is what FC would run. Stdlib only and Python
3.10-compatible.
"""

from __future__ import annotations

import json
import os
import re
import runpy
import sys
import time
from types import SimpleNamespace
from typing import Any

_COUNTS = re.compile(r'"Counts":(\{[^}]*\})')
_ERROR = re.compile(r'"(?:Error|error)":(\{[^}]*\})')


def summarise(result: Any) -> dict[str, Any]:
    """The part of a handler result the driver checks: HTTP status, Counts, or the error.

    Read with a regex from the document's head, never ``json.loads``: a 100,000-item result parsed here would
    add its own objects to the peak RSS the memory benchmark attributes to the function.
    """
    summary: dict[str, Any] = {}
    if isinstance(result, dict) and "statusCode" in result:
        summary["status"] = result["statusCode"]
        result = result.get("body")
    if isinstance(result, bytes):
        result = result.decode("utf-8", errors="replace")
    if not isinstance(result, str):
        return {**summary, "raw": repr(result)[:200]}
    head = result[:4096]
    for key, pattern in (("counts", _COUNTS), ("error", _ERROR)):
        match = pattern.search(head)
        if match:
            summary[key] = json.loads(match.group(1))
    return summary


def _load_plan(path: str) -> dict[str, Any]:
    """Read PLAN and put its ``sys_path`` first (this script's own directory is not the function's)."""
    with open(path, encoding="utf-8") as plan_file:
        plan = json.load(plan_file)
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [*plan.get("sys_path", []), *(p for p in sys.path if os.path.abspath(p or ".") != here)]
    return plan


def _fcshape() -> Any:
    """``fcshape.py`` beside this script, run by path: the bench package is not on the function's sys.path."""
    return SimpleNamespace(**runpy.run_path(os.path.join(os.path.dirname(__file__), "fcshape.py")))


def _install_pacing(plan: dict[str, Any]) -> None:
    """``"pacing": "fixed-window"``: the function paces VOD calls with bench/fixed_window.py (the bulk benchmark's
    baseline) instead of its own limiter."""
    if plan.get("pacing") != "fixed-window":
        return
    from lib.ratelimit import set_limiter_factory

    fixed = runpy.run_path(os.path.join(os.path.dirname(__file__), "fixed_window.py"))
    set_limiter_factory(fixed["FixedWindowLimiter"])


def _handle(handler: Any, plan: dict[str, Any], index: int) -> dict[str, Any]:
    """One event through ``handler.handler``: wall and CPU time, and what it returned."""
    step = plan["events"][index]
    context = plan["_fcshape"].Context(plan["context"], request_id=f"bench-{index:06d}")
    event = step["event"].encode("utf-8")
    started, cpu_started = time.perf_counter(), time.process_time()
    try:
        summary = summarise(handler.handler(event, context))
    except Exception as exc:  # reported, not hidden: the driver fails the benchmark row
        summary = {"raised": f"{type(exc).__name__}: {exc}"[:500]}
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return {"label": step.get("label", ""), "seconds": elapsed, "cpu_seconds": cpu, **summary}


def main(argv: list[str]) -> int:
    if argv[1] == "--stream":
        return stream(argv[2], int(argv[3]))
    plan = _load_plan(argv[1])
    plan["_fcshape"] = _fcshape()
    _install_pacing(plan)
    import handler  # the FC runtime imports the handler module once per instance

    out: list[dict[str, Any]] = []
    for index, step in enumerate(plan["events"]):
        out.append(_handle(handler, plan, index))
        if step.get("pause_after_s"):
            time.sleep(float(step["pause_after_s"]))
    prefixes = tuple(plan.get("report_modules") or ())
    modules = sorted(name for name in sys.modules if prefixes and name.split(".")[0].startswith(prefixes))
    with open(argv[2], "w", encoding="utf-8") as out_file:
        json.dump({"events": out, "modules": modules, "module_count": len(sys.modules)}, out_file)
    return 0


def stream(plan_path: str, result_fd: int) -> int:
    """Stay warm and handle the plan's events in blocks: each stdin line ``N`` runs the next N events and writes
    one JSON line (totals of the block) to ``result_fd``. Lets the driver interleave blocks with a baseline."""
    plan = _load_plan(plan_path)
    plan["_fcshape"] = _fcshape()
    import handler

    index = 0
    with open(result_fd, "w", encoding="utf-8") as results:
        for line in sys.stdin:
            steps = [_handle(handler, plan, index + i) for i in range(int(line))]
            index += len(steps)
            block = {
                "events": len(steps),
                "seconds": sum(step["seconds"] for step in steps),
                "cpu_seconds": sum(step["cpu_seconds"] for step in steps),
                "canceled": sum((step.get("counts") or {}).get("Canceled", 0) for step in steps),
                "problems": [step for step in steps if "raised" in step or not step.get("counts")][:3],
            }
            results.write(json.dumps(block) + "\n")
            results.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
