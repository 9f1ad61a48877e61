"""The results document: split into ≤ 64 KB parts when large, URL → several jobs, NonExists as given, already
cancelled jobs, and reading it back as a downstream consumer does (an MNS queue, with the SDK)."""

from __future__ import annotations

import json

import pytest
from e2e_helpers import (
    MANIFEST_PREFIX,
    RESULTS_TOPIC,
    assert_part_invariants,
    invocations,
    invoke,
    only_result,
    post,
    publish_request,
    published,
    put_manifest,
    seed_mixed,
    settle,
    subscribe_consumer,
)

from localcloud.cloud import LocalCloud

URL = "https://media.example.com/twice/ep 07, final+cut.mp4"


def test_large_results_are_split_into_parts_under_64_kb(cloud: LocalCloud) -> None:
    """A 3,000-item manifest of long URLs: several parts, each ≤ 64 KB, same RequestId, union = every item."""
    # GIVEN 3,000 long URLs (one in ten has a pending job), quotas high enough not to slow the test down
    cloud.vod.quotas["CancelUrlUploadJobs"] = None
    cloud.vod.quotas["GetURLUploadInfos"] = None
    cloud.fc.set_env(VOD_CANCEL_QPS="5000", VOD_INFO_QPS="5000")
    urls = [
        f"https://media.example.com/archive/{index:05d}/{'long path segment, é+%25 ' * 10}{index}.mp4"
        for index in range(3000)
    ]
    pending = {url: cloud.vod.seed_job(url).job_id for url in urls[::10]}
    # WHEN the manifest is uploaded
    put_manifest(cloud, f"{MANIFEST_PREFIX}big.txt", "\n".join(urls))
    settle(cloud, results=1)
    # THEN several parts of one request, each ≤ 64 KB, whose lists together hold every item exactly once
    messages = published(cloud, RESULTS_TOPIC)
    assert len(messages) > 1
    whole = assert_part_invariants(messages)
    assert whole["Counts"] == {"Requested": 3000, "Canceled": 300, "NonExists": 2700, "NotCancellable": 0, "Failed": 0}
    assert {entry["UploadUrl"]: entry["JobIds"] for entry in whole["CanceledUrls"]} == {
        url: [job_id] for url, job_id in pending.items()
    }
    assert sorted(whole["CanceledJobs"]) == sorted(pending.values())
    assert sorted(whole["NonExists"]) == sorted(set(urls) - set(pending))
    assert {message.tag for message in messages} == {"ok"}
    [record] = invocations(cloud)
    assert {message.document["RequestId"] for message in messages} == {record.request_id}
    assert all(job.status == "CANCELED" for job in cloud.vod.jobs())


def test_large_http_results_are_split_on_the_topic_but_whole_in_the_reply(cloud: LocalCloud) -> None:
    """Over HTTP the reply is the whole document, while the topic gets parts that add up to it."""
    # GIVEN 800 unknown long URLs
    cloud.vod.quotas["CancelUrlUploadJobs"] = None
    cloud.fc.set_env(VOD_CANCEL_QPS="5000")
    urls = [f"https://media.example.com/gone/{index}/{'x' * 100}.mp4" for index in range(800)]
    # WHEN they are POSTed
    reply = post(cloud, {"UploadUrls": urls})
    # THEN the reply holds every item, the topic holds the same items in several parts
    assert reply.status == 200
    document = reply.json()
    assert (document["Part"], document["PartCount"]) == (1, 1)
    assert sorted(document["NonExists"]) == sorted(urls)
    messages = published(cloud)
    assert len(messages) > 1
    whole = assert_part_invariants(messages)
    assert whole["RequestId"] == document["RequestId"]
    assert sorted(whole["NonExists"]) == sorted(urls)


def test_one_url_uploaded_twice_maps_to_both_jobs(cloud: LocalCloud) -> None:
    """CanceledUrls lists every job cancelled for a URL; a started job of the same URL is left alone."""
    # GIVEN the same URL uploaded three times: two pending jobs and one that started, plus other pending URLs
    first = cloud.vod.seed_job(URL).job_id
    second = cloud.vod.seed_job(URL).job_id
    started = cloud.vod.seed_job(URL, status="PROCESSING").job_id
    others = {f"https://media.example.com/twice/{index}.mp4": "" for index in range(3)}
    for url in others:
        others[url] = cloud.vod.seed_job(url).job_id
    # WHEN the URLs are cancelled
    publish_request(cloud, json.dumps({"UploadUrls": [URL, *others]}))
    # THEN the URL maps to both cancelled jobs and CanceledJobs lists them all
    document = only_result(cloud).document
    mapping = {entry["UploadUrl"]: sorted(entry["JobIds"]) for entry in document["CanceledUrls"]}
    assert mapping == {URL: sorted([first, second]), **{url: [job_id] for url, job_id in others.items()}}
    assert sorted(document["CanceledJobs"]) == sorted([first, second, *others.values()])
    assert document["Counts"]["Canceled"] == 4
    assert cloud.vod.job(started).status == "PROCESSING"


