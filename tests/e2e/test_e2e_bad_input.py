"""Bad input never reaches VOD: HTTP answers 400 (405 for a wrong method) with the error code; OSS and MNS events
publish a ``rejected`` message and return normally (no retry of a poison message)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from e2e_helpers import (
    MANIFEST_BUCKET,
    MANIFEST_PREFIX,
    REQUEST_TOPIC,
    invocations,
    invoke,
    only_result,
    post,
    publish_request,
    published,
    put_manifest,
    settle,
    subscribe_consumer,
)

from localcloud.cloud import LocalCloud
from localcloud.demo import seed_demo

EVENTS = Path(__file__).resolve().parents[2] / "events"
JOB = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
URL = "https://media.example.com/a.mp4"
TOO_MANY = json.dumps({"JobIds": ",".join(f"j{index:x}" for index in range(10_001))})
"""10,001 distinct short job IDs as one comma-separated string: small enough (~60 KB) for an MNS message."""

LARGE_BODY = json.dumps({"JobIds": [f"job-{index:05d}" for index in range(600)]}).encode()
"""A body of ~10 KB: FC's event puts ``body`` before ``requestContext``, far from the event's start."""

# (id, payload, error code) classes valid for every door.
BAD_PAYLOADS = [
    ("invalid-json", '{"JobIds": ["abc"', "InvalidJson"),
    ("json-array", json.dumps([JOB]), "InvalidPayload"),
    ("json-number-field", '{"JobIds": 42}', "InvalidPayload"),
    ("json-number-text", "3.25", "InvalidJobId"),
    ("neither-field", json.dumps({"Jobs": [JOB]}), "InvalidPayload"),
    ("null-field", '{"UploadUrls": null}', "InvalidPayload"),
    ("nested-list", json.dumps({"JobIds": [[JOB]]}), "InvalidPayload"),
    ("non-string-item", json.dumps({"UploadUrls": [URL, 7]}), "InvalidPayload"),
    ("same-field-twice", '{"JobIds": ["a"], "jobIds": ["b"]}', "InvalidPayload"),
    ("only-comments", "# nothing to cancel\n\n   \n", "EmptyRequest"),
    ("empty-lists", json.dumps({"JobIds": [], "UploadUrls": ""}), "EmptyRequest"),
    ("invalid-job-id", json.dumps({"JobIds": [JOB, "abc/def"]}), "InvalidJobId"),
    ("job-id-too-long", json.dumps({"JobIds": ["a" * 65]}), "InvalidJobId"),
    ("non-http-url", json.dumps({"UploadUrls": ["ftp://media.example.com/a.mp4"]}), "InvalidUrl"),
    ("url-without-host", json.dumps({"UploadUrls": ["https:///a.mp4"]}), "InvalidUrl"),
    ("control-char-in-url", json.dumps({"UploadUrls": [URL, "https://media.example.com/a\u0007b.mp4"]}), "InvalidUrl"),
    ("c1-control-in-url", json.dumps({"UploadUrls": ["https://media.example.com/a\u0085b.mp4"]}), "InvalidUrl"),
    ("url-too-long", json.dumps({"UploadUrls": ["https://media.example.com/" + "a" * 2048]}), "InvalidUrl"),
    ("comma-in-plain-url", json.dumps({"UploadUrls": "https://media.example.com/a,b.mp4"}), "InvalidUrl"),
    ("too-many-items", TOO_MANY, "TooManyItems"),
]


def _seed_target(cloud: LocalCloud) -> None:
    """A pending job the bad requests name (or could have named): it must stay pending."""
    cloud.vod.seed_job(URL, job_id=JOB)


def _assert_untouched(cloud: LocalCloud) -> None:
    assert cloud.vod.call_count() == 0, [call.action for call in cloud.vod.calls]
    assert cloud.vod.job(JOB).status == "PENDING"


# -- HTTP ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("payload", "code"), [case[1:] for case in BAD_PAYLOADS], ids=[c[0] for c in BAD_PAYLOADS])
def test_http_bad_input_is_a_400_with_the_code(cloud: LocalCloud, payload: str, code: str) -> None:
    """Each bad-input class POSTed to the HTTP trigger: 400 with its code, nothing published, zero VOD calls."""
    # GIVEN a pending job
    _seed_target(cloud)
    # WHEN a bad request is POSTed
    reply = post(cloud, payload)
    # THEN 400 with the error code and a message, no results published, VOD never called
    assert reply.status == 400, reply.body
    error = reply.json()["Error"]
    assert error["Code"] == code
    assert error["Message"]
    assert published(cloud) == []
    _assert_untouched(cloud)


def test_http_error_names_the_item_and_its_position(cloud: LocalCloud) -> None:
    """One invalid item rejects the whole request and the message says which item, where."""
    # GIVEN a pending job
    _seed_target(cloud)
    # WHEN a request names it and, second, an invalid job ID
    reply = post(cloud, {"JobIds": [JOB, "bad id!"]})
    # THEN the whole request is refused, naming JobIds[1] and the item
    assert reply.status == 400
    message = reply.json()["Error"]["Message"]
    assert "JobIds[1]" in message and "'bad id!'" in message
    _assert_untouched(cloud)


@pytest.mark.parametrize(
    ("body", "headers", "code"),
    [
        (b"", {}, "EmptyRequest"),
        (b'{"JobIds": ["\xff\xfe"]}', {"Content-Type": "application/octet-stream"}, "InvalidEncoding"),
        (b"x" * (6 * 1024 * 1024 + 1), {"Content-Type": "text/plain"}, "PayloadTooLarge"),
        (json.dumps({"JobIds": [JOB]}).encode(), {"Idempotency-Key": "k" * 257}, "InvalidIdempotencyKey"),
        (LARGE_BODY, {"Idempotency-Key": "k" * 257}, "InvalidIdempotencyKey"),
    ],
    ids=[
        "empty-body",
        "invalid-utf8",
        "payload-over-6mib",
        "idempotency-key-too-long",
        "idempotency-key-too-long-large-body",
    ],
)
def test_http_only_bad_input_classes(cloud: LocalCloud, body: bytes, headers: dict[str, str], code: str) -> None:
    """Classes only HTTP can carry (empty or binary bodies, 6 MiB+, headers) are 400 with their code."""
    # GIVEN a pending job
    _seed_target(cloud)
    # WHEN the body is POSTed
    reply = post(cloud, body, headers=headers)
    # THEN 400 with the code, nothing published, VOD never called
    assert reply.status == 400, reply.body[:300]
    assert reply.json()["Error"]["Code"] == code
    assert published(cloud) == []
    _assert_untouched(cloud)


def test_http_get_is_refused_with_405(cloud: LocalCloud) -> None:
    """A GET never runs a cancel: the trigger (methods: POST) answers 405 before the function runs."""
    # GIVEN a pending job
    _seed_target(cloud)
    # WHEN it is "cancelled" with a GET
    reply = post(cloud, "", method="GET", path=f"/cancel?JobIds={JOB}")
    # THEN 405, the function never ran, VOD never called
    assert reply.status == 405, reply.body
    assert invocations(cloud) == []
    _assert_untouched(cloud)


@pytest.mark.parametrize(
    ("method", "body"), [("GET", ""), ("PUT", None), ("DELETE", None), ("PATCH", LARGE_BODY.decode())]
)
def test_function_itself_answers_405_to_other_methods(cloud: LocalCloud, method: str, body: str | None) -> None:
    """An HTTP event with another method (a trigger that allows it) gets 405 MethodNotAllowed from the function."""
    # GIVEN a pending job and the sample HTTP event turned into another method
    _seed_target(cloud)
    event = json.loads((EVENTS / "http-post.json").read_text())
    event["requestContext"]["http"]["method"] = method
    if body is not None:
        event["body"] = body
    # WHEN it is invoked
    reply = invoke(cloud, event).result
    # THEN 405 with the code, nothing published, VOD never called
    assert reply["statusCode"] == 405
    assert json.loads(reply["body"])["Error"]["Code"] == "MethodNotAllowed"
    assert published(cloud) == []
    _assert_untouched(cloud)


@pytest.mark.parametrize("body", ["not base64!!", "!" * 10_000], ids=["short", "large"])
def test_invalid_base64_http_body_is_a_400(cloud: LocalCloud, body: str) -> None:
    """An HTTP event marked isBase64Encoded whose body is not base64 is InvalidBase64 (never a rejection message)."""
    # GIVEN an HTTP event with a broken base64 body
    _seed_target(cloud)
    event = json.loads((EVENTS / "http-post.json").read_text())
    event.update(body=body, isBase64Encoded=True)
    # WHEN it is invoked
    reply = invoke(cloud, event).result
    # THEN 400 InvalidBase64
    assert reply["statusCode"] == 400
    assert json.loads(reply["body"])["Error"]["Code"] == "InvalidBase64"
    assert published(cloud) == []
    _assert_untouched(cloud)


# -- comma-separated lists on a text line -----------------------------------------------------------------------
COMMA_LISTS = [
    (f"{JOB},e5f60718293a4b5c6d7e8f90a1b2c3d4", "InvalidJobId"),
    (f"{URL},https://media.example.com/b.mp4", "InvalidUrl"),
]


@pytest.mark.parametrize(("payload", "code"), COMMA_LISTS, ids=["job-ids", "urls"])
def test_a_comma_separated_text_line_is_refused_with_what_to_do_instead(cloud: LocalCloud, payload: str, code: str):
    """`id1,id2` (or URLs joined by commas) as a text request: refused through both doors with a message that says
    to put one item per line or send JSON, and nothing is cancelled."""
    # GIVEN a pending job the list names
    _seed_target(cloud)
    # WHEN the list is POSTed as text, and published on the request topic
    reply = post(cloud, payload, headers={"Content-Type": "text/plain"})
    publish_request(cloud, payload)
    # THEN both answers carry the code and say what to do; VOD is never called
    assert reply.status == 400
    rejection = only_result(cloud)
    for error in (reply.json()["Error"], rejection.document["Error"]):
        assert error["Code"] == code
        assert "comma-separated list" in error["Message"] and "one item per line" in error["Message"]
        assert "JSON" in error["Message"]
    assert rejection.tag == "rejected"
    _assert_untouched(cloud)


# -- MNS -------------------------------------------------------------------------------------------------------
MNS_BAD_PAYLOADS = [
    *BAD_PAYLOADS,
    ("blank-body", " ", "EmptyRequest"),
    ("invalid-utf8-escape", '{"UploadUrls": ["https://media.example.com/\\ud800.mp4"]}', "InvalidUrl"),
]


@pytest.mark.parametrize(
    ("payload", "code"), [case[1:] for case in MNS_BAD_PAYLOADS], ids=[c[0] for c in MNS_BAD_PAYLOADS]
)
def test_mns_bad_input_publishes_a_rejection(cloud: LocalCloud, payload: str, code: str) -> None:
    """Each bad-input class on the request topic: one `rejected` message with the code, ZERO VOD calls, no retry."""
    # GIVEN a pending job
    _seed_target(cloud)
    # WHEN a bad request is published on the request topic
    message_id = publish_request(cloud, payload)
    # THEN a rejection is published (tag `rejected`) for that message, and nothing else happened
    message = only_result(cloud)
    assert message.tag == "rejected"
    assert message.document["Error"]["Code"] == code
    assert message.document["Error"]["Message"]
    assert message.document["Source"] == "mns"
    assert message.document["DedupeKey"] == f"mns:{REQUEST_TOPIC}:{message_id}"
    assert not set(message.document) & {"Counts", "CanceledJobs", "Failed"}
    [record] = invocations(cloud)  # returned normally: MNS does not redeliver a poison message
    assert record.status == "succeeded"
    assert record.request_id == message.document["RequestId"]
    _assert_untouched(cloud)


# -- OSS -------------------------------------------------------------------------------------------------------
def test_oss_event_for_a_missing_manifest_is_rejected(cloud: LocalCloud) -> None:
    """An OSS event naming an object that does not exist publishes a ManifestNotFound rejection."""
    # GIVEN the demo jobs but no manifest object
    seed_demo(cloud, with_manifest=False)
    # WHEN the sample OSS event is invoked
    invocation = invoke(cloud, (EVENTS / "oss-manifest.json").read_bytes())
    # THEN the rejection is returned and published, and VOD is never called
    assert invocation.result["Error"]["Code"] == "ManifestNotFound"
    message = only_result(cloud)
    assert message.tag == "rejected"
    assert message.document == invocation.result
    assert message.document["Source"] == "oss"
    assert cloud.vod.call_count() == 0


@pytest.mark.parametrize("bucket", ["Bad_Bucket!", "vod-cancel-manifests-that-does-not-exist"])
def test_oss_event_for_a_bucket_that_cannot_be_read_is_reported_once_not_retried(cloud: LocalCloud, bucket: str):
    """A bucket name OSS cannot have (the SDK refuses it before any request, the same way every time) or a bucket
    that does not exist: one rejection on the results topic and one attempt — FC's async retry is not set off."""
    # GIVEN the sample OSS event naming that bucket
    event = json.loads((EVENTS / "oss-manifest.json").read_text())
    event["events"][0]["oss"]["bucket"]["name"] = bucket
    # WHEN OSS delivers it asynchronously, as the trigger does
    cloud.fc.deliver_event(cloud.fc.function_arn, json.dumps(event).encode(), source="oss")
    message = only_result(cloud)
    # THEN one attempt, which returned, and one rejection that names the bucket
    assert [(r.status, r.attempt) for r in invocations(cloud)] == [("succeeded", 1)]
    assert message.tag == "rejected" and message.document["Error"]["Code"] in ("InvalidEvent", "ManifestNotFound")
    assert bucket in message.document["Error"]["Message"]
    assert cloud.vod.call_count() == 0


