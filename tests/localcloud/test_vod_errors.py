"""VOD error answers as the official SDK sees them: code, HTTP status, exception class; quotas and faults."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

import pytest
from alibabacloud_tea_openapi.exceptions import ClientException, ServerException, ThrottlingException
from alibabacloud_vod20170321 import models as vod_models
from darabonba.exceptions import UnretryableException
from vod_helpers import VodEnv, call_api

from localcloud.faults import FaultRule


@pytest.fixture
def env(shared_env: VodEnv) -> VodEnv:
    shared_env.cloud.reset()
    return shared_env


def cancel_request(job_ids: str | None = None, urls: str | None = None) -> Any:
    return vod_models.CancelUrlUploadJobsRequest(job_ids=job_ids, upload_urls=urls)


@pytest.mark.parametrize(
    ("job_ids", "urls", "code", "mentions"),
    [
        (None, None, "MissingParameter", "UploadUrls"),
        (",".join(f"j{i}" for i in range(11)), None, "InvalidParameter", "JobIds"),
        (None, ",".join(quote(f"http://e.com/{i}.mp4") for i in range(11)), "InvalidParameter", "UploadUrls"),
        ("a,,b", None, "InvalidParameter", "JobIds"),
        (None, quote("http://e.com/a.mp4") + ",", "InvalidParameter", "UploadUrls"),
    ],
)
def test_cancel_parameter_errors(env: VodEnv, job_ids: str | None, urls: str | None, code: str, mentions: str) -> None:
    """Neither list → MissingParameter 400; >10 items or an empty item → InvalidParameter 400."""
    with pytest.raises(ClientException) as caught:
        env.client().cancel_url_upload_jobs(cancel_request(job_ids, urls))

    assert (caught.value.code, caught.value.status_code) == (code, 400)
    assert mentions in caught.value.message
    assert caught.value.data["HostId"] == "vod.cn-shanghai.aliyuncs.com"
    assert caught.value.request_id == caught.value.data["RequestId"]


def test_ten_items_are_fine_and_get_infos_has_the_same_limit(env: VodEnv) -> None:
    client = env.client()
    ten = ",".join(f"j{i}" for i in range(10))
    assert len(client.cancel_url_upload_jobs(cancel_request(ten)).body.non_exists) == 10

    with pytest.raises(ClientException) as caught:
        client.get_urlupload_infos(vod_models.GetURLUploadInfosRequest(job_ids=ten + ",j10"))
    assert (caught.value.code, caught.value.status_code) == ("InvalidParameter", 400)


def test_upload_limits(env: VodEnv) -> None:
    """UploadMediaByURL takes up to 20 URLs and requires UploadURLs."""
    client = env.client()
    twenty = ",".join(quote(f"http://e.com/{i}.mp4") for i in range(20))
    response = client.upload_media_by_url(vod_models.UploadMediaByURLRequest(upload_urls=twenty))
    assert len(response.body.upload_jobs) == 20

    for urls, code in [(twenty + ",x", "InvalidParameter"), (None, "MissingParameter")]:
        with pytest.raises(ClientException) as caught:
            client.upload_media_by_url(vod_models.UploadMediaByURLRequest(upload_urls=urls))
        assert (caught.value.code, caught.value.status_code) == (code, 400)


def test_unknown_action_and_wrong_version(env: VodEnv) -> None:
    """Unknown action → InvalidAction.NotFound 404; another API version → InvalidVersion 400."""
    client = env.client()
    with pytest.raises(ClientException) as caught:
        call_api(client, "DeleteEverything")
    assert (caught.value.code, caught.value.status_code) == ("InvalidAction.NotFound", 404)

    with pytest.raises(ClientException) as caught:
        call_api(client, "CancelUrlUploadJobs", {"JobIds": "a"}, version="2099-01-01")
    assert (caught.value.code, caught.value.status_code) == ("InvalidVersion", 400)


def test_forbidden_access_key(env: VodEnv) -> None:
    env.vod.forbidden_access_keys.add(env.cloud.access_key_id)
    with pytest.raises(ClientException) as caught:
        env.client().cancel_url_upload_jobs(cancel_request("a"))
    assert (caught.value.code, caught.value.status_code) == ("Forbidden", 403)


def test_cancel_quota_throttles_the_51st_call_in_a_second(env: VodEnv) -> None:
    """CancelUrlUploadJobs allows 50 calls per second per account: the 51st gets Throttling.User 400."""
    client = env.client()
    started = time.monotonic()
    for _ in range(50):
        client.cancel_url_upload_jobs(cancel_request("a"))

    caught: ClientException | None = None
    try:
        client.cancel_url_upload_jobs(cancel_request("a"))
    except ClientException as error:
        caught = error
    if time.monotonic() - started > 0.9:  # the window slides with wall time; too slow a box cannot show it
        pytest.skip("51 calls took longer than the 1-second window")

    assert caught is not None, "the 51st call within a second was not throttled"
    assert (caught.code, caught.status_code) == ("Throttling.User", 400)
    assert "user flow control" in caught.message
    assert not isinstance(caught, ThrottlingException)  # no x-acs-retry-after by default
    env.cloud.clock.advance(1.0)
    assert client.cancel_url_upload_jobs(cancel_request("a")).status_code == 200
    assert env.vod.call_count("CancelUrlUploadJobs", status=200) == 51


@pytest.mark.parametrize(
    ("rule", "accepted_at_once", "accepted_a_second_later"),
    [("window", 3, 3), ("bucket:3", 3, 1)],
    ids=["window", "bucket"],
)
def test_quota_rule_window_or_bucket(env: VodEnv, rule: str, accepted_at_once: int, accepted_a_second_later: int):
    """A quota of 1 call/s for GetURLUploadInfos counted as a window of 3 a second, or as a bucket of 3 refilled at
    1 a second: both take 3 at once; a second later the window takes 3 again, the bucket 1 (its refill)."""
    env.vod.quotas["GetURLUploadInfos"] = 3 if rule == "window" else 1
    env.vod.set_quota_rule(rule, action="GetURLUploadInfos")
    client = env.client()
    request = vod_models.GetURLUploadInfosRequest(job_ids="a")

    def accepted_in_a_row() -> int:
        for count in range(10):
            try:
                client.get_urlupload_infos(request)
            except ClientException as error:
                assert error.code == "Throttling.User"
                return count
        return 10

    started = time.monotonic()
    first = accepted_in_a_row()
    if time.monotonic() - started > 0.9:  # both rules move with wall time; too slow a box cannot show them
        pytest.skip("the calls took longer than the quota's second")
    env.cloud.clock.advance(1.0)
    assert (first, accepted_in_a_row()) == (accepted_at_once, accepted_a_second_later)
    assert env.vod.call_count("CancelUrlUploadJobs") == 0  # one API's rule and count are its own


def test_quota_is_configurable_and_can_send_retry_after(env: VodEnv) -> None:
    """quotas[action] = n; send_retry_after_ms makes the SDK raise ThrottlingException with retry_after."""
    env.vod.quotas["GetURLUploadInfos"] = 2
    env.vod.send_retry_after_ms = 250
    client = env.client()
    request = vod_models.GetURLUploadInfosRequest(job_ids="a")
    client.get_urlupload_infos(request)
    client.get_urlupload_infos(request)

    with pytest.raises(ThrottlingException) as caught:
        client.get_urlupload_infos(request)

    assert caught.value.code == "Throttling.User" and caught.value.retry_after == 250
    env.vod.quotas["GetURLUploadInfos"] = None
    assert client.get_urlupload_infos(request).status_code == 200


@pytest.mark.parametrize(
    ("fault", "status", "exception"),
    [("ServiceUnavailable", 503, ServerException), ("InternalError", 500, ServerException)],
)
def test_injected_error_codes(env: VodEnv, fault: str, status: int, exception: type[Exception]) -> None:
    """A fault rule's error_code is answered with the real status; a count-limited burst then expires."""
    env.cloud.faults.add(FaultRule(service="vod", operation="CancelUrlUploadJobs", error_code=fault, count=1))
    client = env.client()

    with pytest.raises(exception) as caught:
        client.cancel_url_upload_jobs(cancel_request("a"))

    assert (caught.value.code, caught.value.status_code) == (fault, status)
    assert client.cancel_url_upload_jobs(cancel_request("a")).status_code == 200


def test_injected_latency(env: VodEnv) -> None:
    """Added latency holds the answer back: longer than the client's read timeout, the call times out."""
    from darabonba.runtime import RuntimeOptions

    env.cloud.faults.add(FaultRule(service="vod", latency_ms=1500, count=1))
    with pytest.raises(UnretryableException):
        env.client().cancel_url_upload_jobs_with_options(cancel_request("a"), RuntimeOptions(read_timeout=300))
    assert env.client().cancel_url_upload_jobs(cancel_request("a")).status_code == 200  # the burst was one call


def test_injected_connection_reset(env: VodEnv) -> None:
    """A reset fault drops the TCP connection: the SDK raises (it does not retry) and the job is untouched."""
    job = env.vod.seed_job("http://e.com/a.mp4")
    env.cloud.faults.add(FaultRule(service="vod", reset_rate=1.0, count=1))

    with pytest.raises(UnretryableException):
        env.client().cancel_url_upload_jobs(cancel_request(job.job_id))

    assert job.status == "PENDING"
    assert env.vod.calls[-1].error_code == "ConnectionReset"
