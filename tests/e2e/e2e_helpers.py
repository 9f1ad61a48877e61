"""Shared end-to-end helpers: drive the real function through the local cloud with the official SDKs only.

Every door is the one a user would knock on: ``alibabacloud_oss_v2`` PutObject into the manifest bucket, an
``aliyun-mns-sdk`` TopicMessage on the request topic, a POST to the HTTP trigger signed as FC 3.0 documents it
(``alibabacloud-openapi-util``), or ``aliyun-fc2`` ``invoke_function`` on the function. What the function did is
read back from the results topic (the local MNS's record, or a queue subscribed to the topic through the SDK), the
HTTP replies, and the VOD backend's job states and call log. Nothing of the SDKs or of the function is mocked.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from localcloud.cloud import LocalCloud
from localcloud.testing import fc_client, mns_account, trigger_request

REQUEST_TOPIC = "vod-cancel-requests"
RESULTS_TOPIC = "vod-cancel-results"
FAILURES_TOPIC = "vod-cancel-failures"
MANIFEST_BUCKET = "vod-cancel-manifests"
MANIFEST_PREFIX = "cancel-requests/"
JSON_SUBSCRIPTION = "fc-vod-cancel-url-uploads-cancel-messages"
"""The subscription the local FC makes for s.yaml's ``cancel-messages`` trigger (``fc-<function>-<trigger>``)."""
MAX_MESSAGE_BYTES = 65536
LISTS = ("CanceledJobs", "CanceledUrls", "NonExists", "NotCancellable", "Failed")
SETTLE_TIMEOUT_S = 60.0

# URLs that break naive handling: comma, space, %-escapes, +, non-ASCII, emoji, query string, '#', a bare '%'.
TRICKY_URL_PATHS = (
    "ep 01, final.mp4",
    "100%25 real.mp4",
    "a+b=c.mp4",
    "春季 promo/第1集.mp4",
    "café & bar.mp4",
    "clip.mp4?token=a%2Fb&range=1,2",
    "tab%09name,,x.mp4",
    "take #2 [final].mp4",
    "50% off %zz.mp4",
    "clip 🎬 ü.mp4",
    "plain.mp4",
)


# -- triggering --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Invocation:
    """A synchronous InvokeFunction's answer: FC's request id and the function's return value (parsed JSON)."""

    request_id: str
    result: Any


def invoke(cloud: LocalCloud, event: bytes | str | Mapping[str, Any], *, sts: bool = False) -> Invocation:
    """Invoke the function synchronously with ``aliyun-fc2`` (raises the SDK's error when the function raises)."""
    if isinstance(event, Mapping):
        payload = json.dumps(event, ensure_ascii=False).encode("utf-8")
    else:
        payload = event.encode("utf-8") if isinstance(event, str) else event
    response = fc_client(cloud, sts=sts).invoke_function(
        cloud.fc.service_name, cloud.fc.function_name, payload=payload, headers={}
    )
    request_id = response.headers.get("x-fc-request-id", "")
    return Invocation(request_id, json.loads(response.data) if response.data else None)


@dataclass(frozen=True)
class HttpReply:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def post(
    cloud: LocalCloud,
    body: bytes | str | Mapping[str, Any],
    *,
    headers: Mapping[str, str] | None = None,
    method: str = "POST",
    path: str = "/cancel",
    sts: bool = False,
) -> HttpReply:
    """Call the HTTP trigger as a caller of the deployed trigger does (FC 3.0 signature authentication)."""
    if isinstance(body, Mapping):
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    else:
        data = body.encode("utf-8") if isinstance(body, str) else body
    response = trigger_request(
        cloud, method, path, body=data, headers={"Content-Type": "application/json", **(headers or {})}, sts=sts
    )
    return HttpReply(response.status_code, dict(response.headers), response.content)


def publish_request(
    cloud: LocalCloud,
    body: str,
    *,
    attributes: Mapping[str, str] | None = None,
    topic: str = REQUEST_TOPIC,
) -> str:
    """Publish a cancel request on the request topic with ``aliyun-mns-sdk``; returns the MNS MessageId."""
    from mns.message_property import MessagePropertyValue, PropertyType
    from mns.topic import TopicMessage

    message = TopicMessage(body)
    for name, value in (attributes or {}).items():
        message.user_properties[name] = MessagePropertyValue(PropertyType.STRING, value)
    return str(mns_account(cloud).get_topic(topic).publish_message(message).message_id)


