"""Authentication end to end: the local cloud refuses bad credentials with each service's real error codes, the HTTP
trigger (authType: function) refuses unsigned and badly signed calls, and when the *function's own* credentials are
refused the items fail with that cause, once per batch, and the invocation still reports (no retry loop).

Calling the HTTP trigger: callers sign with the Alibaba Cloud V3 signature (ACS3-HMAC-SHA256), as FC 3.0's
"Configure signature authentication for HTTP triggers" documents (README "Calling the HTTP trigger"); see
:func:`helpers.post_http`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import oss2
import pytest
from alibabacloud_tea_openapi.models import Config
from alibabacloud_vod20170321 import models as vod_models
from alibabacloud_vod20170321.client import Client as VodClient
from helpers import (
    MANIFEST_BUCKET,
    REQUEST_TOPIC,
    Tally,
    check_accounting,
    merge_parts,
    post_http,
    post_unsigned,
    publish_request,
    results_by_request,
    seed_scenario,
    wait_idle,
)
from mns.account import Account
from mns.mns_exception import MNSServerException
from mns.topic import TopicMessage

from localcloud.cloud import LocalCloud
from localcloud.testing import trigger_request

STALE_SECONDS = 16 * 60  # more than the 15 minutes every service tolerates


# -- what the caller sees ------------------------------------------------------------------------------------------
def test_unsigned_call_to_the_http_trigger_is_refused(localcloud: LocalCloud, tally: Tally) -> None:
    """authType: function — a plain POST without a signature gets 403 and never reaches the function."""
    # GIVEN a valid cancel request  WHEN it is POSTed without any Authorization header
    reply = post_unsigned(localcloud, b'{"JobIds": ["a1b2c3"]}')
    tally.cases += 1
    # THEN FC refuses it with 403; no invocation, no VOD call
    assert reply.status == 403
    assert json.loads(reply.body) == {
        "ErrorCode": "AccessDenied",
        "ErrorMessage": "required HTTP header Date was not specified",
    }
    assert localcloud.fc.invocations() == []
    assert localcloud.vod.call_count() == 0


Credentials = tuple[str, str, str]  # access key id, secret, security token ("" = none)


def _bad_credentials(cloud: LocalCloud, kind: str) -> Credentials:
    """Credentials that fail in the given way (``stale`` is valid credentials and a server clock 16 min ahead)."""
    if kind == "wrong-secret":
        return cloud.access_key_id, "not-the-secret", ""
    if kind == "unknown-key":
        return "LTAI5tNobodyHasThisKey", "whatever-secret", ""
    if kind == "expired-sts":
        sts = cloud.credentials.issue_sts_token(ttl_seconds=60)
        cloud.clock.advance(120)
        return sts.access_key_id, sts.access_key_secret, sts.security_token
    if kind == "stale-date":
        cloud.clock.advance(STALE_SECONDS)
        return cloud.access_key_id, cloud.access_key_secret, ""
    raise ValueError(kind)


KINDS = ("wrong-secret", "unknown-key", "expired-sts", "stale-date")
EXPECTED = {
    "fc": {
        "wrong-secret": "SignatureNotMatch",
        "unknown-key": "InvalidAccessKeyID",
        "expired-sts": "InvalidSecurityToken",
        "stale-date": "RequestTimeTooSkewed",
    },
    "vod": {
        "wrong-secret": "SignatureDoesNotMatch",
        "unknown-key": "InvalidAccessKeyId.NotFound",
        "expired-sts": "InvalidSecurityToken.Expired",
        "stale-date": "InvalidTimeStamp.Expired",
    },
    "mns": {
        "wrong-secret": "SignatureDoesNotMatch",
        "unknown-key": "InvalidAccessKeyId",
        "expired-sts": "SecurityTokenExpired",
        "stale-date": "TimeExpired",
    },
    "oss": {
        "wrong-secret": "SignatureDoesNotMatch",
        "unknown-key": "InvalidAccessKeyId",
        "expired-sts": "SecurityTokenExpired",
        "stale-date": "RequestTimeTooSkewed",
    },
}


def _fc_code(cloud: LocalCloud, creds: Credentials) -> str:
    response = trigger_request(cloud, body=b'{"JobIds": ["a1b2c3"]}', credentials=creds)
    assert response.status_code == 403, response.content
    return response.json()["ErrorCode"]


def _vod_code(cloud: LocalCloud, creds: Credentials) -> str:
    config = Config(
        access_key_id=creds[0],
        access_key_secret=creds[1],
        security_token=creds[2] or None,
        endpoint=cloud.url("vod").split("://", 1)[1],
        protocol="http",
        region_id=cloud.region,
    )
    try:
        VodClient(config).cancel_url_upload_jobs(vod_models.CancelUrlUploadJobsRequest(job_ids="a1b2c3"))
    except Exception as exc:
        return str(exc.code)  # type: ignore[attr-defined]
    raise AssertionError("VOD accepted bad credentials")


def _mns_code(cloud: LocalCloud, creds: Credentials) -> str:
    try:
        Account(cloud.url("mns"), creds[0], creds[1], creds[2]).get_topic(REQUEST_TOPIC).publish_message(
            TopicMessage("x")
        )
    except MNSServerException as exc:
        return str(exc.type)
    raise AssertionError("MNS accepted bad credentials")


def _oss_code(cloud: LocalCloud, creds: Credentials) -> str:
    auth: Any = oss2.StsAuth(*creds) if creds[2] else oss2.Auth(creds[0], creds[1])
    try:
        oss2.Bucket(auth, cloud.url("oss"), MANIFEST_BUCKET).get_object("cancel-requests/none.txt")
    except oss2.exceptions.OssError as exc:
        return str(exc.code)
    raise AssertionError("OSS accepted bad credentials")


CALLERS: dict[str, Callable[[LocalCloud, Credentials], str]] = {
    "fc": _fc_code,
    "vod": _vod_code,
    "mns": _mns_code,
    "oss": _oss_code,
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("service", sorted(CALLERS))
def test_every_service_refuses_bad_credentials_with_its_real_code(
    localcloud: LocalCloud, tally: Tally, service: str, kind: str
) -> None:
    """Wrong secret, unknown key, expired STS token, stale date: each service's own error code (official SDKs)."""
    # GIVEN credentials that are wrong in one way  WHEN a service is called with them through its official SDK
    code = CALLERS[service](localcloud, _bad_credentials(localcloud, kind))
    tally.cases += 1
    # THEN the service answers with its real code, and no function ran
    assert code == EXPECTED[service][kind]
    assert localcloud.fc.invocations() == []


