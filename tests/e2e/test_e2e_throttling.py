"""Throttling is absorbed: throttled VOD calls are retried until they succeed, so every item still ends cancelled
and none is reported Failed."""

from __future__ import annotations

import json

from e2e_helpers import assert_vod_batches_valid, invocations, only_result, post, publish_request, seed_mixed

from localcloud.cloud import LocalCloud


def test_thirty_percent_throttling_on_cancel_still_cancels_everything(cloud: LocalCloud) -> None:
    """30% Throttling.User on CancelUrlUploadJobs (and GetURLUploadInfos): every pending item is cancelled."""
    # GIVEN 30% of CancelUrlUploadJobs and GetURLUploadInfos calls answered Throttling.User, and the mixed jobs
    for operation in ("CancelUrlUploadJobs", "GetURLUploadInfos"):
        cloud.faults.add(service="vod", operation=operation, error_code="Throttling.User", error_rate=0.3)
    mixed = seed_mixed(cloud, count=30, label="t")
    # WHEN the request is published
    publish_request(cloud, mixed.as_json())
    # THEN nothing failed: every pending job is cancelled, and throttling really happened (and was retried)
    document = only_result(cloud).document
    assert document["Failed"] == []
    assert document["Counts"]["Canceled"] == len(mixed.pending_ids) + len(mixed.pending_urls) + len(mixed.canceled_ids)
    for job_id in [*mixed.pending_ids, *mixed.pending_urls.values()]:
        assert cloud.vod.job(job_id).status == "CANCELED"
    throttled = [call for call in cloud.vod.calls if call.error_code == "Throttling.User"]
    assert throttled, "the fault never fired"
    assert cloud.vod.call_count("CancelUrlUploadJobs", status=200) >= 6  # every batch eventually answered
    assert_vod_batches_valid(cloud)


def test_account_quota_lower_than_configured_is_absorbed(cloud: LocalCloud) -> None:
    """VOD's own flow control (quota below what the function paces for) throttles; retries still finish the job."""
    # GIVEN an account whose CancelUrlUploadJobs quota is 4/s while the function paces at 50/s, and 80 pending jobs
    cloud.vod.quotas["CancelUrlUploadJobs"] = 4
    jobs = [cloud.vod.seed_job(f"https://media.example.com/quota/{index}.mp4").job_id for index in range(80)]
    # WHEN they are cancelled in one HTTP request
    reply = post(cloud, json.dumps({"JobIds": jobs}))
    # THEN all are cancelled, none failed, and VOD did throttle some calls
    document = reply.json()
    assert reply.status == 200
    assert document["Counts"] == {"Requested": 80, "Canceled": 80, "NonExists": 0, "NotCancellable": 0, "Failed": 0}
    assert cloud.vod.call_count("CancelUrlUploadJobs", status=200) == 8
    assert any(call.error_code == "Throttling.User" for call in cloud.vod.calls)
    assert all(cloud.vod.job(job_id).status == "CANCELED" for job_id in jobs)


def test_transient_server_errors_are_retried(cloud: LocalCloud) -> None:
    """ServiceUnavailable / InternalError bursts and connection resets are retried, not reported."""
    # GIVEN the next VOD calls fail with 503, 500 and a reset connection, and 12 pending jobs
    cloud.faults.add(service="vod", operation="CancelUrlUploadJobs", error_code="ServiceUnavailable", count=2)
    cloud.faults.add(service="vod", operation="CancelUrlUploadJobs", error_code="InternalError", count=1)
    cloud.faults.add(service="vod", operation="CancelUrlUploadJobs", reset_rate=1.0, count=1)
    jobs = [cloud.vod.seed_job(f"https://media.example.com/flaky/{index}.mp4").job_id for index in range(12)]
    # WHEN they are cancelled
    reply = post(cloud, {"JobIds": jobs})
    # THEN all are cancelled and nothing failed
    assert reply.json()["Counts"]["Canceled"] == 12
    assert reply.json()["Failed"] == []
    assert all(cloud.vod.job(job_id).status == "CANCELED" for job_id in jobs)


def test_permanent_errors_are_reported_failed_not_raised(cloud: LocalCloud) -> None:
    """A permanent VOD error (Forbidden) is not retried: its items are reported Failed (tag `failed`)."""
    # GIVEN the function's calls are forbidden (RAM denies CancelUrlUploadJobs), and a pending job
    cloud.faults.add(service="vod", operation="CancelUrlUploadJobs", error_code="Forbidden")
    job = cloud.vod.seed_job("https://media.example.com/denied.mp4").job_id
    # WHEN it is cancelled through MNS
    publish_request(cloud, json.dumps({"JobIds": [job]}))
    # THEN the results report it Failed with the code, tagged `failed`, and the invocation returned normally
    message = only_result(cloud)
    assert message.tag == "failed"
    [failed] = message.document["Failed"]
    assert (failed["Item"], failed["Code"]) == (job, "Forbidden")
    assert [record.status for record in invocations(cloud)] == ["succeeded"]
    assert cloud.vod.job(job).status == "PENDING"


def test_throttled_until_the_deadline_reports_failed_and_returns(cloud: LocalCloud) -> None:
    """Throttled until the deadline: items reported Failed (tag `failed`), published in time, invocation returns."""
    # GIVEN a 4-second function timeout, every CancelUrlUploadJobs throttled, and three pending jobs
    cloud.fc.set_timeout(4)
    cloud.faults.add(service="vod", operation="CancelUrlUploadJobs", error_code="Throttling.User")
    jobs = [cloud.vod.seed_job(f"https://media.example.com/deadline/{index}.mp4").job_id for index in range(3)]
    # WHEN they are cancelled through MNS
    publish_request(cloud, json.dumps({"JobIds": jobs}))
    # THEN one published result reports all three Failed, and the single invocation succeeded
    message = only_result(cloud)
    assert message.tag == "failed"
    assert message.document["Counts"]["Failed"] == 3
    assert {entry["Item"] for entry in message.document["Failed"]} == set(jobs)
    assert {entry["Code"] for entry in message.document["Failed"]} <= {"Throttling.User", "DeadlineExceeded"}
    assert [record.status for record in invocations(cloud)] == ["succeeded"]
    assert all(cloud.vod.job(job).status == "PENDING" for job in jobs)
