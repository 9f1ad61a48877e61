"""Duplicate and concurrent delivery: the same MNS message, OSS event or HTTP request handled twice, one after the
other and both at once. Cancels stay correct (a job is cancelled once; the second answer converges on "cancelled"),
and both results messages carry the same DedupeKey so a consumer can drop the duplicate. A manifest request is
checkpointed: a second delivery after the first finished publishes nothing, and two at once publish one set of
parts between them (each part number with one content), so every item is reported exactly once.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from helpers import (
    MANIFEST_BUCKET,
    MANIFEST_PREFIX,
    REQUEST_TOPIC,
    RESULTS_TOPIC,
    Published,
    Scenario,
    Tally,
    check_accounting,
    deliver_again,
    merge_parts,
    post_http,
    publish_request,
    put_manifest,
    results_by_request,
    seed_scenario,
    store_manifest,
    wait_idle,
    wait_until,
)

from localcloud.cloud import LocalCloud

MODES = ("one-after-the-other", "at-once")
SLOW_VOD_MS = 150  # widens each invocation so the concurrent pair really overlaps


def normalized(document: dict[str, Any]) -> dict[str, Any]:
    """The outcomes of a results document, independent of order and of which invocation produced them."""
    return {
        "Counts": document["Counts"],
        "CanceledJobs": sorted(document["CanceledJobs"]),
        "CanceledUrls": sorted((e["UploadUrl"], tuple(sorted(e["JobIds"]))) for e in document["CanceledUrls"]),
        "NonExists": sorted(document["NonExists"]),
        "NotCancellable": sorted((e["Item"], e["JobId"], e["Status"]) for e in document["NotCancellable"]),
        "Failed": sorted((e["Item"], e["Code"]) for e in document["Failed"]),
    }


def both_at_once(first: Callable[[], Any], second: Callable[[], Any]) -> None:
    """Run two deliveries from two threads released together."""
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(action: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            action()
        except BaseException as exc:  # re-raised in the test thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(action,)) for action in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors


def _check_pair(cloud: LocalCloud, scenario: Scenario, records: list[Any], dedupe_key: str, mode: str) -> None:
    """Two invocations, both reported; same DedupeKey; the same, correct outcomes; overlapping when at once."""
    assert len(records) == 2 and [r.status for r in records] == ["succeeded", "succeeded"], [r.error for r in records]
    assert len({r.request_id for r in records}) == 2
    grouped = results_by_request(cloud)
    documents = [merge_parts(grouped[r.request_id]) for r in records]
    assert [d["DedupeKey"] for d in documents] == [dedupe_key, dedupe_key]
    for document in documents:
        check_accounting(cloud, scenario, document, expect_no_failures=True)
    assert normalized(documents[0]) == normalized(documents[1])
    if mode == "at-once":
        first, second = sorted(records, key=lambda r: r.started_at)
        assert second.started_at < first.started_at + first.duration_ms / 1000, "the deliveries did not overlap"


def _check_manifest_pair(cloud: LocalCloud, scenario: Scenario, records: list[Any], dedupe_key: str, mode: str) -> None:
    """Two invocations, both returned; together they published one complete set of parts for the request."""
    assert len(records) == 2 and [r.status for r in records] == ["succeeded", "succeeded"], [r.error for r in records]
    assert len({r.request_id for r in records}) == 2
    copies: dict[int, set[str]] = {}
    parts = []
    for message in cloud.mns.published(RESULTS_TOPIC):
        document = json.loads(message.body)
        assert document["DedupeKey"] == dedupe_key
        number = document["Part"]
        if number not in copies:
            parts.append(Published(document, message.tag))
        copies.setdefault(number, set()).add(message.body)
    assert all(len(bodies) == 1 for bodies in copies.values()), "a part number was published with two contents"
    if mode == "one-after-the-other":  # the second found the request finished: nothing new
        assert sum(len(bodies) for bodies in copies.values()) == len(parts)
    document = merge_parts(parts)
    check_accounting(cloud, scenario, document, expect_no_failures=True)


def _slow_vod(cloud: LocalCloud, mode: str) -> None:
    if mode == "at-once":
        cloud.faults.add(service="vod", latency_ms=SLOW_VOD_MS)


@pytest.mark.parametrize("mode", MODES)
def test_mns_message_delivered_twice(localcloud: LocalCloud, tally: Tally, mode: str) -> None:
    """The same MNS message delivered twice: both results say the same and carry mns:<topic>:<MessageId>."""
    # GIVEN pending, started and unknown items in one message on the request topic
    scenario = seed_scenario(localcloud)
    _slow_vod(localcloud, mode)
    message_id = publish_request(localcloud, scenario.json_payload())
    event = localcloud.mns.deliveries(REQUEST_TOPIC)[0].payload
    if mode == "one-after-the-other":
        wait_idle(localcloud)
    # WHEN MNS delivers the very same notification again (after the first, or while it runs)
    deliver_again(localcloud, event, "mns")
    wait_idle(localcloud)
    tally.items += 2 * scenario.item_count
    # THEN both invocations report the same correct outcomes under the same dedupe key
    records = localcloud.fc.invocations(source="mns")
    _check_pair(localcloud, scenario, records, f"mns:{REQUEST_TOPIC}:{message_id}", mode)


@pytest.mark.parametrize("mode", MODES)
def test_same_manifest_uploaded_twice(localcloud: LocalCloud, tally: Tally, mode: str) -> None:
    """The same manifest bytes PUT twice (a retried upload): two events, same eTag, same DedupeKey, one answer."""
    # GIVEN a manifest
    scenario = seed_scenario(localcloud)
    _slow_vod(localcloud, mode)
    key = f"{MANIFEST_PREFIX}{uuid.uuid4().hex}.txt"
    data = scenario.text_payload().encode()
    # WHEN it is uploaded twice with oss2 (one after the other, or from two threads at once)
    if mode == "one-after-the-other":
        put_manifest(localcloud, key, data)
        put_manifest(localcloud, key, data)
    else:
        both_at_once(
            lambda: put_manifest(localcloud, key, data, wait=False),
            lambda: put_manifest(localcloud, key, data, wait=False),
        )
        wait_until(lambda: len(localcloud.fc.invocations(source="oss")) == 2)
    wait_idle(localcloud)
    tally.items += 2 * scenario.item_count
    # THEN both invocations report the same outcomes under oss:<bucket>/<key>@<eTag>
    etag = localcloud.oss.head(MANIFEST_BUCKET, key).etag
    records = localcloud.fc.invocations(source="oss")
    _check_manifest_pair(localcloud, scenario, records, f"oss:{MANIFEST_BUCKET}/{key}@{etag}", mode)


@pytest.mark.parametrize("mode", MODES)
def test_oss_event_delivered_twice(localcloud: LocalCloud, tally: Tally, mode: str) -> None:
    """One OSS notification delivered twice (at-least-once): same DedupeKey, one answer, jobs cancelled once."""
    # GIVEN a manifest in the bucket and the notification OSS sends for it
    scenario = seed_scenario(localcloud)
    _slow_vod(localcloud, mode)
    key = f"{MANIFEST_PREFIX}{uuid.uuid4().hex}.txt"
    stored = store_manifest(localcloud, key, scenario.text_payload().encode())
    event = _notification_event(localcloud, key)
    # WHEN that event is delivered twice (after the first finished, or while it runs)
    deliver_again(localcloud, event, "oss")
    if mode == "one-after-the-other":
        wait_idle(localcloud)
    deliver_again(localcloud, event, "oss")
    wait_idle(localcloud)
    tally.items += 2 * scenario.item_count
    # THEN one report under oss:<bucket>/<key>@<eTag>, every item in it once
    records = localcloud.fc.invocations(source="oss")
    _check_manifest_pair(localcloud, scenario, records, f"oss:{MANIFEST_BUCKET}/{key}@{stored.etag}", mode)


def _notification_event(cloud: LocalCloud, key: str) -> bytes:
    """The event the bucket's OSS trigger sends for the stored object (rendered by the local OSS itself)."""
    from localcloud.oss.events import ObjectEvent, event_bytes

    stored = cloud.oss.head(MANIFEST_BUCKET, key)
    (rule,) = cloud.oss.notifications(MANIFEST_BUCKET)
    event = ObjectEvent(
        "ObjectCreated:PutObject",
        MANIFEST_BUCKET,
        key,
        stored.size,
        stored.size,
        stored.etag,
        stored.content_type,
        (),
        "redelivery",
        "127.0.0.1",
        stored.last_modified,
    )
    return event_bytes(event, rule, cloud.region, cloud.account_id)


@pytest.mark.parametrize("mode", MODES)
def test_http_request_with_the_same_idempotency_key_twice(localcloud: LocalCloud, tally: Tally, mode: str) -> None:
    """A client retry with the same Idempotency-Key: two replies, same DedupeKey http:<key>, same outcomes."""
    # GIVEN a request and an idempotency key
    scenario = seed_scenario(localcloud)
    _slow_vod(localcloud, mode)
    key = f"ticket-{uuid.uuid4().hex[:8]}"
    replies: list[Any] = []

    def post() -> None:
        replies.append(post_http(localcloud, scenario.json_payload(), headers={"Idempotency-Key": key}))

    # WHEN it is POSTed twice
    if mode == "one-after-the-other":
        post()
        post()
    else:
        both_at_once(post, post)
    tally.items += 2 * scenario.item_count
    # THEN both replies (and both published results) agree, under http:<key>
    assert [r.status for r in replies] == [200, 200]
    assert [r.json()["DedupeKey"] for r in replies] == [f"http:{key}"] * 2
    assert normalized(replies[0].json()) == normalized(replies[1].json())
    records = [localcloud.fc.invocations(request_id=r.request_id)[0] for r in replies]
    _check_pair(localcloud, scenario, records, f"http:{key}", mode)
