"""Benchmark 4 — per-event overhead: a stream of single-item MNS events through one warm function process.

The function (``handler.handler`` called in-process with an FC-shaped context, one event after another) against
a loop of raw SDK calls doing the same work per event (cancel one job, publish one message), clients reused, in a
process of its own, on the same cloud. No added latency, and the quota lifted on both sides (the cloud's and the
function's own pacer): at 50 calls/s both would just measure the quota.

Both processes stay warm and run blocks of events in turn (function, baseline, function, ...), after one
warm-up block each. A busy machine only ever slows a block down, so the figure is each side's best block; the
medians are in the JSON.
"""

from __future__ import annotations

import json
import statistics

from bench.cloudproc import CloudProcess, bench_job_id
from bench.fcshape import context_spec, function_env, mns_event
from bench.measure import BASELINES, FUNCPROC, StreamProcess
from bench.options import Options
from bench.report import BenchResult, Row

GOAL_RATIO = 0.8
UNLIMITED = {"CancelUrlUploadJobs": None, "GetURLUploadInfos": None}
FUNCTION_QPS = {"VOD_CANCEL_QPS": "100000", "VOD_INFO_QPS": "100000"}


def run(cloud: CloudProcess, options: Options) -> BenchResult:
    rounds, block = options.pick(20, 6), 50
    events = (rounds + 1) * block  # +1: the warm-up block
    e = cloud.endpoints
    setup = cloud.setup(quotas=UNLIMITED, id_jobs=[{"tag": "ov-f", "count": events}, {"tag": "ov-b", "count": events}])
    plan = {
        "context": context_spec(setup, e),
        "events": [
            {"event": mns_event(json.dumps({"JobIds": [job]}), f"OV{i:030d}", account=e["account_id"])}
            for i, job in enumerate(bench_job_id("ov-f", i) for i in range(events))
        ],
    }
    function_blocks, baseline_blocks = [], []
    with (
        StreamProcess(
            [FUNCPROC, "--stream"], plan, function_env(setup, e, **FUNCTION_QPS), options.runtime
        ) as function,
        StreamProcess(
            [BASELINES, "loop-stream"],
            {"job_ids": [bench_job_id("ov-b", i) for i in range(events)]},
            function_env(setup, e),
            options.runtime,
        ) as baseline,
    ):
        function.block(block)  # warm-up: imports, clients, first connections
        baseline.block(block)
        for _ in range(rounds):
            function_blocks.append(function.block(block))
            baseline_blocks.append(baseline.block(block))

    def rate(b: dict) -> float:
        return b["events"] / b["seconds"]

    best, base_best = max(map(rate, function_blocks)), max(map(rate, baseline_blocks))
    median_ratio = statistics.median(rate(f) / rate(b) for f, b in zip(function_blocks, baseline_blocks, strict=True))
    cpu = min(b["cpu_seconds"] / b["events"] for b in function_blocks)
    base_cpu = min(b["cpu_seconds"] / b["events"] for b in baseline_blocks)
    canceled_all = all(b["canceled"] == b["events"] and not b["problems"] for b in function_blocks)
    rows = [
        Row("events/s, one warm process", best, "events/s", base_best, "raw SDK cancel + publish",
            f"≥ {GOAL_RATIO}×", best / base_best >= GOAL_RATIO and canceled_all),
        Row("time per event", 1000 / best, "ms", 1000 / base_best, "raw SDK", "", None),
        Row("overhead per event", 1000 / best - 1000 / base_best, "ms", None, "", "", None,
            "function minus raw SDK calls"),
        Row("CPU per event (this process)", cpu * 1000, "ms", base_cpu * 1000, "raw SDK", "", None),
        Row("events/s ratio, median of paired blocks", median_ratio, "×", None, "", "", None,
            "each function block against the baseline block right after it"),
    ]  # fmt: skip
    return BenchResult(
        "overhead",
        f"4. Per-event overhead — single-item MNS events, one warm process, best of {rounds} interleaved blocks of "
        f"{block}, no added latency",
        rows,
        details={
            "function_blocks_events_per_s": [round(rate(b), 1) for b in function_blocks],
            "baseline_blocks_events_per_s": [round(rate(b), 1) for b in baseline_blocks],
            "median_ratio": round(median_ratio, 3),
            "function_problems": [b["problems"] for b in function_blocks if b["problems"]],
        },
    )