def use_stream_subscription(cloud: LocalCloud) -> None:
    """Switch the function's MNS trigger from JSON to STREAM (unsubscribe + subscribe, with the MNS SDK)."""
    from mns.subscription import SubscriptionMeta

    topic = mns_account(cloud).get_topic(REQUEST_TOPIC)
    topic.get_subscription(JSON_SUBSCRIPTION).unsubscribe()
    topic.get_subscription("fc-stream").subscribe(
        SubscriptionMeta(cloud.fc.function_arn, notify_strategy="BACKOFF_RETRY", notify_content_format="STREAM")
    )


def oss_v2_client(cloud: LocalCloud) -> Any:
    import alibabacloud_oss_v2 as oss

    config = oss.config.load_default()
    config.credentials_provider = oss.credentials.StaticCredentialsProvider(
        cloud.access_key_id, cloud.access_key_secret
    )
    config.region = cloud.region
    config.endpoint = cloud.url("oss")
    config.use_path_style = True
    return oss.Client(config)


def put_manifest(cloud: LocalCloud, key: str, data: bytes | str) -> str:
    """PutObject a manifest into the manifest bucket with ``alibabacloud_oss_v2``; returns the ETag (unquoted)."""
    import alibabacloud_oss_v2 as oss

    body = data.encode("utf-8") if isinstance(data, str) else data
    result = oss_v2_client(cloud).put_object(oss.PutObjectRequest(bucket=MANIFEST_BUCKET, key=key, body=body))
    return str(result.etag or "").strip('"')


_first_record: dict[int, int] = {}


def begin_test(cloud: LocalCloud) -> None:
    """Remember where this test's invocation records start (the e2e reset keeps warm instances and records)."""
    _first_record[id(cloud)] = len(cloud.fc.invocations())


def invocations(cloud: LocalCloud) -> list[Any]:
    """This test's invocation records (every attempt), oldest first."""
    return _records(cloud)


def _records(cloud: LocalCloud) -> list[Any]:
    return cloud.fc.invocations()[_first_record.get(id(cloud), 0) :]


def settle(cloud: LocalCloud, *, results: int = 0, invocations: int = 0) -> None:
    """Wait for at least ``results`` results messages and ``invocations`` recorded invocations, then until every
    invocation (asynchronous deliveries and their retries included) has finished.

    OSS notifies FC only after the PutObject response is closed (as the real service, asynchronously), so right
    after ``put_object`` returns the invocation may not be queued yet: wait for its visible effect first.
    """
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while len(cloud.mns.published(RESULTS_TOPIC)) < results or len(_records(cloud)) < invocations:
        if time.monotonic() > deadline:
            raise TimeoutError(f"expected {results} results message(s) and {invocations} invocation(s)")
        time.sleep(0.02)
    cloud.fc.wait_idle(timeout=SETTLE_TIMEOUT_S)


# -- reading results ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Published:
    """One message on the results topic: its JSON document and MNS tag."""

    document: dict[str, Any]
    tag: str | None
    size: int


def published(cloud: LocalCloud, topic: str = RESULTS_TOPIC) -> list[Published]:
    return [
        Published(json.loads(message.body), message.tag, len(message.body.encode("utf-8")))
        for message in cloud.mns.published(topic)
    ]


