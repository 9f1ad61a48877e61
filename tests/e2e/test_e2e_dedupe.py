"""Dedupe keys: every delivery of the same trigger event carries the same key, and a redelivery converges on the
same answer (already-cancelled jobs count as cancelled)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from e2e_helpers import (
    MANIFEST_BUCKET,
    MANIFEST_PREFIX,
    REQUEST_TOPIC,
    invocations,
    invoke,
    post,
    publish_request,
    published,
    put_manifest,
    settle,
    use_stream_subscription,
)

from localcloud.cloud import LocalCloud

EVENTS = Path(__file__).resolve().parents[2] / "events"
URL = "https://media.example.com/dedupe/a b,c.mp4"


def _mns_json_event(message_id: str, body: str) -> dict[str, object]:
    event = json.loads((EVENTS / "mns-json.json").read_text())
    event.update(MessageId=message_id, Message=body, MessageMD5=hashlib.md5(body.encode()).hexdigest().upper())
    return event


def test_same_mns_message_id_gives_the_same_key_and_converges(cloud: LocalCloud) -> None:
    """MNS redelivers a message (same MessageId): same DedupeKey, and the second answer is the same."""
    # GIVEN a pending job and one MNS JSON event naming it
    job = cloud.vod.seed_job(URL)
    event = _mns_json_event("7A1B2C3D4E5F60718293A4B5C6D7E8F9", json.dumps({"JobIds": [job.job_id], "URLs": [URL]}))
    # WHEN the event is delivered twice
    first = invoke(cloud, event).result
    second = invoke(cloud, event).result
    # THEN both results carry the same key (different request ids) and the same outcomes
    assert first["DedupeKey"] == second["DedupeKey"] == f"mns:{REQUEST_TOPIC}:7A1B2C3D4E5F60718293A4B5C6D7E8F9"
    assert first["RequestId"] != second["RequestId"]
    for name in ("Counts", "CanceledJobs", "CanceledUrls", "NonExists", "NotCancellable", "Failed"):
        assert first[name] == second[name], name
    assert second["CanceledUrls"] == [{"UploadUrl": URL, "JobIds": [job.job_id]}]
    assert cloud.vod.job(job.job_id).status == "CANCELED"


def test_different_messages_with_the_same_body_get_different_keys(cloud: LocalCloud) -> None:
    """Two publishes of the same body are two requests: their keys are their own MessageIds."""
    # GIVEN a pending job
    job = cloud.vod.seed_job(URL)
    body = json.dumps({"JobIds": [job.job_id]})
    # WHEN the same body is published twice
    ids = [publish_request(cloud, body), publish_request(cloud, body)]
    settle(cloud, results=2)
    # THEN two results, keyed by each MessageId
    keys = sorted(message.document["DedupeKey"] for message in published(cloud))
    assert keys == sorted(f"mns:{REQUEST_TOPIC}:{message_id}" for message_id in ids)
    assert len(set(keys)) == 2


def test_mns_stream_messages_are_keyed_by_their_body(cloud: LocalCloud) -> None:
    """STREAM has no MessageId: the same body gives the same key, another body another key."""
    # GIVEN a STREAM subscription and two pending jobs
    use_stream_subscription(cloud)
    jobs = [cloud.vod.seed_job(f"https://media.example.com/s{index}.mp4").job_id for index in range(2)]
    # WHEN the first body is published twice and another body once
    publish_request(cloud, jobs[0])
    publish_request(cloud, jobs[0])
    publish_request(cloud, jobs[1])
    settle(cloud, results=3)
    # THEN the first two share a key and the third differs
    keys = [message.document["DedupeKey"] for message in published(cloud)]
    expected = {job: "mns-body:" + hashlib.sha256(job.encode()).hexdigest()[:32] for job in jobs}
    assert sorted(keys) == sorted([expected[jobs[0]], expected[jobs[0]], expected[jobs[1]]])


def test_http_idempotency_key_is_the_dedupe_key(cloud: LocalCloud) -> None:
    """A client retrying a POST with the same Idempotency-Key gets the same DedupeKey and the same answer."""
    # GIVEN a pending job
    job = cloud.vod.seed_job(URL)
    request = {"UploadUrls": [URL]}
    # WHEN the POST is sent twice with the same Idempotency-Key
    first = post(cloud, request, headers={"Idempotency-Key": "ticket-4711"}).json()
    second = post(cloud, request, headers={"Idempotency-Key": "ticket-4711"}).json()
    # THEN both carry http:<key>, and the retry converges (the job is already cancelled: still cancelled)
    assert first["DedupeKey"] == second["DedupeKey"] == "http:ticket-4711"
    assert first["RequestId"] != second["RequestId"]
    assert first["CanceledUrls"] == second["CanceledUrls"] == [{"UploadUrl": URL, "JobIds": [job.job_id]}]
    assert [message.document["DedupeKey"] for message in published(cloud)] == ["http:ticket-4711"] * 2


def test_http_without_idempotency_key_is_keyed_by_request(cloud: LocalCloud) -> None:
    """Without Idempotency-Key each POST is its own request: keys differ."""
    # GIVEN a pending job
    job = cloud.vod.seed_job(URL)
    # WHEN it is POSTed twice without an Idempotency-Key
    keys = [post(cloud, {"JobIds": [job.job_id]}).json()["DedupeKey"] for _ in range(2)]
    # THEN the keys are http:<request id> and differ
    assert all(key.startswith("http:") for key in keys)
    assert keys[0] != keys[1]


def test_oss_key_follows_the_object_version(cloud: LocalCloud) -> None:
    """The same OSS event redelivered keeps its key; overwriting the manifest (new ETag) is a new key."""
    # GIVEN two pending jobs
    first_job = cloud.vod.seed_job("https://media.example.com/o1.mp4")
    second_job = cloud.vod.seed_job("https://media.example.com/o2.mp4")
    key = f"{MANIFEST_PREFIX}versioned.txt"
    # WHEN a manifest is uploaded, then overwritten with other content
    first_etag = put_manifest(cloud, key, first_job.job_id)
    settle(cloud, results=1)
    second_etag = put_manifest(cloud, key, second_job.job_id)
    settle(cloud, results=2)
    # ... and the first notification is delivered again
    [first_record, _] = invocations(cloud)
    redelivered = invoke(cloud, first_record.event).result
    # THEN each upload has its own key, and the redelivery reuses the first key
    keys = [message.document["DedupeKey"] for message in published(cloud)]
    assert keys[:2] == [f"oss:{MANIFEST_BUCKET}/{key}@{first_etag}", f"oss:{MANIFEST_BUCKET}/{key}@{second_etag}"]
    assert redelivered["DedupeKey"] == keys[0]
    assert cloud.vod.job(first_job.job_id).status == cloud.vod.job(second_job.job_id).status == "CANCELED"
