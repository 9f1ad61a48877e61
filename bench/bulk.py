"""Benchmark 1 — bulk cancel: 2,000 URL items from a manifest, VOD 100 ms slower, the 50 calls/s quota enforced.

Figure: items/s of the invocation on a warm instance, against the quota bound (50 calls/s × 10 items) and against
a naive loop of single-item SDK calls on the same cloud. The instance is warmed by a one-item manifest, then left
idle for 1.1 s so that the quota's trailing one-second window is empty again when the bulk invocation starts.
The naive loop's rate is measured on the first items only (at ~9 items/s all 2,000 would take minutes).
"""

from __future__ import annotations

import time
from typing import Any

from bench.cloudproc import CloudProcess, bench_url
from bench.fcshape import context_spec, function_env, oss_event
from bench.measure import run_baseline, run_function
from bench.options import Options
from bench.report import BenchResult, Row

LATENCY_MS = 100
QUOTA_CALLS = 50
ITEMS_PER_CALL = 10
GOAL_OF_BOUND = 0.95
GOAL_VS_NAIVE = 4.5


def run(cloud: CloudProcess, options: Options) -> BenchResult:
    items = options.pick(2000, 1000)
    naive_items = options.pick(60, 25)
    e = cloud.endpoints
    setup = cloud.setup(
        latency_ms=LATENCY_MS,
        url_jobs=[{"tag": "bulk", "count": items}, {"tag": "warm", "count": 1}],
        manifests=[
            {"tag": "warm", "count": 1, "key": "cancel-requests/bench-warm.txt"},
            {"tag": "bulk", "count": items, "key": "cancel-requests/bench-bulk.txt"},
        ],
    )
    warm, bulk = setup["manifests"]
    plan = {
        "context": context_spec(setup, e),
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

    naive_setup = cloud.setup(latency_ms=LATENCY_MS, url_jobs=[{"tag": "naive", "count": naive_items}])
    naive = run_baseline(
        "naive",
        {"urls": [bench_url("naive", i) for i in range(naive_items)]},
        function_env(naive_setup, e),
        options.runtime,
    ).output

    rate = items / bulk_step["seconds"]
    naive_rate = naive["items"] / naive["seconds"]
    bound = QUOTA_CALLS * ITEMS_PER_CALL
    counts = bulk_step.get("counts") or {}
    settled = sum(counts.get(k, 0) for k in ("Canceled", "NonExists", "NotCancellable", "Failed"))
    published = result_doc.get("counts") or {}
    entries = result_doc.get("entries", {})
    surfaced = sum(n for code, n in entries.items() if code.startswith("Failed:Throttling"))
    throttles = sum(n for code, n in stats["vod_errors"].items() if code.startswith("Throttling"))
    complete = (
        settled == items
        and published.get("Requested") == items
        and result_doc.get("parts") == result_doc.get("part_count")
    )
    rows = [
        Row("items/s vs quota bound", rate, "items/s", bound, "50 calls/s × 10", f"≥ {GOAL_OF_BOUND:.0%} of bound",
            rate / bound >= GOAL_OF_BOUND),
        Row("items/s vs naive loop", rate, "items/s", naive_rate, f"1 item/call, {naive['items']} items",
            f"≥ {GOAL_VS_NAIVE}×", rate / naive_rate >= GOAL_VS_NAIVE),
        Row("items with an outcome", settled, "items", items, "requested", "all", complete),
        Row("throttles surfacing as Failed", surfaced, "items", None, "", "0",
            surfaced == 0 and counts.get("Failed") == 0),
        Row("throttle answers (retried)", throttles, "calls", None, "", "", None, "retried inside the function"),
        Row("bulk invocation wall time", bulk_step["seconds"], "s", items / bound, "quota bound", "", None),
        Row("cold first invocation (1 item)", cold_step["seconds"] * 1000, "ms", None, "", "", None,
            "SDK imports + first call; see the cold-start table"),
    ]  # fmt: skip
    return BenchResult(
        "bulk",
        f"1. Bulk cancel — {items:,} URL items, +{LATENCY_MS} ms VOD latency, {QUOTA_CALLS} calls/s quota",
        rows,
        details={
            "items": items,
            "function": {"bulk": bulk_step, "cold": cold_step, "peak_rss_mb": run_f.peak_rss_mb},
            "vod_calls": stats["vod_calls"],
            "vod_errors": stats["vod_errors"],
            "vod_timeline": _timeline(stats["vod_timeline"]),
            "published": result_doc,
            "naive": naive,
            "cloud_cpu_s": round(cloud_cpu, 2),
            "cloud_cpu_share_of_bulk": round(cloud_cpu / max(run_f.wall_s, 1e-9), 3),
        },
        notes=[
            f"naive loop: {naive_rate:.1f} items/s over its first {naive['items']} items; "
            f"local cloud used {cloud_cpu:.1f} s CPU over the {run_f.wall_s:.1f} s function process",
        ],
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
