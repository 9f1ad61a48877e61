"""The local cloud alone: how many requests it serves, so we know the benchmarks measure the function, not it.

A client process of its own (``python -m bench.cloudspeed PLAN OUT``) drives the local VOD with N threads, each
with its own official SDK client, for a fixed time (CancelUrlUploadJobs on an unknown job: the full path of
auth, quota and lookup, no state change), then MNS PublishMessage with one thread. The cloud's CPU time per request
comes from its process's CPU counters. The client's own cost (the SDK signing and parsing) is part of the figure,
as it is in every benchmark.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import Any

from bench.cloudproc import CloudProcess
from bench.fcshape import function_env
from bench.measure import run_process
from bench.options import Options
from bench.report import BenchResult, Row

UNLIMITED = {"CancelUrlUploadJobs": None, "GetURLUploadInfos": None}
BULK_NEEDS = 100.0  # calls/s at the quota: 50 CancelUrlUploadJobs + 50 GetURLUploadInfos
GOAL_HEADROOM = 3.0


def run(cloud: CloudProcess, options: Options) -> BenchResult:
    import psutil

    seconds = options.pick(2.0, 1.0)
    setup = cloud.setup(quotas=UNLIMITED)
    env = function_env(setup, cloud.endpoints)
    cloud_process = psutil.Process(cloud.pid)
    rows: list[Row] = []
    details: dict[str, Any] = {}
    for threads in (1, 4, 16):
        out = _drive(cloud_process, env, {"mode": "vod", "threads": threads, "seconds": seconds})
        details[f"vod_{threads}"] = out
        goal = threads == 16
        rows.append(
            Row(
                f"VOD calls/s, {threads} client thread{'s' * (threads > 1)}",
                out["rate"],
                "calls/s",
                BULK_NEEDS,
                "bulk needs at the quota",
                f"≥ {GOAL_HEADROOM:.0f}×" if goal else "",
                out["rate"] >= GOAL_HEADROOM * BULK_NEEDS if goal else None,
                f"cloud CPU {out['cloud_cpu_ms_per_call']:.2f} ms/call",
            )
        )
    out = _drive(cloud_process, env, {"mode": "mns", "threads": 1, "seconds": seconds})
    details["mns_1"] = out
    rows.append(Row("MNS publishes/s, 1 client thread", out["rate"], "calls/s", None, "", "", None,
                    f"cloud CPU {out['cloud_cpu_ms_per_call']:.2f} ms/call"))  # fmt: skip
    for key in ("vod_1", "mns_1"):
        rows.append(Row(f"cloud CPU per call ({key.split('_')[0].upper()})", details[key]["cloud_cpu_ms_per_call"],
                        "ms", None, "", "", None))  # fmt: skip
    return BenchResult("cloud", "0. The local cloud alone — requests it serves (client in its own process)", rows,
                       details=details)  # fmt: skip


def _drive(cloud_process: Any, env: dict[str, str], plan: dict[str, Any]) -> dict[str, Any]:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        plan_path, out_path = Path(tmp, "plan.json"), Path(tmp, "out.json")
        plan_path.write_text(json.dumps(plan))
        before = cloud_process.cpu_times()
        run_process(["-m", "bench.cloudspeed", str(plan_path), str(out_path)], env)
        after = cloud_process.cpu_times()
        out = json.loads(out_path.read_text())
    cpu = (after.user + after.system) - (before.user + before.system)
    out["cloud_cpu_s"] = round(cpu, 3)
    out["cloud_cpu_ms_per_call"] = cpu * 1000 / max(1, out["calls"] + out.get("warmup_calls", 0))
    return out


# -- the client process -------------------------------------------------------------------------------------------
def _client_main(argv: list[str]) -> int:
    from bench.baselines import _mns_topic, _vod_client

    with open(argv[1], encoding="utf-8") as plan_file:
        plan = json.load(plan_file)
    threads, seconds = int(plan["threads"]), float(plan["seconds"])
    counts = [0] * threads
    errors = [0] * threads
    start = threading.Barrier(threads + 1)
    stop = threading.Event()

    if plan["mode"] == "vod":
        from alibabacloud_vod20170321.models import CancelUrlUploadJobsRequest

        def call(client: Any) -> None:
            client.cancel_url_upload_jobs(CancelUrlUploadJobsRequest(job_ids="0" * 32))

        make = _vod_client
    else:
        from mns.topic import TopicMessage

        def call(client: Any) -> None:
            client.publish_message(TopicMessage('{"bench": true}', "ok"))

        make = _mns_topic

    def worker(index: int) -> None:
        client = make()
        call(client)  # connection and first-call costs stay out of the figure
        start.wait()
        while not stop.is_set():
            try:
                call(client)
                counts[index] += 1
            except Exception:
                errors[index] += 1

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    start.wait()
    began = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - began
    result = {"calls": sum(counts), "errors": sum(errors), "seconds": elapsed, "rate": sum(counts) / elapsed,
              "warmup_calls": threads, **plan}  # fmt: skip
    with open(argv[2], "w", encoding="utf-8") as out_file:
        json.dump(result, out_file)
    return 0


if __name__ == "__main__":
    sys.exit(_client_main(sys.argv))
