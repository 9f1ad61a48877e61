"""VOD rejects badly signed requests with the gateway's real codes and statuses (ACS3 and legacy v2)."""

from __future__ import annotations

import http.client
import json

import pytest
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_vod20170321 import models as vod_models
from alibabacloud_vod20170321.client import Client
from vod_helpers import ACCESS_KEY_ID, VodEnv, capture_request


@pytest.fixture
def env(shared_env: VodEnv) -> VodEnv:
    shared_env.cloud.reset()
    return shared_env


def cancel(client: Client, job_id: str = "some-job") -> int:
    request = vod_models.CancelUrlUploadJobsRequest(job_ids=job_id)
    return client.cancel_url_upload_jobs(request).status_code


def rejected(client: Client) -> tuple[str, int]:
    with pytest.raises(ClientException) as caught:
        cancel(client)
    return caught.value.code, caught.value.status_code


@pytest.mark.parametrize("v2", [False, True], ids=["acs3", "v2"])
def test_wrong_secret(env: VodEnv, v2: bool) -> None:
    assert rejected(env.client(access_key_secret="not-the-secret", v2=v2)) == ("SignatureDoesNotMatch", 400)


@pytest.mark.parametrize("v2", [False, True], ids=["acs3", "v2"])
def test_unknown_access_key(env: VodEnv, v2: bool) -> None:
    assert rejected(env.client(access_key_id="LTAI5tNobody", v2=v2)) == ("InvalidAccessKeyId.NotFound", 404)


@pytest.mark.parametrize("v2", [False, True], ids=["acs3", "v2"])
def test_expired_sts_token(env: VodEnv, v2: bool) -> None:
    """A token past its expiration (on cloud.clock) is refused; before that it works."""
    client = env.sts_client(ttl_seconds=60, v2=v2)
    assert cancel(client) == 200
    env.cloud.clock.advance(120)
    assert rejected(client) == ("InvalidSecurityToken.Expired", 400)


def test_wrong_or_missing_sts_token(env: VodEnv) -> None:
    sts = env.cloud.credentials.issue_sts_token()
    other = env.cloud.credentials.issue_sts_token()
    wrong = env.client(sts.access_key_id, sts.access_key_secret, other.security_token)
    missing = env.client(sts.access_key_id, sts.access_key_secret)

    assert rejected(wrong) == ("InvalidSecurityToken.Malformed", 400)
    assert rejected(missing) == ("MissingSecurityToken", 400)


@pytest.mark.parametrize("v2", [False, True], ids=["acs3", "v2"])
def test_stale_date(env: VodEnv, v2: bool) -> None:
    """The server clock 16 minutes ahead of the signed date → InvalidTimeStamp.Expired."""
    env.cloud.clock.advance(16 * 60)
    assert rejected(env.client(v2=v2)) == ("InvalidTimeStamp.Expired", 400)


@pytest.mark.parametrize("v2", [False, True], ids=["acs3", "v2"])
def test_replayed_nonce(env: VodEnv, v2: bool) -> None:
    """The same signed bytes sent twice: the first is served, the replay gets SignatureNonceUsed."""
    job = env.vod.seed_job("https://example.com/a.mp4")
    with capture_request() as (endpoint, captured):
        cancel(env.client(v2=v2, endpoint=endpoint), job.job_id)
    [raw] = captured

    first_status, first_body = raw.send(env.server.port)
    replay_status, replay_body = raw.send(env.server.port)

    assert first_status == 200 and json.loads(first_body)["CanceledJobs"] == [job.job_id]
    assert (replay_status, json.loads(replay_body)["Code"]) == (400, "SignatureNonceUsed")


def test_unsigned_request(env: VodEnv) -> None:
    """No Authorization header and no Signature parameter → MissingParameter 400, JSON error body."""
    connection = http.client.HTTPConnection("127.0.0.1", env.server.port, timeout=5)
    connection.request(
        "POST",
        "/?JobIds=a",
        headers={"x-acs-action": "CancelUrlUploadJobs", "x-acs-version": "2017-03-21"},
    )
    response = connection.getresponse()
    body = json.loads(response.read())
    connection.close()

    assert response.status == 400 and body["Code"] == "MissingParameter"
    assert set(body) == {"RequestId", "HostId", "Code", "Message", "Recommend"}
    assert response.getheader("x-acs-request-id") == body["RequestId"]


def test_auth_failures_change_nothing_and_are_logged(env: VodEnv) -> None:
    job = env.vod.seed_job("https://example.com/a.mp4")
    with pytest.raises(ClientException):
        cancel(env.client(access_key_secret="wrong"), job.job_id)

    assert job.status == "PENDING"
    [call] = env.vod.calls
    assert (call.status, call.error_code, call.access_key_id) == (400, "SignatureDoesNotMatch", None)
    assert ACCESS_KEY_ID not in call.params.values()
