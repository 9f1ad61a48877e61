"""Benchmark 2 — cold start: fresh processes, from exec to exit, against the running local cloud.

Every process runs in ``options.runtime``: by default the code package (what ``s deploy`` uploads) under the
runtime's Python (3.10), as the local FC runs an instance; the baseline uses the package's copies of the SDKs.

- The function: a fresh ``funcproc.py`` imports ``handler`` and handles one MNS event (one job ID) end to end:
  VOD cancel, results published to MNS.
- The baseline: a fresh ``baselines.py cold``: the minimal official-SDK script (import the VOD client, one cancel
  call, one MNS publish).
- The bad-input path: a fresh function process handling an HTTP event whose body is not JSON (→ 400); it must not
  import any SDK, which the process checks in ``sys.modules`` and reports.
- As on FC: the function and the baseline again, compiling every module on every start. FC's ``/code`` is
  read-only and the package ships no bytecode (``.fcignore`` leaves ``__pycache__`` out), so a real cold start
  compiles what it imports; the rows above use a bytecode cache, as a local FC does after its first start.

Function and baseline runs alternate so drift on the machine hits both alike; one unmeasured run of each warms
the page cache (and the bytecode cache) first. Median and p90 of ``repeat`` runs.
"""

from __future__ import annotations

import json
from typing import Any

from bench.cloudproc import CloudProcess, bench_job_id
from bench.fcshape import context_spec, function_env, http_event, mns_event
from bench.measure import median, percentile, run_baseline, run_function, run_process
from bench.options import Options
from bench.report import BenchResult, Row

GOAL_RATIO = 1.10
GOAL_BAD_INPUT_MS = 150.0
SDK_PREFIXES = ("alibabacloud", "darabonba", "Tea", "mns", "oss2", "aiohttp", "requests", "urllib3", "fc2")


def run(cloud: CloudProcess, options: Options) -> BenchResult:
    repeat = options.pick(options.repeat, 5)
    e = cloud.endpoints
    runtime, compiling = options.runtime, options.runtime.without_bytecode_cache()
    setup = cloud.setup(
        id_jobs=[{"tag": tag, "count": repeat + 1} for tag in ("cold-f", "cold-b", "cold-fc", "cold-bc")]
    )
    env = function_env(setup, e)
    spec = context_spec(setup, e)

    function_ms: list[float] = []
    baseline_ms: list[float] = []
    bad_ms: list[float] = []
    bare_ms: list[float] = []
    compile_f_ms: list[float] = []
    compile_b_ms: list[float] = []
    function_out: list[Any] = []
    bad_out: list[Any] = []
    for index in range(repeat + 1):
        run_f = run_function(_cancel_plan(spec, "cold-f", index, e), env, runtime)
        run_b = run_baseline("cold", {"job_id": bench_job_id("cold-b", index)}, env, runtime)
        run_bad = run_function(
            {"context": spec, "events": [{"event": http_event("this is not JSON {")}], "report_modules": SDK_PREFIXES},
            env,
            runtime,
        )
        run_bare = run_process(["-c", "pass"], env, runtime=runtime)
        run_fc = run_function(_cancel_plan(spec, "cold-fc", index, e), env, compiling)
        run_bc = run_baseline("cold", {"job_id": bench_job_id("cold-bc", index)}, env, compiling)
        if index == 0:
            continue  # warms the page cache; not counted
        function_ms.append(run_f.wall_s * 1000)
        baseline_ms.append(run_b.wall_s * 1000)
        bad_ms.append(run_bad.wall_s * 1000)
        bare_ms.append(run_bare.wall_s * 1000)
        compile_f_ms.append(run_fc.wall_s * 1000)
        compile_b_ms.append(run_bc.wall_s * 1000)
        function_out.append(run_f.output)
        bad_out.append(run_bad.output)

    stats = cloud.stats()
    f_med, b_med, bad_med = median(function_ms), median(baseline_ms), median(bad_ms)
    canceled_ok = all(o["events"][0].get("counts", {}).get("Canceled") == 1 for o in function_out)
    compiled_ok = stats["jobs"].get("CANCELED", 0) == 4 * (repeat + 1)
    bad_ok = all(o["events"][0].get("status") == 400 for o in bad_out)
    sdk_on_bad = max(len(o["modules"]) for o in bad_out)
    rows = [
        Row("cold start, MNS event (median)", f_med, "ms", b_med, "minimal SDK script", f"≤ {GOAL_RATIO:.2f}×",
            f_med <= GOAL_RATIO * b_med and canceled_ok),
        Row("cold start, MNS event (p90)", percentile(function_ms, 90), "ms", percentile(baseline_ms, 90),
            "minimal SDK script", "", None),
        Row("bad input → 400 (median)", bad_med, "ms", median(bare_ms), "python -c pass",
            f"≤ {GOAL_BAD_INPUT_MS:.0f} ms", bad_med <= GOAL_BAD_INPUT_MS and bad_ok),
        Row("bad input → 400 (p90)", percentile(bad_ms, 90), "ms", percentile(bare_ms, 90), "python -c pass", "",
            None),
        Row("SDK modules imported on bad input", sdk_on_bad, "modules", None, "", "0", sdk_on_bad == 0),
        Row("as on FC: no bytecode cache (median)", median(compile_f_ms), "ms", median(compile_b_ms),
            "minimal SDK script, no bytecode cache", "", None),
    ]  # fmt: skip
    return BenchResult(
        "cold",
        f"2. Cold start — fresh process, exec to exit, {repeat} runs each (median / p90)",
        rows,
        details={
            "function_ms": _r(function_ms),
            "baseline_ms": _r(baseline_ms),
            "bad_input_ms": _r(bad_ms),
            "bare_python_ms": _r(bare_ms),
            "no_bytecode_cache_function_ms": _r(compile_f_ms),
            "no_bytecode_cache_baseline_ms": _r(compile_b_ms),
            "function_handler_ms": _r([o["events"][0]["seconds"] * 1000 for o in function_out]),
            "function_modules_loaded": function_out[-1]["module_count"] if function_out else None,
            "bad_input_modules_loaded": bad_out[-1]["module_count"] if bad_out else None,
            "vod_calls": stats["vod_calls"],
        },
        notes=[
            f"runtime: {runtime.description}",
            f"every function run cancelled its job: {canceled_ok}; every job of the run cancelled: {compiled_ok}",
        ],
    )


def _cancel_plan(spec: dict[str, Any], tag: str, index: int, endpoints: dict[str, Any]) -> dict[str, Any]:
    """One MNS event cancelling one job (``tag``/``index``), reporting which SDK modules were imported."""
    message = json.dumps({"JobIds": [bench_job_id(tag, index)]})
    event = mns_event(message, f"{tag.upper()}{index:024d}", account=endpoints["account_id"])
    return {"context": spec, "events": [{"event": event}], "report_modules": SDK_PREFIXES}


def _r(values: list[float]) -> list[float]:
    return [round(v, 1) for v in values]
