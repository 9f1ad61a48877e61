"""Shared pieces of the reliability suites: drive the three triggers, read the results back, check the accounting.

Everything goes through the local cloud (official SDKs over loopback, the local FC running the real handler in
worker processes); nothing is mocked. The one invariant every suite checks is :func:`check_accounting`: every
requested item ends in exactly one outcome, every non-failed outcome is the truth as VOD knows it, and VOD's job
states agree with what was reported.
"""

from __future__ import annotations

import base64
import http.client
import json
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit

from localcloud.testing import fc_client, oss_bucket, trigger_request

RESULTS_TOPIC = "vod-cancel-results"
REQUEST_TOPIC = "vod-cancel-requests"
FAILURES_TOPIC = "vod-cancel-failures"
MANIFEST_BUCKET = "vod-cancel-manifests"
MANIFEST_PREFIX = "cancel-requests/"
LISTS = ("CanceledJobs", "CanceledUrls", "NonExists", "NotCancellable", "Failed")
OUTCOME_KINDS = ("Canceled", "NonExists", "NotCancellable", "Failed")

# A Failed item may still have been cancelled in VOD only when the function said so: the cancel answer arrived
# but the URL -> job resolution did not (ResolveFailed.*). In cells where VOD answers late (read timeouts, the
# deadline), any failure may hide a cancel the server did after the client gave up; those cells say so.
RESOLVE_FAILED_PREFIX = "ResolveFailed."


# -- the run ------------------------------------------------------------------------------------------------------
@dataclass
class Tally:
    """What one test did, summed over the session in the terminal summary (see conftest.py)."""

    cases: int = 0
    faults: int = 0
    items: int = 0
    lost: int = 0


@dataclass
class Run:
    """The run's mode: CI (a few hundred generated cases) or soak (``--soak``, ≥10,000)."""

    soak: bool

    def examples(self, ci: int, soak: int) -> int:
        return soak if self.soak else ci


# -- the scenario: seeded jobs and the truth about every item ----------------------------------------------------
@dataclass
class Scenario:
    """Items to request and what VOD knows about each: pending, started, unknown; by job ID and by URL."""

    pending_ids: list[str] = field(default_factory=list)
    started_ids: dict[str, str] = field(default_factory=dict)  # job id -> status
    unknown_ids: list[str] = field(default_factory=list)
    pending_urls: dict[str, list[str]] = field(default_factory=dict)  # url -> its pending job ids
    started_urls: dict[str, tuple[str, str]] = field(default_factory=dict)  # url -> (job id, status)
    unknown_urls: list[str] = field(default_factory=list)
    bystander_ids: list[str] = field(default_factory=list)  # pending jobs nobody asked to cancel

    @property
    def job_id_items(self) -> list[str]:
        return [*self.pending_ids, *self.started_ids, *self.unknown_ids]

    @property
    def url_items(self) -> list[str]:
        return [*self.pending_urls, *self.started_urls, *self.unknown_urls]

    @property
    def item_count(self) -> int:
        return len(self.job_id_items) + len(self.url_items)

    def expected(self, item: str) -> str:
        """The outcome kind VOD's state calls for (``Canceled``, ``NonExists`` or ``NotCancellable``)."""
        if item in self.pending_ids or item in self.pending_urls:
            return "Canceled"
        if item in self.started_ids or item in self.started_urls:
            return "NotCancellable"
        if item in self.unknown_ids or item in self.unknown_urls:
            return "NonExists"
        raise KeyError(item)

    def json_payload(self) -> str:
        return json.dumps({"JobIds": self.job_id_items, "UploadUrls": self.url_items}, ensure_ascii=False)

    def text_payload(self) -> str:
        lines = ["# reliability manifest", *self.job_id_items, "", *self.url_items]
        return "\n".join(lines) + "\n"


