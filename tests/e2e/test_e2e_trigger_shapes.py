"""Every trigger shape carries the same mixed request to the same answer, through the official SDKs.

The request mixes more than 10 job IDs and more than 10 upload URLs (commas, spaces, ``%`` escapes, ``+``,
non-ASCII, query strings), already-started jobs, previously cancelled jobs and unknown items.
"""

from __future__ import annotations

import hashlib
import json
from urllib.parse import quote

import pytest
from e2e_helpers import (
    MANIFEST_BUCKET,
    MANIFEST_PREFIX,
    REQUEST_TOPIC,
    assert_mixed_outcome,
    invocations,
    invoke,
    only_result,
    post,
    publish_request,
    published,
    put_manifest,
    seed_mixed,
    settle,
    use_stream_subscription,
)

from localcloud.cloud import LocalCloud
from localcloud.testing import oss_bucket


def _body_key(body: str) -> str:
    return "mns-body:" + hashlib.sha256(body.encode("utf-8")).hexdigest()[:32]


def test_oss_manifest_put_with_oss_v2_cancels_every_pending_item(cloud: LocalCloud) -> None:
    """A text manifest PUT into the bucket (OSS trigger) settles every item and publishes one results message."""
    # GIVEN pending, started, cancelled and unknown jobs, and a text manifest naming them (comments, blank lines)
    mixed = seed_mixed(cloud)
    key = f"{MANIFEST_PREFIX}mixed batch+1.txt"
    # WHEN the manifest is uploaded with alibabacloud_oss_v2
    etag = put_manifest(cloud, key, mixed.as_text())
    # THEN one results message: every item has its outcome, pending jobs are cancelled, the rest untouched
    message = only_result(cloud)
    document = message.document
    assert document["Source"] == "oss"
    assert document["DedupeKey"] == f"oss:{MANIFEST_BUCKET}/{key}@{etag}"
    assert (document["Part"], document["PartCount"]) == (1, 1)
    assert message.tag == "ok"
    assert_mixed_outcome(cloud, document, mixed)
    [record] = invocations(cloud)
    assert (record.source, record.status, record.request_id) == ("oss", "succeeded", document["RequestId"])


def test_json_manifest_put_with_oss2_is_read_as_json(cloud: LocalCloud) -> None:
    """A JSON manifest (uploaded with oss2) is parsed as JSON, not as lines."""
    # GIVEN a mixed request written as a JSON manifest
    mixed = seed_mixed(cloud, count=11)
    # WHEN it is uploaded with oss2 under the trigger's prefix and suffix
    oss_bucket(cloud, MANIFEST_BUCKET).put_object(f"{MANIFEST_PREFIX}mixed.txt", mixed.as_json().encode("utf-8"))
    # THEN the results account for every item of the JSON document
    document = only_result(cloud).document
    assert document["Source"] == "oss"
    assert_mixed_outcome(cloud, document, mixed)


def test_objects_outside_the_prefix_do_not_invoke_and_non_manifests_are_ignored(cloud: LocalCloud) -> None:
    """Only keys under cancel-requests/ invoke the function (s.yaml's filter); there, an object that is not a
    manifest (.txt or .json) is ignored with a log line saying why: nothing published, nothing raised or retried."""
    # GIVEN a pending job, and another one
    job = cloud.vod.seed_job("https://media.example.com/keep.mp4")
    control = cloud.vod.seed_job("https://media.example.com/control.mp4")
    # WHEN objects naming it land outside the prefix and under it as a .csv, then a control manifest lands
    put_manifest(cloud, "elsewhere/batch.txt", job.job_id)
    put_manifest(cloud, f"{MANIFEST_PREFIX}batch.csv", job.job_id)
    put_manifest(cloud, f"{MANIFEST_PREFIX}control.txt", control.job_id)
    # THEN only the control manifest cancelled anything, and the .csv ran once, was ignored and returned
    assert only_result(cloud).document["CanceledJobs"] == [control.job_id]
    ignored, handled = invocations(cloud)
    assert (ignored.status, ignored.result, handled.status) == ("succeeded", b"", "succeeded")
    assert "event ignored" in ignored.logs and "batch.csv" in ignored.logs and ".json" in ignored.logs
    assert cloud.vod.job(job.job_id).status == "PENDING"