def _rpc_url(cloud: LocalCloud, nonce: str) -> str:
    """A VOD RPC request signed with HMAC-SHA1 (the legacy signature the SDK's v2 mode sends), fixed nonce."""
    params = {
        "Action": "CancelUrlUploadJobs",
        "Version": "2017-03-21",
        "Format": "JSON",
        "RegionId": cloud.region,
        "AccessKeyId": cloud.access_key_id,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "SignatureNonce": nonce,
        "Timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "JobIds": "replay-check",
    }

    def pct(text: str) -> str:
        return quote(text, safe="~")

    canonical = "&".join(f"{pct(k)}={pct(v)}" for k, v in sorted(params.items()))
    digest = hmac.new(f"{cloud.access_key_secret}&".encode(), f"GET&%2F&{pct(canonical)}".encode(), hashlib.sha1)
    return f"{cloud.url('vod')}/?{canonical}&Signature={pct(base64.b64encode(digest.digest()).decode())}"


def test_vod_refuses_a_replayed_nonce(localcloud: LocalCloud, tally: Tally) -> None:
    """The same signed VOD request sent twice: the replay is refused with SignatureNonceUsed."""
    # GIVEN one correctly signed request  WHEN it is sent twice
    url = _rpc_url(localcloud, uuid.uuid4().hex)
    with urllib.request.urlopen(url, timeout=10) as first:
        assert first.status == 200
    with pytest.raises(urllib.error.HTTPError) as replay:
        urllib.request.urlopen(url, timeout=10)
    tally.cases += 2
    # THEN the second one is refused with the real code
    assert replay.value.code == 400
    assert json.loads(replay.value.read())["Code"] == "SignatureNonceUsed"


# -- what the function does when its own credentials are refused ---------------------------------------------------
def _function_key(cloud: LocalCloud) -> str:
    """Start the function's instance and return the STS key its role gave it (seen by VOD on a warm-up call)."""
    reply = post_http(cloud, '{"JobIds": ["warm-up"]}')
    assert reply.status == 200
    return cloud.vod.calls[-1].access_key_id