def test_non_exists_echoed_decoded_is_reported_as_given(cloud: LocalCloud) -> None:
    """When VOD echoes unknown URLs decoded (not as sent), NonExists still holds each URL exactly as given."""
    # GIVEN a VOD that echoes NonExists URLs decoded, a pending job, and unknown URLs with tricky characters
    cloud.vod.non_exists_url_form = "decoded"
    job = cloud.vod.seed_job(URL)
    unknown = [
        "https://media.example.com/none/a b,c.mp4",
        "https://media.example.com/none/100%25+real.mp4",
        "https://media.example.com/none/春季.mp4",
        "https%3A//media.example.com/none/encoded%2C%20given.mp4",
    ]
    # WHEN they are cancelled together
    document = post(cloud, {"UploadUrls": [URL, *unknown]}).json()
    # THEN each unknown URL is reported as given, the known one is cancelled, nothing failed
    assert sorted(document["NonExists"]) == sorted(unknown)
    assert document["CanceledUrls"] == [{"UploadUrl": URL, "JobIds": [job.job_id]}]
    assert document["Counts"]["Failed"] == 0


def test_job_already_canceled_counts_as_canceled(cloud: LocalCloud) -> None:
    """A job (by ID or by URL) that is already CANCELED is reported cancelled, not as not-cancellable."""
    # GIVEN one job cancelled earlier (asked by ID) and one URL whose only job was cancelled earlier
    by_id = cloud.vod.seed_job("https://media.example.com/c1.mp4", status="CANCELED").job_id
    by_url = cloud.vod.seed_job(URL, status="CANCELED").job_id
    # WHEN both are requested
    document = post(cloud, {"JobIds": [by_id], "UploadUrls": [URL]}).json()
    # THEN both are cancelled, with their job ids
    assert document["Counts"] == {"Requested": 2, "Canceled": 2, "NonExists": 0, "NotCancellable": 0, "Failed": 0}
    assert sorted(document["CanceledJobs"]) == sorted([by_id, by_url])
    assert document["CanceledUrls"] == [{"UploadUrl": URL, "JobIds": [by_url]}]


def test_a_consumer_queue_receives_every_result_with_the_mns_sdk(cloud: LocalCloud) -> None:
    """A queue subscribed to the results topic receives, through aliyun-mns-sdk, exactly what was published."""
    # GIVEN a consumer queue on the results topic and jobs for three requests
    consumer = subscribe_consumer(cloud)
    mixed = seed_mixed(cloud, count=11, label="q")
    job = cloud.vod.seed_job("https://media.example.com/q/oss.mp4").job_id
    # WHEN requests come in through all three doors (one after the other)
    publish_request(cloud, mixed.as_json())
    settle(cloud, results=1)
    put_manifest(cloud, f"{MANIFEST_PREFIX}queue.txt", job)
    settle(cloud, results=2)
    http_reply = post(cloud, {"JobIds": ["not-there"]}, headers={"Idempotency-Key": "consumer-test"}).json()
    # THEN the queue holds the three documents (text JSON, not base64), equal to the published ones
    received = consumer.drain()
    assert sorted(received, key=json.dumps) == sorted((m.document for m in published(cloud)), key=json.dumps)
    by_source = {document["Source"]: document for document in received}
    assert set(by_source) == {"oss", "mns", "http"}
    assert by_source["http"] == http_reply
    assert by_source["oss"]["CanceledJobs"] == [job]
    assert by_source["mns"]["Counts"]["Requested"] == mixed.item_count


def test_results_topic_messages_are_plain_json_text(cloud: LocalCloud) -> None:
    """The body on the topic is UTF-8 JSON text (non-ASCII kept as is), not base64."""
    # GIVEN a pending job for a non-ASCII URL
    job = cloud.vod.seed_job("https://media.example.com/春季.mp4")
    # WHEN it is cancelled by invoking the function
    invoke(cloud, json.dumps({"UploadUrls": ["https://media.example.com/春季.mp4"]}))
    # THEN the published body contains the URL verbatim
    [message] = cloud.mns.published(RESULTS_TOPIC)
    assert "春季" in message.body
    assert json.loads(message.body)["CanceledJobs"] == [job.job_id]