@pytest.mark.parametrize("key", ["batch.json", "BATCH.JSON", "batch.TXT"])
def test_a_json_manifest_fires_the_trigger_and_is_read(cloud: LocalCloud, key: str) -> None:
    """The README accepts JSON manifests: one dropped in the bucket cancels, whatever the case of its suffix."""
    # GIVEN a pending job
    job = cloud.vod.seed_job("https://media.example.com/json manifest.mp4")
    # WHEN a manifest naming it lands under the prefix
    body = json.dumps({"UploadUrls": [job.upload_url]}) if key.lower().endswith(".json") else job.upload_url
    put_manifest(cloud, f"{MANIFEST_PREFIX}{key}", body)
    # THEN it is cancelled
    assert only_result(cloud).document["CanceledUrls"] == [{"UploadUrl": job.upload_url, "JobIds": [job.job_id]}]
    assert cloud.vod.job(job.job_id).status == "CANCELED"


def test_mns_json_message_cancels_every_pending_item(cloud: LocalCloud) -> None:
    """A JSON request published on the request topic (JSON notify format) settles every item."""
    # GIVEN the mixed jobs
    mixed = seed_mixed(cloud)
    # WHEN the request is published with aliyun-mns-sdk
    message_id = publish_request(cloud, mixed.as_json())
    # THEN the results carry the MNS dedupe key and every outcome
    message = only_result(cloud)
    assert message.document["Source"] == "mns"
    assert message.document["DedupeKey"] == f"mns:{REQUEST_TOPIC}:{message_id}"
    assert_mixed_outcome(cloud, message.document, mixed)


def test_mns_json_message_with_comma_separated_fields_and_encoded_urls(cloud: LocalCloud) -> None:
    """Comma-string fields work; URLs with commas are given URL-encoded and reported exactly as given."""
    # GIVEN pending jobs whose URLs contain commas, spaces, %, + and non-ASCII
    mixed = seed_mixed(cloud)
    encoded = [quote(url, safe="") for url in mixed.upload_urls]
    body = json.dumps({"JobIds": ",".join(mixed.job_ids), "UploadUrls": " , ".join(encoded)})
    # WHEN the request is published as comma-separated strings
    publish_request(cloud, body)
    # THEN every URL is reported in the form it was given (encoded), and the right jobs are cancelled
    document = only_result(cloud).document
    as_given = dict(zip(mixed.upload_urls, encoded, strict=True))
    assert {entry["UploadUrl"]: entry["JobIds"] for entry in document["CanceledUrls"]} == {
        as_given[url]: [job_id] for url, job_id in mixed.pending_urls.items()
    }
    assert sorted(document["NonExists"]) == sorted([*mixed.unknown_ids, *(as_given[u] for u in mixed.unknown_urls)])
    assert {entry["Item"] for entry in document["NotCancellable"]} == {
        *mixed.started_ids,
        *(as_given[url] for url in mixed.started_urls),
    }
    for job_id in [*mixed.pending_ids, *mixed.pending_urls.values()]:
        assert cloud.vod.job(job_id).status == "CANCELED"
    assert document["Counts"]["Failed"] == 0


@pytest.mark.parametrize("as_text", [False, True], ids=["json-body", "text-body"])
def test_mns_stream_message_cancels_every_pending_item(cloud: LocalCloud, as_text: bool) -> None:
    """With a STREAM subscription the raw body is the event; JSON and text bodies both work."""
    # GIVEN the function subscribed to the request topic in STREAM format, and the mixed jobs
    use_stream_subscription(cloud)
    mixed = seed_mixed(cloud)
    body = mixed.as_text() if as_text else mixed.as_json()
    # WHEN the request is published
    publish_request(cloud, body)
    # THEN the body's hash is the dedupe key and every item is settled
    document = only_result(cloud).document
    assert document["Source"] == "mns"
    assert document["DedupeKey"] == _body_key(body)
    assert_mixed_outcome(cloud, document, mixed)
    [record] = invocations(cloud)
    assert record.event == body.encode("utf-8")


