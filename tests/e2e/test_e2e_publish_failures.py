"""When the results cannot be published: HTTP still answers (marked unpublished), OSS/MNS invocations raise so the
event is delivered again, and the redelivery converges (already cancelled jobs count as cancelled)."""

from __future__ import annotations

from e2e_helpers import MANIFEST_PREFIX, RESULTS_TOPIC, invocations, only_result, post, put_manifest, settle

from localcloud.cloud import LocalCloud

URL = "https://media.example.com/publish/ep 1, v2.mp4"


def test_http_reply_says_when_results_were_not_published(cloud: LocalCloud) -> None:
    """MNS refuses every publish: the HTTP reply still carries the results, with X-Results-Published: false."""
    # GIVEN every MNS PublishMessage fails, and a pending job
    cloud.faults.add(service="mns", operation="PublishMessage", error_code="InternalError")
    job = cloud.vod.seed_job(URL).job_id
    # WHEN it is cancelled over HTTP
    reply = post(cloud, {"UploadUrls": [URL]})
    # THEN 200 with the results, marked unpublished; the job is cancelled; nothing on the topic
    assert reply.status == 200
    assert reply.headers["X-Results-Published"] == "false"
    assert reply.json()["CanceledUrls"] == [{"UploadUrl": URL, "JobIds": [job]}]
    assert cloud.vod.job(job).status == "CANCELED"
    assert cloud.mns.published(RESULTS_TOPIC) == []


def test_oss_invocation_raises_and_fc_retry_converges(cloud: LocalCloud) -> None:
    """A publish failure makes the OSS invocation raise; FC's async retry runs it again and the results arrive."""
    # GIVEN the next 3 MNS publishes fail (all of the first attempt's tries), and two pending jobs
    cloud.faults.add(service="mns", operation="PublishMessage", error_code="InternalError", count=3)
    first = cloud.vod.seed_job(URL).job_id
    second = cloud.vod.seed_job("https://media.example.com/publish/2.mp4").job_id
    # WHEN a manifest naming them is uploaded
    put_manifest(cloud, f"{MANIFEST_PREFIX}retry.txt", f"{URL}\n{second}\n")
    settle(cloud, invocations=2)
    # THEN the first attempt failed, the retry succeeded, and its results count both jobs as cancelled
    records = invocations(cloud)
    assert [record.status for record in records] == ["failed", "succeeded"]
    assert records[0].request_id == records[1].request_id
    document = only_result(cloud).document
    assert document["Counts"] == {"Requested": 2, "Canceled": 2, "NonExists": 0, "NotCancellable": 0, "Failed": 0}
    assert document["CanceledUrls"] == [{"UploadUrl": URL, "JobIds": [first]}]
    assert cloud.vod.job(first).status == cloud.vod.job(second).status == "CANCELED"
