"""Benchmark 2 — cold start: fresh processes, from exec to exit, against the running local cloud.

- The function: a fresh ``python -m bench.funcproc`` imports ``handler`` and handles one MNS event (one job ID)
  end to end: VOD cancel, results published to MNS.
- The baseline: a fresh ``python -m bench.baselines cold``: the minimal official-SDK script (import the VOD client,
  one cancel call, one MNS publish).
- The bad-input path: a fresh function process handling an HTTP event whose body is not JSON (→ 400); it must not
  import any SDK, which the process checks in ``sys.modules`` and reports.

Function and baseline runs alternate so drift on the machine hits both alike; one unmeasured run of each warms
the page cache first. Median and p90 of ``repeat`` runs.
"""

from __future__ import annotations

import json
import sys
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
    setup = cloud.setup(id_jobs=[{"tag": "cold-f", "count": repeat + 1}, {"tag": "cold-b", "count": repeat + 1}])
    env = function_env(setup, e)
    spec = context_spec(setup, e)

    function_ms: list[float] = []
    baseline_ms: list[float] = []
    bad_ms: list[float] = []
    bare_ms: list[float] = []
    function_out: list[Any] = []
    bad_out: list[Any] = []
    for index in range(repeat + 1):
        job_f, job_b = bench_job_id("cold-f", index), bench_job_id("cold-b", index)
        message = json.dumps({"JobIds": [job_f]})
        run_f = run_function(
            {"context": spec, "events": [{"event": mns_event(message, f"COLD{index:028d}", account=e["account_id"])}],
             "report_modules": SDK_PREFIXES},
            env,
        )  # fmt: skip
        run_b = run_baseline("cold", {"job_id": job_b}, env)
        run_bad = run_function(
            {"context": spec, "events": [{"event": http_event("this is not JSON {")}], "report_modules": SDK_PREFIXES},
            env,
        )
        run_bare = run_process(["-c", "pass"], env)
        if index == 0:
            continue  # warms the page cache; not counted
        function_ms.append(run_f.wall_s * 1000)
        baseline_ms.append(run_b.wall_s * 1000)
        bad_ms.append(run_bad.wall_s * 1000)
        bare_ms.append(run_bare.wall_s * 1000)
        function_out.append(run_f.output)
        bad_out.append(run_bad.output)

    stats = cloud.stats()
    f_med, b_med, bad_med = median(function_ms), median(baseline_ms), median(bad_ms)
    canceled_ok = all(o["events"][0].get("counts", {}).get("Canceled") == 1 for o in function_out)
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
            "function_handler_ms": _r([o["events"][0]["seconds"] * 1000 for o in function_out]),
            "function_modules_loaded": function_out[-1]["module_count"] if function_out else None,
            "bad_input_modules_loaded": bad_out[-1]["module_count"] if bad_out else None,
            "vod_calls": stats["vod_calls"],
        },
        notes=[f"python {sys.version.split()[0]}; every function run cancelled its job: {canceled_ok}"],
    )


def _r(values: list[float]) -> list[float]:
    return [round(v, 1) for v in values]
