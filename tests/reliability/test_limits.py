"""The documented limits (README "Limits"), each enforced with a clear error, and each exact boundary accepted."""

from __future__ import annotations

import json
import uuid

import pytest
from helpers import (
    MANIFEST_PREFIX,
    RESULTS_TOPIC,
    Tally,
    invoke_sync,
    merge_parts,
    mns_json_event,
    post_http,
    put_manifest,
    results_by_request,
)

from lib.limits import MAX_JSON_MANIFEST_BYTES
from localcloud.cloud import LocalCloud

MAX_ITEMS = 10_000
MAX_REQUEST_BYTES = 6 * 1024 * 1024
MNS_MESSAGE_BYTES = 65536


def _unthrottled(cloud: LocalCloud) -> None:
    """Lift the account quotas (local VOD and the function's pacing): these tests are about limits, not QPS."""
    cloud.vod.quotas["CancelUrlUploadJobs"] = None
    cloud.vod.quotas["GetURLUploadInfos"] = None
    cloud.fc.set_env(VOD_CANCEL_QPS="100000", VOD_INFO_QPS="100000")


def _padded(size: int) -> bytes:
    """A valid one-item JSON request of exactly ``size`` bytes."""
    head, tail = '{"JobIds": ["limit-check"], "note": "', '"}'
    return (head + "x" * (size - len(head) - len(tail)) + tail).encode()


def test_10000_items_are_accepted_and_10001_refused(localcloud: LocalCloud, tally: Tally) -> None:
    """MAX_REQUEST_ITEMS: 10,000 distinct items (duplicates do not count) are cancelled; 10,001 are a 400."""
    # GIVEN 10,000 distinct job IDs VOD does not know, each repeated once more at the end
    _unthrottled(localcloud)
    ids = [f"limit-{i:05d}" for i in range(MAX_ITEMS)]
    # WHEN they are POSTed
    reply = post_http(localcloud, json.dumps({"JobIds": ids + ids[:100]}))
    tally.items += MAX_ITEMS
    # THEN all 10,000 are accounted for, and the results arrive in parts of at most 64 KB
    assert reply.status == 200, reply.body[:300]
    assert reply.headers["x-results-published"] == "true"
    document = merge_parts(results_by_request(localcloud)[reply.request_id])
    assert document["Counts"]["Requested"] == MAX_ITEMS == len(document["NonExists"]) == len(set(document["NonExists"]))
    messages = localcloud.mns.published(RESULTS_TOPIC)
    assert len(messages) > 1 and all(len(m.body.encode()) <= MNS_MESSAGE_BYTES for m in messages)
    # AND one more distinct item is refused before any VOD call
    calls = localcloud.vod.call_count()
    reply = post_http(localcloud, json.dumps({"JobIds": [*ids, "one-too-many"]}))
    assert reply.status == 400
    assert reply.json()["Error"]["Code"] == "TooManyItems"
    assert localcloud.vod.call_count() == calls


@pytest.mark.parametrize(("size", "status"), [(MAX_REQUEST_BYTES, 200), (MAX_REQUEST_BYTES + 1, 400)])
def test_payload_of_6_mib_is_accepted_and_one_byte_more_refused(
    localcloud: LocalCloud, tally: Tally, size: int, status: int
) -> None:
    """MAX_REQUEST_BYTES: a 6 MiB body is a request, 6 MiB + 1 byte is PayloadTooLarge (HTTP and MNS)."""
    # GIVEN a body of exactly ``size`` bytes  WHEN it is POSTed and sent as an MNS event
    payload = _padded(size)
    reply = post_http(localcloud, payload)
    record = invoke_sync(localcloud, mns_json_event(payload.decode()))
    tally.cases += 2
    # THEN the boundary is accepted and one byte more is refused with PayloadTooLarge, before VOD
    assert reply.status == status, reply.body[:300]
    if status == 400:
        assert reply.json()["Error"]["Code"] == "PayloadTooLarge"
        assert record.result_json()["Error"]["Code"] == "PayloadTooLarge"
        assert localcloud.vod.call_count() == 0
    else:
        assert reply.json()["Counts"]["Requested"] == 1
        assert record.result_json()["Counts"]["Requested"] == 1


