"""OSS -> FC notifications: rule matching (event, prefix, suffix), exact event JSON, delivery after the response."""

from __future__ import annotations

import io
import json
import threading
import time

import alibabacloud_oss_v2 as oss_v2
import pytest
from svc_helpers import ACCOUNT_ID, REGION, Running, oss2_bucket, oss_v2_client

from localcloud.oss.events import iso8601

FUNCTION = f"acs:fc:{REGION}:{ACCOUNT_ID}:functions/vod-cancel-url-uploads"
CREATED_EVENTS = [
    "oss:ObjectCreated:PutObject",
    "oss:ObjectCreated:PostObject",
    "oss:ObjectCreated:CompleteMultipartUpload",
]


@pytest.fixture
def env(services: Running) -> Running:
    services.cloud.reset()
    services.cloud.oss.create_bucket("vod-cancel-manifests")
    return services


def _put(env: Running, key: str, data: bytes) -> oss_v2.PutObjectResult:
    client = oss_v2_client(env.oss_url)
    return client.put_object(oss_v2.PutObjectRequest(bucket="vod-cancel-manifests", key=key, body=data))


def test_put_object_event_has_the_documented_shape(env: Running) -> None:
    rule = env.cloud.oss.add_notification(
        "vod-cancel-manifests", FUNCTION, CREATED_EVENTS, prefix="cancel-requests/", suffix=".txt"
    )
    key = "cancel-requests/批次 1+2%.txt"
    data = b"job-1\njob-2\n"

    result = _put(env, key, data)

    (delivered,) = env.cloud.fc.wait_for(1)
    stored = env.cloud.oss.objects("vod-cancel-manifests")[key]
    assert (delivered.target, delivered.source) == (FUNCTION, "oss")
    assert json.loads(delivered.event) == {
        "events": [
            {
                "eventName": "ObjectCreated:PutObject",
                "eventSource": "acs:oss",
                "eventTime": iso8601(stored.last_modified),
                "eventVersion": "1.0",
                "oss": {
                    "bucket": {
                        "arn": f"acs:oss:{REGION}:{ACCOUNT_ID}:vod-cancel-manifests",
                        "name": "vod-cancel-manifests",
                        "ownerIdentity": ACCOUNT_ID,
                    },
                    "object": {
                        "deltaSize": len(data),
                        "eTag": result.etag.strip('"'),
                        "key": key,
                        "objectMeta": {"mimeType": stored.content_type},
                        "size": len(data),
                    },
                    "ossSchemaVersion": "1.0",
                    "ruleId": rule.rule_id,
                },
                "region": REGION,
                "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                "responseElements": {"requestId": result.request_id},
                "userIdentity": {"principalId": ACCOUNT_ID},
            }
        ]
    }
    assert len(rule.rule_id) == 40
    assert stored.content_type == "text/plain"  # alibabacloud_oss_v2 guesses it from the extension


def test_event_time_is_iso8601_with_zero_millis_and_user_meta_is_reported(env: Running) -> None:
    env.cloud.oss.add_notification("vod-cancel-manifests", FUNCTION)
    bucket = oss2_bucket(env.oss_url, "vod-cancel-manifests")

    bucket.put_object("m.txt", b"x", headers={"Content-Type": "text/plain", "x-oss-meta-batch": "7"})

    (record,) = json.loads(env.cloud.fc.wait_for(1)[0].event)["events"]
    assert record["eventTime"].endswith(".000Z") and len(record["eventTime"]) == 24
    assert record["oss"]["object"]["objectMeta"] == {"mimeType": "text/plain", "userMeta": {"batch": "7"}}