def test_mns_stream_message_with_attributes_cancels_every_pending_item(cloud: LocalCloud) -> None:
    """A STREAM message with attributes arrives as {"body", "attrs"}; the body is the request."""
    # GIVEN a STREAM subscription and the mixed jobs
    use_stream_subscription(cloud)
    mixed = seed_mixed(cloud)
    body = mixed.as_json()
    # WHEN the request is published with a message attribute
    publish_request(cloud, body, attributes={"requestedBy": "media-ops"})
    # THEN FC delivered the attributes envelope, and the results are those of the body
    document = only_result(cloud).document
    [record] = invocations(cloud)
    assert json.loads(record.event) == {"body": body, "attrs": {"requestedBy": "media-ops"}}
    assert document["DedupeKey"] == _body_key(body)
    assert_mixed_outcome(cloud, document, mixed)


def test_http_post_replies_with_the_results_and_publishes_them(cloud: LocalCloud) -> None:
    """An FC-signed POST to the HTTP trigger gets the results document; the same document is published."""
    # GIVEN the mixed jobs
    mixed = seed_mixed(cloud)
    # WHEN the request is POSTed, signed as FC 3.0 documents
    reply = post(cloud, mixed.as_json())
    # THEN 200 with the results, marked as published, equal to the message on the results topic
    assert reply.status == 200, reply.body
    assert reply.headers["X-Results-Published"] == "true"
    assert reply.headers["Content-Type"].startswith("application/json")
    document = reply.json()
    assert document["Source"] == "http"
    assert document["DedupeKey"] == f"http:{document['RequestId']}"
    assert_mixed_outcome(cloud, document, mixed)
    assert only_result(cloud).document == document


def test_http_post_text_body(cloud: LocalCloud) -> None:
    """A plain-text body (one item per line) is a valid HTTP request too."""
    # GIVEN the mixed jobs written as text lines
    mixed = seed_mixed(cloud, count=11)
    # WHEN they are POSTed as text/plain
    reply = post(cloud, mixed.as_text(), headers={"Content-Type": "text/plain; charset=utf-8"})
    # THEN every item is settled
    assert reply.status == 200, reply.body
    assert_mixed_outcome(cloud, reply.json(), mixed)


def test_text_manifest_with_bom_and_crlf_line_ends(cloud: LocalCloud) -> None:
    """A Windows-made manifest (UTF-8 BOM, CRLF line ends) reads like any other."""
    # GIVEN the mixed jobs written with a BOM and CRLF line ends
    mixed = seed_mixed(cloud, count=11)
    data = "\ufeff" + mixed.as_text().replace("\n", "\r\n")
    # WHEN the manifest is uploaded
    put_manifest(cloud, f"{MANIFEST_PREFIX}windows.txt", data.encode("utf-8"))
    # THEN every item is settled
    assert_mixed_outcome(cloud, only_result(cloud).document, mixed)


def test_oss_event_with_an_url_encoded_key_finds_the_manifest(cloud: LocalCloud) -> None:
    """An OSS event whose object key arrives URL-encoded still reads the manifest (the key is tried decoded)."""
    # GIVEN a manifest stored under a key with a space and a plus, and an OSS event naming it URL-encoded
    job = cloud.vod.seed_job("https://media.example.com/encoded-key.mp4").job_id
    key = f"{MANIFEST_PREFIX}batch 7+8.txt"
    etag = put_manifest(cloud, key, job)
    settle(cloud, results=1)  # the upload's own notification (the key as stored)
    event = json.loads(invocations(cloud)[0].event)
    event["events"][0]["oss"]["object"]["key"] = quote(key, safe="/")
    # WHEN the encoded-key event is invoked
    result = invoke(cloud, event).result
    # THEN the manifest was found: the job counts as cancelled, with the event's key in the dedupe key
    dedupe_key = f"oss:{MANIFEST_BUCKET}/{quote(key, safe='/')}@{etag}"
    assert (result["DedupeKey"], result["Final"], result["Counts"]["Canceled"]) == (dedupe_key, True, 1)
    (document,) = [message.document for message in published(cloud) if message.document["DedupeKey"] == dedupe_key]
    assert document["CanceledJobs"] == [job]


