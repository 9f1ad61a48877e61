"""Benchmark 1 — bulk cancel: 2,000 URL items from a manifest, VOD 100 ms slower, the 50 calls/s quota enforced by
each rule VOD might use (a sliding one-second window, a token bucket with a burst of 50).

Figure: items/s of the invocation on a warm instance, against the quota bound (50 calls/s × 10 items), under each
rule, for the function's learning limiter and, side by side in the same run, for a limiter that assumes the window
(bench/fixed_window.py). Every run is a fresh function process (its limiter knows nothing yet), warmed by a
one-item manifest and then left idle for 1.1 s so that the quota is whole again when the bulk invocation starts.
The four combinations take turns, ROUNDS times, so that load from elsewhere on the machine hits them alike; each
figure is the median of its runs. The naive loop of single-item SDK calls is measured on its first items only (at
~9 items/s all 2,000 would take minutes).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from bench.cloudproc import CloudProcess, bench_url
from bench.fcshape import context_spec, function_env, oss_event
from bench.measure import median, run_baseline, run_function
from bench.options import Options
from bench.report import BenchResult, Row

LATENCY_MS = 100
QUOTA_CALLS = 50
ITEMS_PER_CALL = 10
GOAL_OF_BOUND = 0.97
GOAL_VS_NAIVE = 4.5
ROUNDS = 3
RULES = {"window": "sliding window", "bucket": f"token bucket, burst {QUOTA_CALLS}"}
PACINGS = {"learning": "learning limiter", "fixed-window": "fixed-window limiter"}


@dataclass
class BulkRun:
    """One bulk invocation under one quota rule with one pacing."""

    rule: str
    pacing: str
    items: int
    seconds: float
    settled: int
    failed: int
    surfaced: int
    throttles: int
    complete: bool
    details: dict[str, Any]

    @property
    def rate(self) -> float:
        return self.items / self.seconds


def run(cloud: CloudProcess, options: Options) -> BenchResult:
    items = options.pick(2000, 1000)
    naive_items = options.pick(60, 25)
    rounds = options.pick(ROUNDS, 1)
    runs = [_bulk(cloud, options, items, rule, pacing) for _ in range(rounds) for rule in RULES for pacing in PACINGS]

    naive_setup = cloud.setup(latency_ms=LATENCY_MS, url_jobs=[{"tag": "naive", "count": naive_items}])
    e = cloud.endpoints
    naive = run_baseline(
        "naive",
        {"urls": [bench_url("naive", i) for i in range(naive_items)]},
        function_env(naive_setup, e),
        options.runtime,
    ).output
    naive_rate = naive["items"] / naive["seconds"]
    bound = QUOTA_CALLS * ITEMS_PER_CALL

    def of(rule: str, pacing: str) -> list[BulkRun]:
        return [r for r in runs if (r.rule, r.pacing) == (rule, pacing)]

    rows = []
    for rule, label in RULES.items():
        for pacing, pacing_label in PACINGS.items():
            rate = median([r.rate for r in of(rule, pacing)])
            goal = f"≥ {GOAL_OF_BOUND:.0%} of bound" if pacing == "learning" else ""
            met = rate / bound >= GOAL_OF_BOUND if pacing == "learning" else None
            rows.append(Row(f"items/s vs quota bound: {label}, {pacing_label}", rate, "items/s", bound,
                            "50 calls/s × 10", goal, met))  # fmt: skip
    for rule, label in RULES.items():
        for pacing, pacing_label in PACINGS.items():
            throttles = median([r.throttles for r in of(rule, pacing)])
            rows.append(Row(f"throttle answers per run (retried): {label}, {pacing_label}", throttles, "calls"))
    window_rate = median([r.rate for r in of("window", "learning")])
    rows += [
        Row("items/s vs naive loop (window, learning)", window_rate, "items/s", naive_rate,
            f"1 item/call, {naive['items']} items", f"≥ {GOAL_VS_NAIVE}×", window_rate / naive_rate >= GOAL_VS_NAIVE),
        Row("items with an outcome (all runs)", sum(r.settled for r in runs), "items", items * len(runs), "requested",
            "all", all(r.complete for r in runs)),
        Row("throttles surfacing as Failed (all runs)", sum(r.surfaced for r in runs), "items", None, "", "0",
            all(r.surfaced == 0 and r.failed == 0 for r in runs)),
        Row("cold first invocation (1 item)", runs[0].details["cold"]["seconds"] * 1000, "ms", None, "", "", None,
            "SDK imports + first call; see the cold-start table"),
    ]  # fmt: skip
    return BenchResult(
        "bulk",
        f"1. Bulk cancel — {items:,} URL items, +{LATENCY_MS} ms VOD latency, {QUOTA_CALLS} calls/s quota by each "
        f"rule (medians of {rounds} runs)",
        rows,
        details={
            "items": items,
            "runs": [
                {"rule": r.rule, "pacing": r.pacing, "seconds": r.seconds, "throttles": r.throttles, **r.details}
                for r in runs
            ],
            "naive": naive,
        },
        notes=[
            f"naive loop: {naive_rate:.1f} items/s over its first {naive['items']} items",
            f"each bulk invocation's wall time (quota bound {items / bound:.1f} s) and throttle answers, in run order: "
            + ", ".join(f"{r.rule}/{r.pacing} {r.seconds:.2f} s ({r.throttles})" for r in runs),
        ],
    )


def _bulk(cloud: CloudProcess, options: Options, items: int, rule: str, pacing: str) -> BulkRun:
    """One fresh function process: a one-item warm-up, 1.1 s idle, then the bulk manifest."""
    e = cloud.endpoints
    setup = cloud.setup(
        latency_ms=LATENCY_MS,
        quota_rule=rule,
        url_jobs=[{"tag": "bulk", "count": items}, {"tag": "warm", "count": 1}],
        manifests=[
            {"tag": "warm", "count": 1, "key": "cancel-requests/bench-warm.txt"},
            {"tag": "bulk", "count": items, "key": "cancel-requests/bench-bulk.txt"},
        ],
    )
    warm, bulk = setup["manifests"]
    plan = {
        "context": context_spec(setup, e),
        "pacing": pacing,
        "events": [
            {"label": "cold (1 item)", "event": _oss(warm, e), "pause_after_s": 1.1},
            {"label": "bulk", "event": _oss(bulk, e)},
        ],
    }
    cpu_before = _cloud_cpu(cloud)
    run_f = run_function(plan, function_env(setup, e), options.runtime)
    cloud_cpu = _cloud_cpu(cloud) - cpu_before
    cold_step, bulk_step = run_f.output["events"]
    stats = cloud.stats(timeline=True)
    result_doc = stats["results"].get("bench-000001", {})
    counts = bulk_step.get("counts") or {}
    published = result_doc.get("counts") or {}
    settled = sum(counts.get(k, 0) for k in ("Canceled", "NonExists", "NotCancellable", "Failed"))
    entries = result_doc.get("entries", {})
    return BulkRun(
        rule=rule,
        pacing=pacing,
        items=items,
        seconds=bulk_step["seconds"],
        settled=settled,
        failed=counts.get("Failed", 0),
        surfaced=sum(n for code, n in entries.items() if code.startswith("Failed:Throttling")),
        throttles=sum(n for code, n in stats["vod_errors"].items() if code.startswith("Throttling")),
        complete=settled == items
        and published.get("Requested") == items
        and result_doc.get("parts") == result_doc.get("part_count"),
        details={
            "bulk": bulk_step,
            "cold": cold_step,
            "peak_rss_mb": run_f.peak_rss_mb,
            "vod_calls": stats["vod_calls"],
            "vod_errors": stats["vod_errors"],
            "vod_timeline": _timeline(stats["vod_timeline"]),
            "published": result_doc,
            "cloud_cpu_s": round(cloud_cpu, 2),
        },
    )


def _timeline(calls: list[list[Any]]) -> dict[str, Any]:
    """When the bulk invocation's calls reached VOD (seconds from its first call), and where it throttled."""
    cancels = [c for c in calls if c[1] == "CancelUrlUploadJobs"][1:]  # the first is the warm-up's
    if not cancels:
        return {}
    t0 = cancels[0][0]
    accepted = [round(c[0] - t0, 3) for c in cancels if c[2] == 200]
    per_second = [sum(1 for t in accepted if s <= t < s + 1) for s in range(int(accepted[-1]) + 1)] if accepted else []
    return {
        "first_to_last_cancel_s": accepted[-1] if accepted else None,
        "accepted_per_second": per_second,
        "throttled_at_s": [round(c[0] - t0, 3) for c in cancels if c[3] and c[3].startswith("Throttling")],
        "last_call_s": round(calls[-1][0] - t0, 3),
    }


def _oss(manifest: dict[str, Any], e: dict[str, Any]) -> str:
    return oss_event(manifest["bucket"], manifest["key"], manifest["size"], manifest["etag"], e["region"],
                     e["account_id"])  # fmt: skip


def _cloud_cpu(cloud: CloudProcess) -> float:
    import psutil

    times = psutil.Process(cloud.pid).cpu_times()
    return times.user + times.system


if __name__ == "__main__":  # a quick look without the table machinery
    from bench.report import render

    with CloudProcess() as c:
        started = time.perf_counter()
        print(render(run(c, Options(quick=False))))
        print(f"({time.perf_counter() - started:.1f} s)")