def seed_scenario(
    cloud: Any,
    *,
    pending: int = 12,
    started: int = 11,
    unknown: int = 11,
    tag: str | None = None,
    bystanders: int = 3,
) -> Scenario:
    """Seed VOD with ``pending``/``started`` jobs asked for by ID and by URL (>10 each = several batches).

    URLs carry the awkward parts real ones have (spaces, commas, ``%``, ``+``, non-ASCII); every third pending URL
    has two pending jobs (VOD makes a new job per upload of the same URL).
    """
    tag = tag or uuid.uuid4().hex[:8]
    scenario = Scenario()
    statuses = ("PROCESSING", "SUCCESS", "FAIL")
    for index in range(pending):
        scenario.pending_ids.append(cloud.vod.seed_job(f"https://media.example.com/{tag}/by-id/{index}.mp4").job_id)
    for index in range(started):
        status = statuses[index % len(statuses)]
        job = cloud.vod.seed_job(f"https://media.example.com/{tag}/started-id/{index}.mp4", status=status)
        scenario.started_ids[job.job_id] = status
    scenario.unknown_ids = [uuid.uuid4().hex for _ in range(unknown)]
    for index in range(pending):
        url = f"https://media.example.com/{tag}/pending/{index} take 2, final+cut 100%25 春.mp4"
        jobs = [cloud.vod.seed_job(url).job_id]
        if index % 3 == 0:
            jobs.append(cloud.vod.seed_job(url).job_id)
        scenario.pending_urls[url] = jobs
    for index in range(started):
        status = statuses[index % len(statuses)]
        url = f"https://media.example.com/{tag}/started/{index}, café.mp4"
        scenario.started_urls[url] = (cloud.vod.seed_job(url, status=status).job_id, status)
    scenario.unknown_urls = [f"http://media.example.com/{tag}/unknown/{index} (copy).mp4" for index in range(unknown)]
    scenario.bystander_ids = [
        cloud.vod.seed_job(f"https://media.example.com/{tag}/bystander/{index}.mp4").job_id
        for index in range(bystanders)
    ]
    return scenario


# -- driving the triggers ------------------------------------------------------------------------------------------
@dataclass
class HttpReply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def request_id(self) -> str:
        return self.headers.get("x-fc-request-id", "")

    def text(self) -> str:
        """Status, headers and body as one text (for secret scans)."""
        head = "\n".join(f"{name}: {value}" for name, value in self.headers.items())
        return f"{self.status}\n{head}\n\n{self.body.decode('utf-8', 'replace')}"


def post_http(cloud: Any, body: bytes | str, headers: dict[str, str] | None = None, path: str = "/cancel") -> HttpReply:
    """POST to the HTTP trigger, signed as FC 3.0's signature authentication requires (a real caller)."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    headers = {"Content-Type": "application/json", **(headers or {})}
    response = trigger_request(cloud, "POST", path, body=data, headers=headers)
    return HttpReply(response.status_code, {k.lower(): v for k, v in response.headers.items()}, response.content)


def post_unsigned(cloud: Any, body: bytes, path: str = "/cancel") -> HttpReply:
    """A plain HTTP POST to the trigger with no signature (what an anonymous caller sends)."""
    parts = urlsplit(cloud.url("http_trigger"))
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("POST", path, body=body, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        return HttpReply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        connection.close()


def invoke_sync(cloud: Any, event: bytes) -> Any:
    """Synchronous InvokeFunction through aliyun-fc2; returns the local FC's record of that invocation."""
    response = fc_client(cloud).invoke_function(cloud.fc.service_name, cloud.fc.function_name, payload=event)
    request_id = response.headers["x-fc-request-id"]
    (record,) = cloud.fc.invocations(request_id=request_id)
    return record


def mns_json_event(
    message: Any, message_id: Any = None, topic: str = REQUEST_TOPIC, owner: str = "1234567890123456"
) -> bytes:
    """An MNS topic-trigger event in JSON notify format, as the local MNS pushes it to FC."""
    envelope = {
        "TopicOwner": owner,
        "Message": message,
        "Subscriber": owner,
        "PublishTime": int(time.time() * 1000),
        "SubscriptionName": "fc-vod-cancel-url-uploads-cancel-messages",
        "MessageMD5": "0" * 32,
        "TopicName": topic,
        "MessageId": message_id or uuid.uuid4().hex.upper(),
    }
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")


def oss_event(cloud: Any, bucket: str, key: str, *, etag: str = "", size: int | None = 0) -> bytes:
    """An OSS trigger event (ObjectCreated:PutObject) for ``bucket/key``, in the shape FC delivers."""
    obj: dict[str, Any] = {"deltaSize": size or 0, "eTag": etag or uuid.uuid4().hex.upper(), "key": key}
    if size is not None:
        obj["size"] = size
    record = {
        "eventName": "ObjectCreated:PutObject",
        "eventSource": "acs:oss",
        "eventTime": "2026-01-01T00:00:00.000Z",
        "eventVersion": "1.0",
        "oss": {
            "bucket": {"arn": f"acs:oss:{cloud.region}:{cloud.account_id}:{bucket}", "name": bucket},
            "object": obj,
            "ossSchemaVersion": "1.0",
        },
        "region": cloud.region,
    }
    return json.dumps({"events": [record]}, ensure_ascii=False).encode("utf-8", "surrogatepass")


