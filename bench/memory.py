"""Benchmark 3 — memory: a 100,000-URL manifest from the local OSS, quotas raised tenfold (500 cancels/s) so it
finishes quickly.

The function runs cold in a fresh process (as an FC instance would for a big manifest) and its peak RSS is read
from outside: the kernel's high-water mark for that process (``wait4`` → ``ru_maxrss``), threads, interpreter and
SDKs included. The baseline is the same function handling a 1,000-URL manifest, so the ratio shows how memory grows
with the manifest; a third process that only imports the handler and the SDKs shows the fixed floor.
"""

from __future__ import annotations

from typing import Any

from bench.cloudproc import CloudProcess
from bench.fcshape import context_spec, function_env, oss_event
from bench.measure import ProcessRun, run_function, run_process
from bench.options import Options
from bench.report import BenchResult, Row

GOAL_MB = 96.0
RAISED_QUOTAS = {"CancelUrlUploadJobs": 500, "GetURLUploadInfos": 1000}  # 10× VOD's defaults, in the cloud...
FUNCTION_QPS = {"VOD_CANCEL_QPS": "500", "VOD_INFO_QPS": "1000"}  # ... and in the function's configuration
SDK_FLOOR = "import handler, lib.invocation, lib.vod, lib.notify, lib.manifest, alibabacloud_vod20170321.client, \
alibabacloud_vod20170321.models, mns.account, mns.topic, alibabacloud_oss_v2"


def run(cloud: CloudProcess, options: Options) -> BenchResult:
    big, small = options.pick(100_000, 20_000), 1_000
    big_run, big_stats = _one(cloud, options, "mem", big)
    small_run, small_stats = _one(cloud, options, "mem-small", small)
    setup = cloud.setup()
    floor = run_process(options.runtime.code(SDK_FLOOR), function_env(setup, cloud.endpoints), runtime=options.runtime)

    per_item = (big_run.peak_rss_mb - small_run.peak_rss_mb) * 2**20 / (big - small)
    ok = _all_settled(big_run, big_stats, big) and _all_settled(small_run, small_stats, small)
    handler_s = big_run.output["events"][0]["seconds"]
    rows = [
        Row(f"peak RSS, {big:,} items", big_run.peak_rss_mb, "MB", small_run.peak_rss_mb, f"{small:,} items",
            f"≤ {GOAL_MB:.0f} MB", big_run.peak_rss_mb <= GOAL_MB and ok),
        Row("growth per extra item", per_item, "bytes", None, "", "", None,
            "nothing is held per item: what grows is caches and buffers that reach their size"),
        Row("fixed floor: interpreter + handler + SDK imports", floor.peak_rss_mb, "MB", None, "", "", None),
        Row(f"{big:,} items: invocation time", handler_s, "s", big / 5000, "quota bound at 500 calls/s", "", None),
        Row(f"{big:,} items: items with an outcome", _settled(big_run), "items", big, "requested", "all", ok),
    ]  # fmt: skip
    return BenchResult(
        "memory",
        f"3. Memory — {big:,}-URL manifest from OSS, whole function process peak RSS (from outside)",
        rows,
        details={
            "big": _details(big_run, big_stats),
            "small": _details(small_run, small_stats),
            "sdk_floor_mb": round(floor.peak_rss_mb, 1),
        },
    )


def _one(cloud: CloudProcess, options: Options, tag: str, count: int) -> tuple[ProcessRun, dict[str, Any]]:
    e = cloud.endpoints
    setup = cloud.setup(
        quotas=RAISED_QUOTAS,
        url_jobs=[{"tag": tag, "count": count}],
        manifests=[{"tag": tag, "count": count, "key": f"cancel-requests/bench-{tag}.txt"}],
    )
    manifest = setup["manifests"][0]
    event = oss_event(manifest["bucket"], manifest["key"], manifest["size"], manifest["etag"], e["region"],
                      e["account_id"])  # fmt: skip
    plan = {"context": context_spec(setup, e), "events": [{"label": tag, "event": event}]}
    run = run_function(plan, function_env(setup, e, **FUNCTION_QPS), options.runtime, sample_every_s=0.05)
    return run, cloud.stats()


def _settled(run: ProcessRun) -> int:
    counts = run.output["events"][0].get("counts") or {}
    return sum(counts.get(k, 0) for k in ("Canceled", "NonExists", "NotCancellable", "Failed"))


def _all_settled(run: ProcessRun, stats: dict[str, Any], count: int) -> bool:
    published = stats["results"].get("bench-000000", {})
    counts = published.get("counts") or {}
    return (
        _settled(run) == count
        and counts.get("Canceled") == count
        and published.get("parts") == published.get("part_count")
    )


def _details(run: ProcessRun, stats: dict[str, Any]) -> dict[str, Any]:
    step = max(1, len(run.rss_timeline) // 60)
    return {
        "peak_rss_mb": round(run.peak_rss_mb, 1),
        "wall_s": round(run.wall_s, 2),
        "event": run.output["events"][0],
        "rss_timeline_mb": [(round(t, 2), round(mb, 1)) for t, mb in run.rss_timeline[::step]],
        "vod_calls": stats["vod_calls"],
        "published": stats["results"].get("bench-000000"),
    }