def test_oss_event_without_an_object_created_record_is_rejected(cloud: LocalCloud) -> None:
    """An OSS event that creates no object (e.g. a delete) is rejected as UnsupportedEvent."""
    # GIVEN the sample OSS event turned into a delete
    seed_demo(cloud)
    event = json.loads((EVENTS / "oss-manifest.json").read_text())
    event["events"][0]["eventName"] = "ObjectRemoved:DeleteObject"
    # WHEN it is invoked
    invocation = invoke(cloud, event)
    # THEN UnsupportedEvent is published as a rejection, VOD is never called
    assert invocation.result["Error"]["Code"] == "UnsupportedEvent"
    assert only_result(cloud).tag == "rejected"
    assert cloud.vod.call_count() == 0


def test_oss_manifest_with_one_bad_line_is_rejected_whole(cloud: LocalCloud) -> None:
    """A manifest with one invalid line cancels nothing; the rejection names the object and the line."""
    # GIVEN a pending job and a manifest naming it, with a bad third line
    _seed_target(cloud)
    key = f"{MANIFEST_PREFIX}bad.txt"
    # WHEN the manifest is uploaded
    put_manifest(cloud, key, f"# header\n{JOB}\nftp://media.example.com/a.mp4\n{URL}\n")
    # THEN it is rejected naming oss://bucket/key and line 3, and the job is still pending
    message = only_result(cloud)
    assert message.tag == "rejected"
    error = message.document["Error"]
    assert error["Code"] == "InvalidJobId"  # a text line that is not http(s):// is read as a job ID
    assert "ftp://media.example.com/a.mp4" in error["Message"]
    assert f"oss://{MANIFEST_BUCKET}/{key}" in error["Message"] and "line 3" in error["Message"]
    _assert_untouched(cloud)


