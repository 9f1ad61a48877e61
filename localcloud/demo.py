"""``make demo``: the whole product on the local cloud, narrated for a newcomer.

Starts the local cloud from ``s.yaml`` — the function runs from its code package under the runtime's Python, as
deployed —, seeds VOD URL-upload jobs (pending ones and some that already started), subscribes a queue to the
results topic (as a downstream consumer would), then sends one cancel request through each door — a manifest
dropped into OSS, a message published on the request topic, an HTTP POST — all with the official SDKs, and
finally shows what landed on the results topic and the final job states.

The jobs, the manifest and the request bodies are the ones in ``events/``, so ``python -m localcloud invoke
events/<file>.json`` shows the same cancels one trigger at a time (``seed_demo`` is what it seeds).
"""

from __future__ import annotations

import json
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localcloud.cloud import LocalCloud

PROJECT_DIR = Path(__file__).resolve().parent.parent
EVENTS_DIR = PROJECT_DIR / "events"
MANIFEST_BUCKET = "vod-cancel-manifests"
MANIFEST_KEY = "cancel-requests/batch-001.txt"
REQUEST_TOPIC = "vod-cancel-requests"
RESULTS_TOPIC = "vod-cancel-results"
CONSUMER_QUEUE = "demo-results-consumer"

MANIFEST = (EVENTS_DIR / "requests" / "batch-001.txt").read_text(encoding="utf-8")
"""The sample manifest: what ``events/oss-manifest.json`` names, and what ``vodcancel cancel`` can send."""


@dataclass(frozen=True)
class DemoJob:
    job_id: str
    url: str
    status: str
    note: str


DEMO_JOBS = (
    # cancelled through the OSS manifest
    DemoJob("0e1d2c3b4a5968778695a4b3c2d1e0f1", "https://media.example.com/raw/ep01.mp4", "PENDING", "manifest"),
    DemoJob(
        "0e1d2c3b4a5968778695a4b3c2d1e0f2",
        "https://media.example.com/raw/ep02 final, v2.mp4",
        "PENDING",
        "manifest (comma + space in URL)",
    ),
    DemoJob(
        "0e1d2c3b4a5968778695a4b3c2d1e0f3",
        "https://media.example.com/raw/ep03.mp4",
        "PROCESSING",
        "manifest (already started)",
    ),
    DemoJob(
        "1f0e9d8c7b6a59483726150493827160", "https://media.example.com/raw/ep04.mp4", "PENDING", "manifest (by job ID)"
    ),
    # cancelled through the MNS message (events/mns-json.json)
    DemoJob("a1b2c3d4e5f60718293a4b5c6d7e8f90", "https://media.example.com/trailers/teaser.mp4", "PENDING", "MNS"),
    DemoJob(
        "2a3b4c5d6e7f80910a1b2c3d4e5f6071",
        "https://media.example.com/trailers/summer, 2026 (final).mp4",
        "PENDING",
        "MNS (by URL)",
    ),
    # cancelled through the HTTP trigger (events/http-post.json)
    DemoJob(
        "e5f60718293a4b5c6d7e8f90a1b2c3d4",
        "https://media.example.com/promo/cut-a.mp4",
        "SUCCESS",
        "HTTP (already uploaded)",
    ),
    DemoJob(
        "3b4c5d6e7f80910a1b2c3d4e5f607182",
        "https://media.example.com/promo/春季 promo.mp4",
        "PENDING",
        "HTTP (non-ASCII URL)",
    ),
    # the other samples (events/mns-stream.json, events/mns-stream-attrs.json)
    DemoJob("b2c3d4e5f60718293a4b5c6d7e8f90a1", "https://media.example.com/clips/s1.mp4", "PENDING", "sample"),
    DemoJob("c3d4e5f60718293a4b5c6d7e8f90a1b2", "https://media.example.com/clips/s2.mp4", "PENDING", "sample"),
    DemoJob("4c5d6e7f80910a1b2c3d4e5f60718293", "https://media.example.com/clips/café & bar.mp4", "PENDING", "sample"),
    DemoJob("5d6e7f80910a1b2c3d4e5f60718293a4", "https://media.example.com/clips/100%25+real.mp4", "PENDING", "sample"),
    DemoJob("d4e5f60718293a4b5c6d7e8f90a1b2c3", "https://media.example.com/clips/s3.mp4", "PENDING", "sample"),
    # not in any request: must stay pending
    DemoJob(
        "6e7f80910a1b2c3d4e5f60718293a4b5", "https://media.example.com/raw/keep-me.mp4", "PENDING", "not requested"
    ),
)


