"""MNS signature checks and injected faults, as the SDK sees them (error code from the body, status from the wire)."""

from __future__ import annotations

import pytest
from mns.mns_exception import MNSClientNetworkException, MNSServerException
from mns.topic import TopicMessage
from svc_helpers import Running, mns_account


@pytest.fixture
def env(services: Running) -> Running:
    services.cloud.reset()
    services.cloud.mns.create_topic("results")
    return services


def _publish_error(env: Running, **account_kwargs: str) -> tuple[str, int]:
    account, wire = mns_account(env.mns_url, **account_kwargs)
    with pytest.raises(MNSServerException) as caught:
        account.get_topic("results").publish_message(TopicMessage("x"))
    return caught.value.type, wire.last_status


def test_wrong_secret_is_signature_does_not_match_403(env: Running) -> None:
    assert _publish_error(env, secret="wrong") == ("SignatureDoesNotMatch", 403)
    assert env.cloud.mns.published("results") == []


def test_unknown_key_is_invalid_access_key_id_403(env: Running) -> None:
    assert _publish_error(env, access_key_id="LTAI5tNobody") == ("InvalidAccessKeyId", 403)


def test_stale_date_is_time_expired_408(env: Running) -> None:
    env.cloud.clock.advance(16 * 60)

    assert _publish_error(env) == ("TimeExpired", 408)


def test_sts_credentials_work_until_they_expire(env: Running) -> None:
    sts = env.cloud.credentials.issue_sts_token(ttl_seconds=600)
    account, _ = mns_account(env.mns_url, sts.access_key_id, sts.access_key_secret, sts.security_token)

    account.get_topic("results").publish_message(TopicMessage("as sts"))
    env.cloud.clock.advance(601)

    error = _publish_error(env, access_key_id=sts.access_key_id, secret=sts.access_key_secret, token=sts.security_token)
    assert error == ("SecurityTokenExpired", 403)
    assert [m.body for m in env.cloud.mns.published("results")] == ["as sts"]


def test_sts_key_with_wrong_or_missing_token(env: Running) -> None:
    sts = env.cloud.credentials.issue_sts_token()

    wrong = _publish_error(env, access_key_id=sts.access_key_id, secret=sts.access_key_secret, token="forged")
    missing = _publish_error(env, access_key_id=sts.access_key_id, secret=sts.access_key_secret)

    assert wrong == ("InvalidSecurityToken", 403)
    assert missing == ("InvalidAccessKeyId", 403)


def test_injected_error_code_uses_the_catalogue_status(env: Running) -> None:
    env.cloud.faults.add(service="mns", operation="PublishMessage", error_code="QpsLimitExceeded", count=1)

    assert _publish_error(env) == ("QpsLimitExceeded", 403)
    account, _ = mns_account(env.mns_url)
    account.get_topic("results").publish_message(TopicMessage("after the burst"))
    assert [m.body for m in env.cloud.mns.published("results")] == ["after the burst"]


def test_injected_unknown_code_answers_500(env: Running) -> None:
    env.cloud.faults.add(service="mns", operation="PublishMessage", error_code="SomethingOdd", count=1)

    assert _publish_error(env) == ("SomethingOdd", 500)


def test_faults_are_per_operation(env: Running) -> None:
    env.cloud.faults.add(service="mns", operation="SendMessage", error_code="InternalError")
    account, _ = mns_account(env.mns_url)

    account.get_topic("results").publish_message(TopicMessage("publish is unaffected"))


def test_injected_connection_reset_is_a_network_error(env: Running) -> None:
    env.cloud.faults.add(service="mns", operation="PublishMessage", reset_rate=1.0)
    account, _ = mns_account(env.mns_url)

    with pytest.raises(MNSClientNetworkException):
        account.get_topic("results").publish_message(TopicMessage("x"))
    assert env.cloud.mns.published("results") == []
