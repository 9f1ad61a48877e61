"""Baselines: what a user could write with the official SDKs alone. ``python bench/baselines.py MODE PLAN OUT``.

Run as a script in the same runtime as the function (bench/runtime.py: by default the code package's copies of
the SDKs under the runtime's Python); PLAN's ``sys_path`` goes first on ``sys.path``.

- ``cold``: the minimal script (import the VOD client, one cancel call, one MNS publish) — run as a fresh
  process, its wall time is the cold-start baseline. SDK imports are deliberately at the point of use and
  nothing else is imported, so it is as small as such a script gets.
- ``naive``: a naive bulk cancel: one CancelUrlUploadJobs call per URL, one after another, no retries.
- ``loop-stream``: raw SDK cancel + publish per event, clients reused, in blocks on command: the per-event
  overhead baseline.

Endpoints and credentials come from the same environment variables the function gets.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any


def _vod_client() -> Any:
    from alibabacloud_tea_openapi.models import Config
    from alibabacloud_vod20170321.client import Client

    return Client(
        Config(
            access_key_id=os.environ["ALIBABA_CLOUD_ACCESS_KEY_ID"],
            access_key_secret=os.environ["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
            security_token=os.environ["ALIBABA_CLOUD_SECURITY_TOKEN"],
            endpoint=os.environ["VOD_ENDPOINT"].split("://", 1)[-1],
            protocol="http",
            region_id=os.environ["FC_REGION"],
        )
    )


def _mns_topic() -> Any:
    from mns.account import Account

    account = Account(
        os.environ["MNS_ENDPOINT"],
        os.environ["ALIBABA_CLOUD_ACCESS_KEY_ID"],
        os.environ["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
        security_token=os.environ["ALIBABA_CLOUD_SECURITY_TOKEN"],
    )
    return account.get_topic(os.environ["NOTIFY_TOPIC"])


def cold(plan: dict[str, Any]) -> dict[str, Any]:
    from alibabacloud_vod20170321.models import CancelUrlUploadJobsRequest

    body = _vod_client().cancel_url_upload_jobs(CancelUrlUploadJobsRequest(job_ids=plan["job_id"])).body
    from mns.topic import TopicMessage

    _mns_topic().publish_message(TopicMessage(json.dumps({"CanceledJobs": body.canceled_jobs or []}), "ok"))
    return {"canceled": body.canceled_jobs or []}


def naive(plan: dict[str, Any]) -> dict[str, Any]:
    from urllib.parse import quote

    from alibabacloud_vod20170321.models import CancelUrlUploadJobsRequest

    client = _vod_client()
    outcomes = {"canceled": 0, "non_exists": 0, "other": 0, "failed": 0}
    started = time.perf_counter()
    for url in plan["urls"]:
        try:
            body = client.cancel_url_upload_jobs(CancelUrlUploadJobsRequest(upload_urls=quote(url))).body
        except Exception:  # naive: no retries, the item just fails
            outcomes["failed"] += 1
            continue
        if body.canceled_jobs:
            outcomes["canceled"] += 1
        elif body.non_exists:
            outcomes["non_exists"] += 1
        else:
            outcomes["other"] += 1
    return {"seconds": time.perf_counter() - started, "items": len(plan["urls"]), "outcomes": outcomes}


def loop_stream(plan: dict[str, Any], result_fd: int) -> None:
    """Raw SDK cancel + publish per event, clients reused, in blocks on command (as ``funcproc.py --stream``)."""
    from alibabacloud_vod20170321.models import CancelUrlUploadJobsRequest
    from mns.topic import TopicMessage

    client, topic = _vod_client(), _mns_topic()

    def one(job_id: str) -> int:
        body = client.cancel_url_upload_jobs(CancelUrlUploadJobsRequest(job_ids=job_id)).body
        canceled = body.canceled_jobs or []
        topic.publish_message(TopicMessage(json.dumps({"JobId": job_id, "CanceledJobs": canceled}), "ok"))
        return len(canceled)

    jobs = iter(plan["job_ids"])
    with open(result_fd, "w", encoding="utf-8") as results:
        for line in sys.stdin:
            batch = [next(jobs) for _ in range(int(line))]
            started, cpu_started = time.perf_counter(), time.process_time()
            canceled = sum(one(job_id) for job_id in batch)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
            block = {"events": len(batch), "seconds": seconds, "cpu_seconds": cpu, "canceled": canceled}
            results.write(json.dumps(block) + "\n")
            results.flush()


def main(argv: list[str]) -> int:
    mode, plan_path, out = argv[1], argv[2], argv[3]
    with open(plan_path, encoding="utf-8") as plan_file:
        plan = json.load(plan_file)
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [*plan.get("sys_path", []), *(p for p in sys.path if os.path.abspath(p or ".") != here)]
    if mode == "loop-stream":
        loop_stream(plan, int(out))
        return 0
    result = {"cold": cold, "naive": naive}[mode](plan)
    with open(out, "w", encoding="utf-8") as out_file:
        json.dump(result, out_file)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