def test_manifest_size_limit_is_enforced(localcloud: LocalCloud, tally: Tally) -> None:
    """MAX_MANIFEST_BYTES (lowered to 1,000): a manifest of exactly the limit is read, one byte more is rejected."""
    # GIVEN a manifest limit of 1,000 bytes
    localcloud.fc.set_env(MAX_MANIFEST_BYTES="1000")
    line = "manifest-limit-0001\n"
    at_limit = ("# padding " + "x" * (1000 - len(line) - 11) + "\n" + line).encode()
    assert len(at_limit) == 1000
    # WHEN a manifest of 1,000 bytes and one of 1,001 bytes are uploaded
    put_manifest(localcloud, f"{MANIFEST_PREFIX}{uuid.uuid4().hex}.txt", at_limit)
    put_manifest(localcloud, f"{MANIFEST_PREFIX}{uuid.uuid4().hex}.txt", b" " + at_limit)
    tally.cases += 2
    # THEN the first is handled, the second is rejected with ManifestTooLarge; one attempt each
    records = localcloud.fc.invocations(source="oss")
    assert [(r.status, r.attempt) for r in records] == [("succeeded", 1), ("succeeded", 1)]
    first, second = (results_by_request(localcloud)[r.request_id] for r in records)
    assert first[0].body["Counts"]["NonExists"] == 1
    assert second[0].tag == "rejected" and second[0].body["Error"]["Code"] == "ManifestTooLarge"


def test_manifests_have_no_item_limit(localcloud: LocalCloud, tally: Tally) -> None:
    """An OSS manifest may name more than MAX_REQUEST_ITEMS items: 10,001 lines are all handled."""
    # GIVEN a manifest of 10,001 unknown job IDs
    _unthrottled(localcloud)
    manifest = "\n".join(f"manifest-{i:05d}" for i in range(MAX_ITEMS + 1)).encode()
    # WHEN it is uploaded
    put_manifest(localcloud, f"{MANIFEST_PREFIX}{uuid.uuid4().hex}.txt", manifest)
    tally.items += MAX_ITEMS + 1
    # THEN every line has an outcome
    (record,) = localcloud.fc.invocations(source="oss")
    assert record.status == "succeeded", record.error
    document = merge_parts(results_by_request(localcloud)[record.request_id])
    assert document["Counts"]["Requested"] == len(document["NonExists"]) == MAX_ITEMS + 1


@pytest.mark.parametrize(
    ("field", "good", "bad", "code"),
    [
        ("JobIds", "j" * 64, "j" * 65, "InvalidJobId"),
        ("UploadUrls", "https://h.example/" + "u" * 2030, "https://h.example/" + "u" * 2031, "InvalidUrl"),
        ("Idempotency-Key", "k" * 256, "k" * 257, "InvalidIdempotencyKey"),
    ],
    ids=["job-id-64", "url-2048", "idempotency-key-256"],
)
def test_item_and_key_length_limits(
    localcloud: LocalCloud, tally: Tally, field: str, good: str, bad: str, code: str
) -> None:
    """Job ID ≤ 64, URL ≤ 2,048 characters, Idempotency-Key ≤ 256: the limit passes, one more is a 400."""
    assert len("https://h.example/" + "u" * 2030) == 2048

    def post(value: str) -> int:
        if field == "Idempotency-Key":
            reply = post_http(localcloud, '{"JobIds": ["abc"]}', headers={field: value})
        else:
            reply = post_http(localcloud, json.dumps({field: [value]}))
        if reply.status == 400:
            assert reply.json()["Error"]["Code"] == code
        return reply.status

    # GIVEN values at and one past the limit  WHEN each is POSTed  THEN 200, then 400 with the code
    assert post(good) == 200
    calls = localcloud.vod.call_count()
    assert post(bad) == 400
    assert localcloud.vod.call_count() == calls
    tally.cases += 2


@pytest.mark.soak
def test_json_manifest_over_its_limit_is_rejected(localcloud: LocalCloud, tally: Tally) -> None:
    """A JSON manifest is parsed whole, so it is capped (MAX_JSON_MANIFEST_BYTES): ManifestTooLarge, not an
    out-of-memory."""
    # GIVEN a JSON manifest one byte over the limit  WHEN it is uploaded
    payload = _padded(MAX_JSON_MANIFEST_BYTES + 1)
    put_manifest(localcloud, f"{MANIFEST_PREFIX}{uuid.uuid4().hex}.txt", payload)
    tally.cases += 1
    # THEN it is rejected once with ManifestTooLarge
    (record,) = localcloud.fc.invocations(source="oss")
    assert record.status == "succeeded" and record.attempt == 1
    (parts,) = results_by_request(localcloud).values()
    assert parts[0].body["Error"]["Code"] == "ManifestTooLarge"
