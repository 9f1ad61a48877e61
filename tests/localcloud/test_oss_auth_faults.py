"""OSS signature checks (V1 from oss2, V4 from alibabacloud_oss_v2) and injected faults."""

from __future__ import annotations

import alibabacloud_oss_v2 as oss_v2
import oss2
import pytest
from svc_helpers import ACCESS_KEY_ID, Running, oss2_bucket, oss_v2_client


@pytest.fixture
def env(services: Running) -> Running:
    services.cloud.reset()
    services.cloud.oss.create_bucket("manifests")
    services.cloud.oss.put_object("manifests", "m.txt", b"job-1\n")
    return services


def _oss2_error(bucket: oss2.Bucket) -> tuple[int, str, str]:
    with pytest.raises(oss2.exceptions.OssError) as caught:
        bucket.get_object("m.txt")
    return caught.value.status, caught.value.code, caught.value.ec


def _v2_error(client: oss_v2.Client) -> tuple[int, str, str]:
    with pytest.raises(oss_v2.exceptions.OperationError) as caught:
        client.get_object(oss_v2.GetObjectRequest(bucket="manifests", key="m.txt"))
    error = caught.value.unwrap()
    assert isinstance(error, oss_v2.exceptions.ServiceError)
    return error.status_code, error.code, error.ec


def test_wrong_secret_is_signature_does_not_match_for_v1_and_v4(env: Running) -> None:
    legacy = oss2_bucket(env.oss_url, "manifests", oss2.Auth(ACCESS_KEY_ID, "wrong"))

    assert _oss2_error(legacy)[:2] == (403, "SignatureDoesNotMatch")
    assert _v2_error(oss_v2_client(env.oss_url, secret="wrong"))[:2] == (403, "SignatureDoesNotMatch")


def test_unknown_key_is_invalid_access_key_id(env: Running) -> None:
    assert _v2_error(oss_v2_client(env.oss_url, access_key_id="LTAI5tNobody"))[:2] == (403, "InvalidAccessKeyId")


def test_anonymous_request_is_access_denied(env: Running) -> None:
    anonymous = oss2_bucket(env.oss_url, "manifests", oss2.AnonymousAuth())

    assert _oss2_error(anonymous)[:2] == (403, "AccessDenied")


def test_stale_date_is_request_time_too_skewed(env: Running) -> None:
    env.cloud.clock.advance(-20 * 60)

    assert _oss2_error(oss2_bucket(env.oss_url, "manifests"))[:2] == (403, "RequestTimeTooSkewed")
    assert _v2_error(oss_v2_client(env.oss_url))[:2] == (403, "RequestTimeTooSkewed")


def test_sts_v1_and_v4_until_expiry(env: Running) -> None:
    sts = env.cloud.credentials.issue_sts_token(ttl_seconds=900)
    legacy = oss2_bucket(
        env.oss_url, "manifests", oss2.StsAuth(sts.access_key_id, sts.access_key_secret, sts.security_token)
    )
    client = oss_v2_client(env.oss_url, sts.access_key_id, sts.access_key_secret, sts.security_token)

    assert legacy.get_object("m.txt").read() == b"job-1\n"
    assert client.get_object(oss_v2.GetObjectRequest(bucket="manifests", key="m.txt")).body.read() == b"job-1\n"
    env.cloud.clock.advance(901)

    assert _oss2_error(legacy) == (403, "SecurityTokenExpired", "0002-00000007")
    assert _v2_error(client) == (403, "SecurityTokenExpired", "0002-00000007")


def test_sts_key_with_forged_or_missing_token(env: Running) -> None:
    sts = env.cloud.credentials.issue_sts_token()
    forged = oss_v2_client(env.oss_url, sts.access_key_id, sts.access_key_secret, "forged")
    missing = oss2_bucket(env.oss_url, "manifests", oss2.Auth(sts.access_key_id, sts.access_key_secret))

    assert _v2_error(forged) == (403, "InvalidSecurityToken", "0002-00000008")
    assert _oss2_error(missing) == (403, "InvalidAccessKeyId", "0002-00000003")


def test_injected_error_code_and_burst(env: Running) -> None:
    env.cloud.faults.add(service="oss", operation="GetObject", error_code="ServiceUnavailable", count=1)
    bucket = oss2_bucket(env.oss_url, "manifests")

    assert _oss2_error(bucket)[:2] == (503, "ServiceUnavailable")
    assert bucket.get_object("m.txt").read() == b"job-1\n"


def test_injected_fault_on_head_uses_the_x_oss_err_header(env: Running) -> None:
    env.cloud.faults.add(service="oss", operation="HeadObject", error_code="InternalError", count=1)

    with pytest.raises(oss2.exceptions.ServerError) as caught:
        oss2_bucket(env.oss_url, "manifests").head_object("m.txt")

    assert (caught.value.status, caught.value.code) == (500, "InternalError")


def test_injected_connection_reset_is_a_request_error(env: Running) -> None:
    env.cloud.faults.add(service="oss", operation="PutObject", reset_rate=1.0)

    with pytest.raises(oss2.exceptions.RequestError):
        oss2_bucket(env.oss_url, "manifests").put_object("new.txt", b"x")
    assert "new.txt" not in env.cloud.oss.objects("manifests")