def seed_demo(cloud: LocalCloud, *, with_manifest: bool = True) -> None:
    """Seed the demo jobs into VOD and the sample manifest into OSS (state only: no notification fires, so
    ``invoke events/oss-manifest.json`` is the one invocation that reads it)."""
    from localcloud.oss.models import ObjectInput

    for job in DEMO_JOBS:
        cloud.vod.seed_job(job.url, status=job.status, job_id=job.job_id)
    cloud.oss.create_bucket(MANIFEST_BUCKET)
    if with_manifest:
        cloud.oss.store(MANIFEST_BUCKET, MANIFEST_KEY, MANIFEST.encode(), ObjectInput("text/plain"), request_id="seed")


# -- presentation ------------------------------------------------------------------------------------------------
def _heading(text: str) -> None:
    print(f"\n\033[1m== {text}\033[0m" if sys.stdout.isatty() else f"\n== {text}")


def _table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> None:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=False)]
    for index, row in enumerate([header, *rows]):
        print("  " + "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=False)))
        if index == 0:
            print("  " + "  ".join("-" * width for width in widths))


def _short(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _describe_results(document: dict[str, Any]) -> None:
    counts = document.get("Counts", {})
    print(
        f"  Source={document.get('Source')}  DedupeKey={_short(str(document.get('DedupeKey')), 50)}  "
        f"Part {document.get('Part', 1)}/{document.get('PartCount', 1)}"
    )
    if "Error" in document:
        print(f"  rejected: {document['Error']['Code']}: {document['Error']['Message']}")
        return
    print("  counts: " + ", ".join(f"{name} {value}" for name, value in counts.items()))
    by_url = {job_id for entry in document.get("CanceledUrls", []) for job_id in entry["JobIds"]}
    for job_id in document.get("CanceledJobs", []):
        if job_id not in by_url:
            print(f"    cancelled       {job_id}")
    for entry in document.get("CanceledUrls", []):
        print(f"    cancelled URL   {_short(entry['UploadUrl'])} -> {', '.join(entry['JobIds'])}")
    for item in document.get("NonExists", []):
        print(f"    not found       {_short(item)}")
    for entry in document.get("NotCancellable", []):
        print(f"    not cancellable {_short(entry['Item'])} (status {entry['Status']})")
    for entry in document.get("Failed", []):
        print(f"    failed          {_short(entry['Item'])}: {entry['Code']}")


# -- the demo --------------------------------------------------------------------------------------------------
def _subscribe_consumer(cloud: LocalCloud) -> Any:
    """A downstream consumer: a queue subscribed to the results topic, set up with the MNS SDK's own calls."""
    from mns.account import Account
    from mns.queue import QueueMeta
    from mns.subscription import SubscriptionMeta

    account = Account(cloud.url("mns"), cloud.access_key_id, cloud.access_key_secret, security_token="")
    queue = account.get_queue(CONSUMER_QUEUE)
    queue.create(QueueMeta())
    queue.set_encoding(False)  # the function publishes plain JSON text (TopicMessage), not base64
    endpoint = f"acs:mns:{cloud.region}:{cloud.account_id}:queues/{CONSUMER_QUEUE}"
    account.get_topic(RESULTS_TOPIC).get_subscription("demo-consumer").subscribe(
        SubscriptionMeta(endpoint, notify_content_format="SIMPLIFIED")
    )
    return queue


def _drop_manifest(cloud: LocalCloud) -> None:
    import alibabacloud_oss_v2 as oss

    config = oss.config.load_default()
    config.credentials_provider = oss.credentials.StaticCredentialsProvider(
        cloud.access_key_id, cloud.access_key_secret
    )
    config.region = cloud.region
    config.endpoint = cloud.url("oss")
    config.use_path_style = True
    client = oss.Client(config)
    client.put_object(oss.PutObjectRequest(bucket=MANIFEST_BUCKET, key=MANIFEST_KEY, body=MANIFEST.encode()))


def _publish_message(cloud: LocalCloud) -> str:
    from mns.account import Account
    from mns.topic import TopicMessage

    body = json.loads((EVENTS_DIR / "mns-json.json").read_text())["Message"]
    account = Account(cloud.url("mns"), cloud.access_key_id, cloud.access_key_secret, security_token="")
    account.get_topic(REQUEST_TOPIC).publish_message(TopicMessage(body))
    return body


def _post_http(cloud: LocalCloud) -> tuple[int, dict[str, Any]]:
    """POST to the HTTP trigger signed as FC 3.0 documents it (ACS3-HMAC-SHA256), the way vodcancel sends it."""
    import requests

    from vodcancel.credentials import Credential
    from vodcancel.signing import trigger_headers

    event = json.loads((EVENTS_DIR / "http-post.json").read_text())
    url = cloud.url("http_trigger") + "/cancel"
    headers = {"Content-Type": "application/json", "Idempotency-Key": "ticket-4711"}
    signed = trigger_headers("POST", url, Credential(cloud.access_key_id, cloud.access_key_secret), headers)
    response = requests.post(url, data=event["body"].encode("utf-8"), headers=signed, timeout=120)
    return response.status_code, response.json()


def _drain(queue: Any) -> list[dict[str, Any]]:
    from mns.mns_exception import MNSServerException

    documents = []
    while True:
        try:
            message = queue.receive_message(wait_seconds=1)
        except MNSServerException as exc:
            if exc.type == "MessageNotExist":
                return documents
            raise
        documents.append(json.loads(message.message_body))
        queue.delete_message(message.receipt_handle)


def main(argv: list[str] | None = None) -> int:
    print(textwrap.dedent(__doc__ or "").strip().split("\n\n")[1])
    with LocalCloud(PROJECT_DIR) as cloud:
        _heading("1. The local cloud is up (from s.yaml)")
        for name, url in cloud.endpoints().items():
            print(f"  {name:18} {url}")
        print(f"\n  The function runs from {cloud.fc.code.describe()}.")
        if cloud.fc.code.package is not None:
            print("  That zip is what `s deploy` uploads; the local FC unpacked it as /code (see `make package`).")

        _heading("2. VOD jobs before (seeded)")
        seed_demo(cloud, with_manifest=False)
        _table([(j.job_id, j.status, _short(j.url, 55), j.note) for j in DEMO_JOBS], ("JobId", "Status", "URL", "why"))
        queue = _subscribe_consumer(cloud)
        print(f"\n  A consumer queue '{CONSUMER_QUEUE}' is subscribed to the results topic '{RESULTS_TOPIC}'.")

        _heading(f"3. OSS: a manifest dropped into oss://{MANIFEST_BUCKET}/{MANIFEST_KEY} (alibabacloud-oss-v2)")
        print(textwrap.indent(MANIFEST.rstrip(), "  | "))
        _drop_manifest(cloud)

        _heading(f"4. MNS: a cancel request published on topic '{REQUEST_TOPIC}' (aliyun-mns-sdk)")
        print("  " + _publish_message(cloud))

        _heading("5. HTTP: POST to the HTTP trigger, FC 3.0-signed (authType: function, ACS3-HMAC-SHA256)")
        status, reply = _post_http(cloud)
        print(f"  HTTP {status}")
        _describe_results(reply)

        cloud.fc.wait_idle(timeout=60)
        _heading(f"6. What landed on the results topic (read from '{CONSUMER_QUEUE}' with aliyun-mns-sdk)")
        documents = _drain(queue)
        for document in documents:
            _describe_results(document)
            print()
        if not documents:
            print("  nothing arrived: see the function logs below")

        _heading("7. VOD jobs after")
        rows = []
        for demo_job in DEMO_JOBS:
            job = cloud.vod.job(demo_job.job_id)
            rows.append((demo_job.job_id, demo_job.status, job.status if job else "?", demo_job.note))
        _table(rows, ("JobId", "before", "after", "why"))

        _heading("8. Function invocations (logs: python -m localcloud up, then GET /fc/invocations on control)")
        for record in cloud.fc.invocations():
            print(
                f"  {record.request_id}  {record.source:5}  {record.status:9}  {record.duration_ms:7.1f} ms"
                f"  cold={record.cold_start}"
            )
    print("\nDone. Next: `make up` keeps the cloud running, seeded like this; then `vodcancel cancel FILE` or")
    print("`python -m localcloud invoke events/<sample>.json` from another terminal (README, Running locally).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