def test_oss_empty_manifest_is_rejected(cloud: LocalCloud) -> None:
    """A manifest with only comments is an EmptyRequest rejection."""
    # GIVEN an empty manifest
    # WHEN it is uploaded
    put_manifest(cloud, f"{MANIFEST_PREFIX}empty.txt", "# nothing today\n\n")
    # THEN EmptyRequest is published as a rejection
    message = only_result(cloud)
    assert (message.tag, message.document["Error"]["Code"]) == ("rejected", "EmptyRequest")
    assert cloud.vod.call_count() == 0


def test_rejections_can_be_consumed_separately_with_a_filter_tag(cloud: LocalCloud) -> None:
    """A consumer subscribed with FilterTag=rejected sees rejections only (the tag is usable for routing)."""
    # GIVEN a queue subscribed to the results topic for `rejected` messages only, and a pending job
    consumer = subscribe_consumer(cloud, "rejections", filter_tag="rejected")
    _seed_target(cloud)
    # WHEN one bad and one good request are published
    publish_request(cloud, "not a job id!")
    publish_request(cloud, json.dumps({"JobIds": [JOB]}))
    # THEN the queue received exactly the rejection
    settle(cloud, results=2)
    documents = consumer.drain()
    assert [document["Error"]["Code"] for document in documents] == ["InvalidJobId"]
    assert cloud.vod.job(JOB).status == "CANCELED"


@pytest.mark.parametrize(
    ("event", "source"),
    [
        ({"TopicOwner": "1", "Message": 5, "MessageId": "M1", "TopicName": REQUEST_TOPIC}, "mns"),
        ({"events": "not a list"}, "oss"),
        ({"events": [{"eventName": "ObjectCreated:PutObject", "oss": {"bucket": {"name": MANIFEST_BUCKET}}}]}, "oss"),
    ],
    ids=["mns-message-not-a-string", "oss-events-not-a-list", "oss-record-without-key"],
)
def test_broken_envelopes_are_rejected_visibly(cloud: LocalCloud, event: dict[str, object], source: str) -> None:
    """An event that cannot even be unwrapped publishes an InvalidEvent rejection and returns (no retry storm)."""
    # GIVEN a pending job
    _seed_target(cloud)
    # WHEN a broken envelope is invoked
    invocation = invoke(cloud, event)
    # THEN an InvalidEvent rejection is returned and published, VOD untouched
    assert invocation.result["Error"]["Code"] == "InvalidEvent"
    message = only_result(cloud)
    assert (message.tag, message.document["Source"]) == ("rejected", source)
    assert message.document == invocation.result
    _assert_untouched(cloud)