def merged(documents: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The parts of one results document joined back into one (lists concatenated in part order; the head, with
    the totals, from the final part)."""
    parts = sorted(documents, key=lambda document: document["Part"])
    assert parts, "no results document"
    whole = {key: value for key, value in parts[-1].items() if key not in LISTS}
    for name in LISTS:
        whole[name] = [entry for part in parts for entry in part[name]]
    return whole


def only_result(cloud: LocalCloud) -> Published:
    """The single results message of the test (waits for it, then for every invocation to finish)."""
    settle(cloud, results=1)
    messages = published(cloud)
    assert len(messages) == 1, ([message.document for message in messages], invocation_logs(cloud))
    return messages[0]


def invocation_logs(cloud: LocalCloud) -> str:
    """Every invocation's status and logs, for assertion messages."""
    return "\n".join(f"{r.source} {r.status} {r.error}\n{r.logs}" for r in _records(cloud))


@dataclass
class ResultsConsumer:
    """A downstream consumer: an MNS queue subscribed to the results topic, read with ``aliyun-mns-sdk``."""

    queue: Any

    def drain(self) -> list[dict[str, Any]]:
        from mns.mns_exception import MNSServerException

        documents = []
        while True:
            try:
                message = self.queue.receive_message(wait_seconds=0)  # topic -> queue is synchronous
            except MNSServerException as exc:
                if exc.type == "MessageNotExist":
                    return documents
                raise
            documents.append(json.loads(message.message_body))
            self.queue.delete_message(message.receipt_handle)


def subscribe_consumer(cloud: LocalCloud, name: str = "results-consumer", filter_tag: str = "") -> ResultsConsumer:
    """Create a queue and subscribe it to the results topic (SIMPLIFIED: the body as published)."""
    from mns.queue import QueueMeta
    from mns.subscription import SubscriptionMeta

    account = mns_account(cloud)
    queue = account.get_queue(name)
    queue.create(QueueMeta())
    queue.set_encoding(False)  # the function publishes plain JSON text, not base64
    endpoint = f"acs:mns:{cloud.region}:{cloud.account_id}:queues/{name}"
    account.get_topic(RESULTS_TOPIC).get_subscription(f"{name}-sub").subscribe(
        SubscriptionMeta(endpoint, notify_content_format="SIMPLIFIED", filter_tag=filter_tag)
    )
    return ResultsConsumer(queue)


# -- a mixed request and what must come of it ------------------------------------------------------------------
@dataclass
class MixedRequest:
    """Seeded VOD jobs plus the request naming them: more than 10 of every kind that can be batched.

    ``pending_ids``/``pending_urls`` must end CANCELED; ``started_ids``/``started_urls`` (PROCESSING, SUCCESS, FAIL)
    are not cancellable; ``canceled_ids`` were cancelled before (they count as cancelled); ``unknown_*`` do not
    exist; ``bystander`` is a pending job nobody asked for (it must stay PENDING).
    """

    pending_ids: list[str] = field(default_factory=list)
    pending_urls: dict[str, str] = field(default_factory=dict)  # url -> job id
    started_ids: dict[str, str] = field(default_factory=dict)  # job id -> status
    started_urls: dict[str, tuple[str, str]] = field(default_factory=dict)  # url -> (job id, status)
    canceled_ids: list[str] = field(default_factory=list)
    unknown_ids: list[str] = field(default_factory=list)
    unknown_urls: list[str] = field(default_factory=list)
    bystander: str = ""

    @property
    def job_ids(self) -> list[str]:
        return [*self.pending_ids, *self.started_ids, *self.canceled_ids, *self.unknown_ids]

    @property
    def upload_urls(self) -> list[str]:
        return [*self.pending_urls, *self.started_urls, *self.unknown_urls]

    @property
    def item_count(self) -> int:
        return len(self.job_ids) + len(self.upload_urls)

    def as_json(self) -> str:
        return json.dumps({"JobIds": self.job_ids, "UploadUrls": self.upload_urls}, ensure_ascii=False)

    def as_text(self) -> str:
        lines = ["# cancel manifest", *self.job_ids, "", *(f"  {url}  " for url in self.upload_urls)]
        return "\n".join(lines) + "\n"


def seed_mixed(cloud: LocalCloud, *, count: int = 12, label: str = "m") -> MixedRequest:
    """Seed VOD for a :class:`MixedRequest` with ``count`` pending job IDs and ``count`` pending URLs."""
    mixed = MixedRequest()
    for index in range(count):
        mixed.pending_ids.append(cloud.vod.seed_job(f"https://media.example.com/{label}/by-id-{index}.mp4").job_id)
        path = TRICKY_URL_PATHS[index % len(TRICKY_URL_PATHS)]
        url = f"https://media.example.com/{label}/{index}/{path}"
        mixed.pending_urls[url] = cloud.vod.seed_job(url).job_id
    for index, status in enumerate(("PROCESSING", "SUCCESS", "FAIL")):
        job = cloud.vod.seed_job(f"https://media.example.com/{label}/started-{index}.mp4", status=status)
        mixed.started_ids[job.job_id] = status
        url = f"https://media.example.com/{label}/started/{index} {TRICKY_URL_PATHS[index]}"
        mixed.started_urls[url] = (cloud.vod.seed_job(url, status=status).job_id, status)
    for index in range(2):
        job = cloud.vod.seed_job(f"https://media.example.com/{label}/was-canceled-{index}.mp4", status="CANCELED")
        mixed.canceled_ids.append(job.job_id)
        mixed.unknown_ids.append(f"{label}-unknown-{index:02d}-{'f' * 20}")
        mixed.unknown_urls.append(f"https://media.example.com/{label}/nowhere/{index} {TRICKY_URL_PATHS[index + 3]}")
    mixed.bystander = cloud.vod.seed_job(f"https://media.example.com/{label}/bystander.mp4").job_id
    return mixed


def assert_mixed_outcome(cloud: LocalCloud, document: dict[str, Any], mixed: MixedRequest) -> None:
    """Every item of ``mixed`` got exactly its one expected outcome, and VOD's jobs ended as they must."""
    assert document["Counts"] == {
        "Requested": mixed.item_count,
        "Canceled": len(mixed.pending_ids) + len(mixed.pending_urls) + len(mixed.canceled_ids),
        "NonExists": len(mixed.unknown_ids) + len(mixed.unknown_urls),
        "NotCancellable": len(mixed.started_ids) + len(mixed.started_urls),
        "Failed": 0,
    }, document["Counts"]
    assert document["Failed"] == []
    assert sorted(document["CanceledJobs"]) == sorted(
        [*mixed.pending_ids, *mixed.pending_urls.values(), *mixed.canceled_ids]
    )
    assert {entry["UploadUrl"]: entry["JobIds"] for entry in document["CanceledUrls"]} == {
        url: [job_id] for url, job_id in mixed.pending_urls.items()
    }
    assert sorted(document["NonExists"]) == sorted([*mixed.unknown_ids, *mixed.unknown_urls])
    expected_started = {job_id: (job_id, status) for job_id, status in mixed.started_ids.items()}
    expected_started.update(mixed.started_urls)
    assert {entry["Item"]: (entry["JobId"], entry["Status"]) for entry in document["NotCancellable"]} == (
        expected_started
    )
    # VOD: what was pending is now cancelled; nothing else moved.
    for job_id in [*mixed.pending_ids, *mixed.pending_urls.values(), *mixed.canceled_ids]:
        assert cloud.vod.job(job_id).status == "CANCELED", job_id
    for job_id, status in [*mixed.started_ids.items(), *mixed.started_urls.values()]:
        assert cloud.vod.job(job_id).status == status, job_id
    assert cloud.vod.job(mixed.bystander).status == "PENDING"
    assert_vod_batches_valid(cloud)


def assert_vod_batches_valid(cloud: LocalCloud) -> None:
    """Every CancelUrlUploadJobs call named at most 10 items of ONE kind (VOD drops URLs when JobIds is sent)."""
    cancels = [call for call in cloud.vod.calls if call.action == "CancelUrlUploadJobs"]
    assert cancels, "no CancelUrlUploadJobs call was made"
    for call in cancels:
        job_ids, urls = call.params.get("JobIds"), call.params.get("UploadUrls")
        assert (job_ids is None) != (urls is None), call.params
        assert 1 <= len((job_ids or urls or "").split(",")) <= 10, call.params


def assert_part_invariants(messages: list[Published]) -> dict[str, Any]:
    """Parts of one result: same RequestId and DedupeKey, numbered 1..n, only part n final (with PartCount n),
    running counts that only grow, each ≤ 64 KB; returns the merged document."""
    documents = sorted((message.document for message in messages), key=lambda document: document["Part"])
    count = len(documents)
    assert [document["Part"] for document in documents] == list(range(1, count + 1))
    assert [document["Final"] for document in documents] == [False] * (count - 1) + [True]
    assert documents[-1]["PartCount"] == count and all("PartCount" not in d for d in documents[:-1])
    assert {document["RequestId"] for document in documents} == {documents[0]["RequestId"]}
    for earlier, later in itertools.pairwise(documents):
        assert all(earlier["Counts"][name] <= later["Counts"][name] for name in earlier["Counts"])
    assert {document["DedupeKey"] for document in documents} == {documents[0]["DedupeKey"]}
    for message in messages:
        assert message.size <= MAX_MESSAGE_BYTES, message.size
    return merged(documents)