@pytest.mark.parametrize(
    "key",
    ["other/x.txt", "cancel-requests/x.csv", "cancel-requests.txt", "x/cancel-requests/a.txt"],
)
def test_prefix_and_suffix_filter(env: Running, key: str) -> None:
    env.cloud.oss.add_notification("vod-cancel-manifests", FUNCTION, CREATED_EVENTS, "cancel-requests/", ".txt")

    _put(env, key, b"ignored")
    _put(env, "cancel-requests/ok.txt", b"matched")

    events = env.cloud.fc.wait_for(1)
    time.sleep(0.05)
    assert [json.loads(e.event)["events"][0]["oss"]["object"]["key"] for e in env.cloud.fc.events] == [
        "cancel-requests/ok.txt"
    ]
    assert len(events) == 1


def test_event_filter_and_multipart_completion(env: Running) -> None:
    env.cloud.oss.add_notification("vod-cancel-manifests", FUNCTION, ["oss:ObjectCreated:CompleteMultipartUpload"])
    client = oss_v2_client(env.oss_url)
    data = b"y" * (300 * 1024)

    _put(env, "single.txt", b"not a multipart upload")
    client.uploader(part_size=100 * 1024).upload_from(
        oss_v2.PutObjectRequest(bucket="vod-cancel-manifests", key="multi.txt"), io.BytesIO(data)
    )

    (delivered,) = env.cloud.fc.wait_for(1)
    record = json.loads(delivered.event)["events"][0]
    assert record["eventName"] == "ObjectCreated:CompleteMultipartUpload"
    assert (record["oss"]["object"]["key"], record["oss"]["object"]["size"]) == ("multi.txt", len(data))
    assert record["oss"]["object"]["eTag"].endswith("-3")


def test_overwrite_reports_delta_size_and_delete_fires_object_removed(env: Running) -> None:
    env.cloud.oss.add_notification("vod-cancel-manifests", FUNCTION, ["oss:ObjectCreated:*", "oss:ObjectRemoved:*"])
    bucket = oss2_bucket(env.oss_url, "vod-cancel-manifests")

    bucket.put_object("m.txt", b"12345")
    bucket.put_object("m.txt", b"12")
    bucket.delete_object("m.txt")

    records = [json.loads(e.event)["events"][0] for e in env.cloud.fc.wait_for(3)]
    assert [(r["eventName"], r["oss"]["object"]["deltaSize"]) for r in records] == [
        ("ObjectCreated:PutObject", 5),
        ("ObjectCreated:PutObject", -3),
        ("ObjectRemoved:DeleteObject", -2),
    ]


def test_rules_of_other_buckets_do_not_fire_and_python_put_fires(env: Running) -> None:
    env.cloud.oss.create_bucket("elsewhere")
    env.cloud.oss.add_notification("elsewhere", FUNCTION)
    env.cloud.oss.add_notification("vod-cancel-manifests", FUNCTION)

    env.cloud.oss.put_object("vod-cancel-manifests", "seeded.txt", b"x")

    (delivered,) = env.cloud.fc.events
    assert json.loads(delivered.event)["events"][0]["oss"]["bucket"]["name"] == "vod-cancel-manifests"


def test_delivery_happens_after_the_put_response_and_never_blocks_it(env: Running) -> None:
    release = threading.Event()
    entered = threading.Event()
    real_deliver = env.cloud.fc.deliver_event

    def slow_deliver(target: str, event: bytes, *, source: str, retry_strategy: str | None = None) -> None:
        entered.set()
        release.wait(5)
        real_deliver(target, event, source=source, retry_strategy=retry_strategy)

    env.cloud.fc.deliver_event = slow_deliver  # type: ignore[method-assign]
    try:
        env.cloud.oss.add_notification("vod-cancel-manifests", FUNCTION)
        _put(env, "m.txt", b"x")
        assert entered.wait(2)
        assert env.cloud.fc.events == []  # the PUT returned while delivery was still held: it did not wait for it
    finally:
        release.set()
        env.cloud.fc.deliver_event = real_deliver  # type: ignore[method-assign]

    assert len(env.cloud.fc.wait_for(1)) == 1