def test_duplicates_are_cancelled_once_and_reported_once(cloud: LocalCloud) -> None:
    """An item given twice (even once plain, once URL-encoded) is one item, reported in its first form."""
    # GIVEN a pending job and a pending URL
    job = cloud.vod.seed_job("https://media.example.com/dup/by-id.mp4").job_id
    url_job = cloud.vod.seed_job(URL).job_id
    encoded = "https%3A%2F%2Fmedia.example.com%2Ftwice%2Fep%2007%2C%20final%2Bcut.mp4"
    # WHEN each is requested several times, the URL also in its encoded form
    document = post(cloud, {"JobIds": [job, job, job], "UploadUrls": [URL, encoded, URL]}).json()
    # THEN two items, each cancelled once, the URL reported as first given
    assert document["Counts"] == {"Requested": 2, "Canceled": 2, "NonExists": 0, "NotCancellable": 0, "Failed": 0}
    assert document["CanceledUrls"] == [{"UploadUrl": URL, "JobIds": [url_job]}]
    assert sorted(document["CanceledJobs"]) == sorted([job, url_job])


def test_oss_manifest_has_no_item_limit(cloud: LocalCloud) -> None:
    """A manifest of 10,001 items (over the HTTP/MNS limit) is processed, not rejected."""
    # GIVEN 10,001 job IDs, one of them pending, and quotas that do not slow the test down
    cloud.vod.quotas["CancelUrlUploadJobs"] = None
    cloud.fc.set_env(VOD_CANCEL_QPS="5000")
    job = cloud.vod.seed_job("https://media.example.com/limit.mp4").job_id
    items = [f"gone-{index:05d}" for index in range(10_000)] + [job]
    # WHEN the manifest is uploaded
    put_manifest(cloud, f"{MANIFEST_PREFIX}huge.txt", "\n".join(items))
    settle(cloud, results=1)
    # THEN every item is accounted for across the parts
    whole = assert_part_invariants(published(cloud))
    assert whole["Counts"] == {
        "Requested": 10_001,
        "Canceled": 1,
        "NonExists": 10_000,
        "NotCancellable": 0,
        "Failed": 0,
    }
    assert whole["CanceledJobs"] == [job]
    assert len(set(whole["NonExists"])) == 10_000


@pytest.mark.parametrize("form", ["sent", "decoded"])
@pytest.mark.parametrize(
    ("stored", "written"),
    [
        ("https://media.example.com/enc/a b.mp4", "https://media.example.com/enc/a%20b.mp4"),
        ("https://media.example.com/enc/a%20b.mp4", "https://media.example.com/enc/a b.mp4"),
        ("https://media.example.com/enc/视频 1.mp4", "https://MEDIA.example.com/enc/%E8%A7%86%E9%A2%91%201.mp4"),
        ("https://media.example.com/enc/100%+real.mp4", "https://media.example.com/enc/100%25+real.mp4"),
    ],
    ids=["typed-job-browser-copy", "encoded-job-typed", "non-ascii", "percent"],
)
def test_a_url_written_another_way_cancels_the_job(cloud: LocalCloud, stored: str, written: str, form: str) -> None:
    """A URL and its percent-encoded spelling name one file: the pending job is cancelled whichever way VOD holds
    it, and the item is reported as written (README: when two URLs are the same)."""
    # GIVEN a pending job under one spelling, and a VOD that echoes unknown URLs as sent or decoded
    cloud.vod.non_exists_url_form = form
    job = cloud.vod.seed_job(stored).job_id
    # WHEN the request names it in the other spelling
    document = post(cloud, {"UploadUrls": [written]}).json()
    # THEN the job is cancelled and the outcome carries the URL as written
    assert document["CanceledUrls"] == [{"UploadUrl": written, "JobIds": [job]}]
    assert document["NonExists"] == [] and document["Counts"]["Canceled"] == 1
    assert cloud.vod.job(job).status == "CANCELED"


def test_two_spellings_of_one_url_are_one_item(cloud: LocalCloud) -> None:
    """A URL with a literal %20 and the same URL with a space are one item, reported once, as first written;
    a URL differing in a reserved character (%2C for a comma) is another item."""
    # GIVEN a pending job whose URL literally contains %20
    literal = "https://media.example.com/enc/a%20b,c.mp4"
    spaced = "https://media.example.com/enc/a b,c.mp4"
    other = "https://media.example.com/enc/a b%2Cc.mp4"
    job = cloud.vod.seed_job(literal).job_id
    # WHEN both spellings and the reserved-character variant are requested together
    document = post(cloud, {"UploadUrls": [spaced, literal, other]}).json()
    # THEN two items: the first spelling, cancelled, and the other URL, unknown
    assert document["Counts"]["Requested"] == 2
    assert document["CanceledUrls"] == [{"UploadUrl": spaced, "JobIds": [job]}]
    assert document["NonExists"] == [other]
    assert cloud.vod.job(job).status == "CANCELED"
