"""Benchmark 5 — scale (opt-in: ``--only scale``): a 1,000,000-line manifest end to end through the local cloud.

The manifest (unknown job IDs, 33 bytes a line: ~31 MiB) is uploaded into the manifest bucket, so the OSS trigger
invokes the function in the local FC, which runs the code package under Python 3.10 in instance processes of its
own. The VOD quota is raised to 5,000 calls/s (in the local VOD and in the function's configuration) and the
function timeout set to 60 s, so the request outlasts one invocation and continues through FC 3.0's own async
InvokeFunction until it is done. Measured from outside: wall time from the upload to the last invocation's end,
each invocation's peak RSS (the instance process's kernel high-water mark, read by the local FC's worker), how many
invocations it took, and whether every item was reported exactly once across all published parts.
"""

from __future__ import annotations

from bench.cloudproc import CloudProcess
from bench.options import Options
from bench.report import BenchResult, Row

QUOTA_CALLS = 5000
ITEMS_PER_CALL = 10
TIMEOUT_S = 60
GOAL_RSS_MB = 128.0


def run(cloud: CloudProcess, options: Options) -> BenchResult:
    count = options.pick(1_000_000, 100_000)
    report = cloud.call(
        "/scale",
        {
            "count": count,
            "timeout_s": TIMEOUT_S,
            "quotas": {"CancelUrlUploadJobs": QUOTA_CALLS},
            "env": {"VOD_CANCEL_QPS": str(QUOTA_CALLS)},
        },
        timeout=4000,
    )
    items, invocations = report["items"], report["invocations"]
    exactly_once = items["reported_once"] == count and not items["reported_twice_or_more"] and not items["missing"]
    peak = max((i["peak_rss_mb"] or 0.0) for i in invocations)
    bound_s = count / (QUOTA_CALLS * ITEMS_PER_CALL)
    requests = {i["request_id"] for i in invocations}
    failed = [i for i in invocations if i["status"] != "succeeded"]
    rows = [
        Row(f"{count:,} items: each in exactly one outcome", items["reported_once"], "items", count, "requested",
            "all", exactly_once and items["parts_contiguous"] and not failed),
        Row("peak RSS, largest invocation", peak, "MB", None, "", f"≤ {GOAL_RSS_MB:.0f} MB", peak <= GOAL_RSS_MB),
        Row("invocations (the OSS event's + continuations)", len(requests), "", None, "", "", None,
            f"{len(invocations)} attempts; {TIMEOUT_S} s function timeout"),
        Row("wall time, upload to last invocation's end", report["wall_s"], "s", bound_s,
            f"quota bound at {QUOTA_CALLS:,} calls/s", "", None),
        Row("items/s", count / report["wall_s"], "items/s", QUOTA_CALLS * ITEMS_PER_CALL, "quota bound", "", None),
        Row("results parts published", items["parts"], "parts", None, "", "", None),
    ]  # fmt: skip
    return BenchResult(
        "scale",
        f"5. Scale — {count:,}-line manifest ({report['manifest_bytes'] / 2**20:.1f} MiB) through the OSS trigger, "
        "continued across invocations",
        rows,
        details={"invocations": invocations, "items": items, "vod_calls": report["vod_calls"]},
    )