def store_manifest(cloud: Any, key: str, data: bytes, bucket: str = MANIFEST_BUCKET) -> Any:
    """Put a manifest into OSS without firing the trigger (the test delivers the event itself)."""
    stored, _pending = cloud.oss.store(bucket, key, data)
    return stored


def put_manifest(cloud: Any, key: str, data: bytes, *, wait: bool = True) -> None:
    """Upload a manifest with oss2 under the trigger's prefix; OSS notifies FC once the reply is sent.

    With ``wait``, return when that invocation (and any retries of it) is over.
    """
    before = len(cloud.fc.invocations(source="oss"))
    oss_bucket(cloud, MANIFEST_BUCKET).put_object(key, data)
    if wait:
        wait_until(lambda: len(cloud.fc.invocations(source="oss")) > before)
        wait_idle(cloud)


def wait_until(condition: Any, timeout: float = 60.0, interval: float = 0.01) -> None:
    """Poll ``condition()`` until it is true; AssertionError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            raise AssertionError("timed out waiting for the local cloud")
        time.sleep(interval)


def publish_request(cloud: Any, body: str) -> str:
    """Publish a cancel request on the request topic (the local MNS delivers it to the function); its MessageId."""
    return cloud.mns.publish(REQUEST_TOPIC, body).message_id


def deliver_again(cloud: Any, event: bytes, source: str) -> str:
    """Deliver the exact same trigger event once more, as an at-least-once MNS / OSS delivery may."""
    return cloud.fc.deliver_event(cloud.fc.function_arn, event, source=source)


def wait_idle(cloud: Any, timeout: float = 60) -> None:
    cloud.fc.wait_idle(timeout=timeout)


# -- reading results back ------------------------------------------------------------------------------------------
@dataclass
class Published:
    body: dict[str, Any]
    tag: str | None


def published(cloud: Any, topic: str = RESULTS_TOPIC) -> list[Published]:
    return [Published(json.loads(m.body), m.tag) for m in cloud.mns.published(topic)]


def results_by_request(cloud: Any) -> dict[str, list[Published]]:
    """Results (and rejection) messages on the results topic, grouped by the FC request id, parts in order."""
    grouped: dict[str, list[Published]] = {}
    for message in published(cloud):
        grouped.setdefault(message.body["RequestId"], []).append(message)
    for parts in grouped.values():
        parts.sort(key=lambda p: p.body.get("Part", 1))
    return grouped


def merge_parts(parts: list[Published]) -> dict[str, Any]:
    """One results document from its parts; checks the parts are a complete, consistent set: numbered 1..n, the
    last one final (PartCount n) with the totals, the same ids throughout, running counts that only grow."""
    assert parts, "no results message"
    parts = sorted(parts, key=lambda p: p.body.get("Part", 1))
    first, last = parts[0].body, parts[-1].body
    assert [p.body.get("Part", 1) for p in parts] == list(range(1, len(parts) + 1)), "parts missing or repeated"
    assert last.get("Final") is True and last.get("PartCount") == len(parts), "the last part is not final"
    assert all(p.body.get("Final") is False for p in parts[:-1]), "a part before the last says it is final"
    merged: dict[str, Any] = {key: value for key, value in last.items() if key not in LISTS}
    for name in LISTS:
        merged[name] = []
    previous: dict[str, int] = {}
    for part in parts:
        for key in ("RequestId", "Source", "DedupeKey"):
            assert part.body.get(key) == first.get(key), f"part {part.body.get('Part')} disagrees on {key}"
        counts = part.body["Counts"]
        assert all(counts[name] >= previous.get(name, 0) for name in counts), "running counts went down"
        previous = counts
        for name in LISTS:
            merged[name].extend(part.body.get(name, []))
    merged["CanceledJobs"] = list(dict.fromkeys(merged["CanceledJobs"]))  # listed once per part
    tags = {p.tag for p in parts}
    merged["_tags"] = tags
    return merged


# -- the accounting invariant ------------------------------------------------------------------------------------
@dataclass
class Accounting:
    requested: int
    outcomes: Counter[str]
    failed_codes: Counter[str]
    lost: int = 0


def outcome_by_item(document: dict[str, Any], job_id_items: Iterable[str]) -> dict[str, list[tuple[str, Any]]]:
    """Every outcome entry of the document keyed by the item it names (a list, to catch double-counting)."""
    id_items = set(job_id_items)
    by_item: dict[str, list[tuple[str, Any]]] = {}
    url_job_ids = [job for entry in document["CanceledUrls"] for job in entry["JobIds"]]
    for job_id in document["CanceledJobs"]:
        if job_id in id_items:
            by_item.setdefault(job_id, []).append(("Canceled", job_id))
    for entry in document["CanceledUrls"]:
        by_item.setdefault(entry["UploadUrl"], []).append(("Canceled", entry))
    for item in document["NonExists"]:
        by_item.setdefault(item, []).append(("NonExists", item))
    for entry in document["NotCancellable"]:
        by_item.setdefault(entry["Item"], []).append(("NotCancellable", entry))
    for entry in document["Failed"]:
        by_item.setdefault(entry["Item"], []).append(("Failed", entry))
    canceled_by_id = [job for job in document["CanceledJobs"] if job in id_items]
    assert sorted(document["CanceledJobs"]) == sorted(canceled_by_id + url_job_ids), (
        "CanceledJobs must be exactly the job IDs cancelled by ID plus those of CanceledUrls"
    )
    return by_item


def check_accounting(
    cloud: Any,
    scenario: Scenario,
    document: dict[str, Any],
    *,
    late_answers_possible: bool = False,
    expect_no_failures: bool = False,
) -> Accounting:
    """The invariant: every requested item has exactly one outcome; outcomes and VOD's job states agree.

    - each item appears once across all lists of all parts; nothing unrequested appears; Counts match the lists;
    - a non-failed outcome is the truth (pending → Canceled with exactly its pending jobs, started →
      NotCancellable with its job and status, unknown → NonExists);
    - an item reported Canceled has all its jobs CANCELED in VOD; a pending job still PENDING was reported Failed;
    - a Failed item whose job VOD did cancel is allowed only for ``ResolveFailed.*`` (the cancel answer came, the
      URL resolution did not) or, with ``late_answers_possible``, when VOD answered after the client gave up;
    - started jobs and bystanders are untouched.
    """
    by_item = outcome_by_item(document, scenario.job_id_items)
    requested = [*scenario.job_id_items, *scenario.url_items]
    unexpected = set(by_item) - set(requested)
    assert not unexpected, f"outcomes for items never requested: {sorted(unexpected)[:5]}"
    lost = [item for item in requested if item not in by_item]
    doubled = {item: entries for item, entries in by_item.items() if len(entries) != 1}
    assert not lost, f"{len(lost)} item(s) without an outcome, e.g. {lost[:3]}"
    assert not doubled, f"items with more than one outcome: {list(doubled.items())[:3]}"

    outcomes: Counter[str] = Counter()
    failed_codes: Counter[str] = Counter()
    for item in requested:
        kind, entry = by_item[item][0]
        outcomes[kind] += 1
        if kind == "Failed":
            failed_codes[entry["Code"]] += 1
            assert entry["Code"] and entry["Message"], f"a failure must say why: {entry}"
            _check_failed_item(cloud, scenario, item, entry, late_answers_possible)
            continue
        assert kind == scenario.expected(item), f"{item!r}: reported {kind}, VOD says {scenario.expected(item)}"
        _check_settled_item(cloud, scenario, item, kind, entry)

    counts = document["Counts"]
    assert counts["Requested"] == len(requested)
    assert {name: counts[name] for name in OUTCOME_KINDS} == {name: outcomes[name] for name in OUTCOME_KINDS}
    expected_tag = "failed" if outcomes["Failed"] else "ok"
    if document.get("_tags") is not None:  # None: the HTTP reply, which has no message tag
        assert document["_tags"] == {expected_tag}, f"message tag {document['_tags']}, expected {expected_tag!r}"
    for job_id, status in [*scenario.started_ids.items(), *scenario.started_urls.values()]:
        assert cloud.vod.job(job_id).status == status, f"started job {job_id} changed"
    for job_id in scenario.bystander_ids:
        assert cloud.vod.job(job_id).status == "PENDING", "a job nobody asked for was cancelled"
    if expect_no_failures:
        assert not outcomes["Failed"], f"items failed although the fault was transient: {dict(failed_codes)}"
    return Accounting(len(requested), outcomes, failed_codes, len(lost))


def _jobs_of(scenario: Scenario, item: str) -> list[str]:
    if item in scenario.pending_urls:
        return scenario.pending_urls[item]
    if item in scenario.pending_ids:
        return [item]
    return []


def _check_settled_item(cloud: Any, scenario: Scenario, item: str, kind: str, entry: Any) -> None:
    if kind == "Canceled":
        jobs = _jobs_of(scenario, item)
        if item in scenario.pending_urls:
            assert sorted(entry["JobIds"]) == sorted(jobs), f"{item!r}: cancelled jobs {entry['JobIds']} != {jobs}"
        for job_id in jobs:
            assert cloud.vod.job(job_id).status == "CANCELED", f"{item!r} reported cancelled but {job_id} is not"
    elif kind == "NotCancellable":
        job_id, status = (
            scenario.started_urls[item] if item in scenario.started_urls else (item, scenario.started_ids[item])
        )
        assert (entry["JobId"], entry["Status"]) == (job_id, status)


def _check_failed_item(cloud: Any, scenario: Scenario, item: str, entry: Any, late_answers_possible: bool) -> None:
    states = {job_id: cloud.vod.job(job_id).status for job_id in _jobs_of(scenario, item)}
    if any(status == "CANCELED" for status in states.values()):
        allowed = entry["Code"].startswith(RESOLVE_FAILED_PREFIX) or late_answers_possible
        assert allowed, f"{item!r} reported Failed ({entry['Code']}) but VOD cancelled {states}"


# -- instrumentation -------------------------------------------------------------------------------------------------
class FaultCounter:
    """Counts the requests the local cloud answered with an injected fault, by wrapping ``cloud.faults.decide``.

    The decision itself is untouched. ``straggle_until`` is when the last delayed request will have woken up: a
    request held by injected latency outlives the client that gave up on it, and must end before the next test.
    """

    def __init__(self, cloud: Any, tally: Tally) -> None:
        self.cloud = cloud
        self.tally = tally
        self.straggle_until = 0.0
        self._decide = cloud.faults.decide

    def __enter__(self) -> FaultCounter:
        def counting_decide(service: str, operation: str) -> Any:
            decision = self._decide(service, operation)
            if not decision.is_noop:
                self.tally.faults += 1
                if decision.latency_s:
                    self.straggle_until = max(self.straggle_until, time.monotonic() + decision.latency_s + 0.2)
            return decision

        self.cloud.faults.decide = counting_decide
        return self

    def __exit__(self, *exc: object) -> None:
        del self.cloud.faults.decide
        time.sleep(max(0.0, self.straggle_until - time.monotonic()))


# -- secrets ------------------------------------------------------------------------------------------------------
def secret_forms(secret: str) -> set[str]:
    """The secret as it could leak: raw, URL-encoded, base64, JSON-escaped, and 24-char windows of it."""
    forms = {secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]}
    forms.add(base64.b64encode(secret.encode()).decode().rstrip("="))
    for start in range(0, max(1, len(secret) - 24), 8):
        window = secret[start : start + 24]
        if len(window) == 24:
            forms.add(window)
    return {form for form in forms if len(form) >= 12}


def find_leaks(texts: Iterable[tuple[str, str]], secrets: Iterable[str]) -> list[str]:
    """``(where, text)`` pairs that contain any form of any secret; empty when nothing leaked."""
    forms = {form for secret in secrets if secret for form in secret_forms(secret)}
    leaks = []
    for where, text in texts:
        for form in forms:
            if form in text:
                leaks.append(f"{where}: contains {form[:6]}…")
                break
    return leaks


def cloud_texts(cloud: Any) -> Iterator[tuple[str, str]]:
    """Every text the function produced: logs, results and errors of every attempt, every published message."""
    for record in cloud.fc.invocations():
        yield f"logs {record.request_id}", record.logs
        yield f"result {record.request_id}", record.result.decode("utf-8", "replace")
        yield f"error {record.request_id}", json.dumps(record.error or {}, ensure_ascii=False)
    for topic in cloud.mns.topics():
        for message in cloud.mns.published(topic):
            yield f"message on {topic}", message.body