def test_one_oss_delivery_with_several_manifests_counts_them_all(cloud: LocalCloud) -> None:
    """Several ObjectCreated records in one OSS event: all manifests are read into one request."""
    # GIVEN two manifests (an item appears in both) and one OSS event naming both
    jobs = [cloud.vod.seed_job(f"https://media.example.com/multi/{index}.mp4").job_id for index in range(3)]
    first_etag = put_manifest(cloud, f"{MANIFEST_PREFIX}part-1.txt", f"{jobs[0]}\n{jobs[1]}\n")
    settle(cloud, results=1)
    second_etag = put_manifest(cloud, f"{MANIFEST_PREFIX}part-2.txt", f"{jobs[1]}\n{jobs[2]}\n")
    settle(cloud, results=2)
    records = [json.loads(record.event)["events"][0] for record in invocations(cloud)]
    # WHEN one event carrying both records is invoked
    result = invoke(cloud, {"events": records}).result
    # THEN three distinct items, all cancelled, keyed by the hash of both objects
    assert result["Counts"] == {"Requested": 3, "Canceled": 3, "NonExists": 0, "NotCancellable": 0, "Failed": 0}
    lines = sorted(
        [
            f"{MANIFEST_BUCKET}/{MANIFEST_PREFIX}part-1.txt@{first_etag}",
            f"{MANIFEST_BUCKET}/{MANIFEST_PREFIX}part-2.txt@{second_etag}",
        ]
    )
    assert result["DedupeKey"] == "oss:" + hashlib.sha256("\n".join(lines).encode()).hexdigest()


def test_mns_json_message_with_attributes(cloud: LocalCloud) -> None:
    """Message attributes on a JSON-format subscription are merged into the event and do not disturb it."""
    # GIVEN the mixed jobs
    mixed = seed_mixed(cloud, count=11)
    # WHEN the request is published with an attribute
    message_id = publish_request(cloud, mixed.as_json(), attributes={"requestedBy": "media-ops"})
    # THEN the event carried the attribute, and the results are the request's
    document = only_result(cloud).document
    [record] = invocations(cloud)
    assert json.loads(record.event)["requestedBy"] == "media-ops"
    assert document["DedupeKey"] == f"mns:{REQUEST_TOPIC}:{message_id}"
    assert_mixed_outcome(cloud, document, mixed)


def test_concurrent_requests_sharing_a_job_both_report_it_cancelled(cloud: LocalCloud) -> None:
    """Three concurrent requests sharing one job: each reports its own items, the shared job cancelled in all."""
    # GIVEN a shared pending job and two pending jobs of each request
    shared = cloud.vod.seed_job("https://media.example.com/shared.mp4").job_id
    own = [[cloud.vod.seed_job(f"https://media.example.com/c{r}/{i}.mp4").job_id for i in range(2)] for r in range(3)]
    # WHEN the three requests are published back to back
    for jobs in own:
        publish_request(cloud, json.dumps({"JobIds": [*jobs, shared]}))
    settle(cloud, results=3)
    # THEN each result cancelled exactly its items, the shared one included
    documents = [message.document for message in published(cloud)]
    assert sorted(sorted(document["CanceledJobs"]) for document in documents) == sorted(
        sorted([*jobs, shared]) for jobs in own
    )
    assert all(document["Counts"]["Failed"] == 0 for document in documents)
    assert all(job.status == "CANCELED" for job in cloud.vod.jobs())