def _batches(count: int) -> int:
    return -(-count // 10)


def test_vod_forbidding_the_role_fails_items_once_per_batch_and_reports(localcloud: LocalCloud, tally: Tally) -> None:
    """RAM denies VOD to the function's role: every item Failed `Forbidden`, one call per batch, no FC retry."""
    # GIVEN a function whose role VOD refuses (Forbidden), and a request on the topic
    key = _function_key(localcloud)
    localcloud.vod.forbidden_access_keys.add(key)
    scenario = seed_scenario(localcloud)
    calls = localcloud.vod.call_count()
    # WHEN the request arrives through the MNS topic
    publish_request(localcloud, scenario.json_payload())
    wait_idle(localcloud)
    tally.items += scenario.item_count
    # THEN one attempt that reported: every item Failed with Forbidden; exactly one cancel call per batch
    (record,) = localcloud.fc.invocations(source="mns")
    assert record.status == "succeeded" and record.attempt == 1
    document = merge_parts(results_by_request(localcloud)[record.request_id])
    accounting = check_accounting(localcloud, scenario, document)
    assert accounting.outcomes["Failed"] == scenario.item_count
    assert set(accounting.failed_codes) == {"Forbidden"}
    batches = _batches(len(scenario.job_id_items)) + _batches(len(scenario.url_items))
    assert localcloud.vod.call_count() - calls == batches
    tally.lost += accounting.lost


def test_revoked_role_key_is_reported_not_retried(localcloud: LocalCloud, tally: Tally) -> None:
    """The role's key no longer exists: items Failed `InvalidAccessKeyId.NotFound`, reply says not published."""
    # GIVEN a function whose STS key was revoked
    key = _function_key(localcloud)
    localcloud.credentials.revoke(key)
    scenario = seed_scenario(localcloud, pending=11, started=11, unknown=11)
    calls = localcloud.vod.call_count()
    # WHEN a request is POSTed
    reply = post_http(localcloud, scenario.json_payload())
    tally.items += scenario.item_count
    # THEN 200 with every item Failed for that cause, one call per batch, and the results could not be published
    assert reply.status == 200
    assert reply.headers["x-results-published"] == "false"
    accounting = check_accounting(localcloud, scenario, {**reply.json(), "_tags": None})
    assert set(accounting.failed_codes) == {"InvalidAccessKeyId.NotFound"}
    assert accounting.outcomes["Failed"] == scenario.item_count
    batches = _batches(len(scenario.job_id_items)) + _batches(len(scenario.url_items))
    assert localcloud.vod.call_count() - calls == batches


@pytest.fixture
def short_lived_role(localcloud: LocalCloud) -> Any:
    """Role credentials that live only ``ttl`` seconds (FC's are 36 h; the next reset restores them)."""

    def use(ttl: float) -> None:
        localcloud.fc.sts_ttl_seconds = ttl
        localcloud.fc.set_env()  # restart instances so they start with such credentials

    return use


def test_token_expiring_mid_invocation_fails_items_with_that_cause(
    localcloud: LocalCloud, tally: Tally, short_lived_role: Any
) -> None:
    """The role's STS token expires while VOD is slow: items Failed `InvalidSecurityToken.Expired`, not retried."""
    # GIVEN role credentials valid for 1 s and a VOD that takes 1.5 s to answer
    short_lived_role(1.0)
    scenario = seed_scenario(localcloud, pending=3, started=2, unknown=2)
    localcloud.faults.add(service="vod", latency_ms=1500)
    # WHEN a request is POSTed
    reply = post_http(localcloud, scenario.json_payload())
    tally.items += scenario.item_count
    # THEN every item Failed with the expiry, one VOD call per batch, and the reply says nothing was published
    assert reply.status == 200
    accounting = check_accounting(localcloud, scenario, {**reply.json(), "_tags": None})
    assert set(accounting.failed_codes) == {"InvalidSecurityToken.Expired"}
    assert localcloud.vod.call_count() == 2  # one batch of job IDs, one of URLs
    assert reply.headers["x-results-published"] == "false"


def test_rotated_role_token_is_picked_up(localcloud: LocalCloud, tally: Tally, short_lived_role: Any) -> None:
    """FC rotates the role's token between invocations: the function uses the new one from the context."""
    # GIVEN role credentials valid for 2 s, used once
    short_lived_role(2.0)
    first_key = _function_key(localcloud)
    time.sleep(2.2)  # the instance's original token (also in its env vars) has now expired
    scenario = seed_scenario(localcloud, pending=3, started=2, unknown=2)
    # WHEN the next request arrives on the same warm instance
    reply = post_http(localcloud, scenario.json_payload())
    tally.items += scenario.item_count
    # THEN it succeeds with FC's fresh token (a different key), and publishes
    assert reply.status == 200 and reply.headers["x-results-published"] == "true"
    check_accounting(localcloud, scenario, {**reply.json(), "_tags": None}, expect_no_failures=True)
    assert localcloud.vod.calls[-1].access_key_id != first_key


def test_stale_clock_fails_items_with_that_cause(localcloud: LocalCloud, tally: Tally) -> None:
    """The function's clock is 16 minutes off VOD's: items Failed `InvalidTimeStamp.Expired`, once per batch."""
    # GIVEN a cloud whose clock is 16 minutes ahead of the function's
    scenario = seed_scenario(localcloud, pending=3, started=2, unknown=2)
    localcloud.clock.advance(STALE_SECONDS)
    # WHEN a request arrives (FC's own gateway is bypassed: it would refuse the caller's date too)
    event = json.dumps(
        {
            "version": "v1",
            "rawPath": "/cancel",
            "headers": {"Content-Type": "application/json"},
            "queryParameters": {},
            "body": scenario.json_payload(),
            "isBase64Encoded": False,
            "requestContext": {"requestId": "stale-clock", "http": {"method": "POST", "path": "/cancel"}},
        }
    ).encode()
    record = localcloud.fc.invoke(event, source="http")
    tally.items += scenario.item_count
    # THEN the reply carries every item as Failed with the cause; one call per batch; not published
    assert record.status == "succeeded", record.error
    reply = record.result_json()
    assert reply["statusCode"] == 200 and reply["headers"]["X-Results-Published"] == "false"
    accounting = check_accounting(localcloud, scenario, {**json.loads(reply["body"]), "_tags": None})
    assert set(accounting.failed_codes) == {"InvalidTimeStamp.Expired"}
    assert localcloud.vod.call_count() == 2
