"""No credential ever leaves the function: a local cloud with *sentinel* credentials runs the happy paths, bad input,
VOD / MNS / OSS faults and every kind of auth failure, and then every log line, result message, FC error record,
failure-destination record, HTTP reply, service error text and the local cloud's own log is searched for the
sentinel AccessKey secret and every sentinel STS secret and token the role was given (raw, URL-encoded, base64,
JSON-escaped and any 24-character window of them).

(Every other reliability test is scanned the same way for its own cloud's secrets: see conftest.py.)
"""

from __future__ import annotations

import base64
import itertools
import json
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import oss2
import pytest
from alibabacloud_tea_openapi.models import Config
from alibabacloud_vod20170321 import models as vod_models
from alibabacloud_vod20170321.client import Client as VodClient
from helpers import (
    FAILURES_TOPIC,
    MANIFEST_BUCKET,
    MANIFEST_PREFIX,
    REQUEST_TOPIC,
    RESULTS_TOPIC,
    FaultCounter,
    HttpReply,
    Tally,
    cloud_texts,
    find_leaks,
    post_http,
    post_unsigned,
    publish_request,
    put_manifest,
    seed_scenario,
    wait_idle,
    wait_until,
)
from mns.account import Account
from mns.mns_exception import MNSServerException
from mns.topic import TopicMessage

from localcloud.auth.credentials import StsCredential
from localcloud.auth.ram import Policy
from localcloud.cloud import LocalCloud
from localcloud.testing import trigger_request

SENTINEL_KEY_ID = "LTAI5tSentinelKeyId000001"
SENTINEL_SECRET = "SentinelAccessKeySecret-7f3a9c1e5b2d4f60"
PROJECT_DIR = Path(__file__).resolve().parents[2]


def sentinel_token(number: int) -> str:
    """A token shaped like a real STS token (long base64 with +, / and =), recognisable in any output."""
    raw = f"SentinelSecurityToken-{number:04d}-".encode() + bytes(range(250, 256)) * 40 + b"\xfb\xff"
    return "CAIS" + base64.b64encode(raw).decode()


@dataclass
class Sentinel:
    """The sentinel cloud, the STS credentials it issued, and every text collected from outside the function."""

    cloud: LocalCloud
    issued: list[StsCredential] = field(default_factory=list)
    texts: list[tuple[str, str]] = field(default_factory=list)

    @property
    def secrets(self) -> list[str]:
        values = [SENTINEL_SECRET]
        for credential in self.issued:
            values += [credential.access_key_secret, credential.security_token]
        return values

    def reply(self, where: str, reply: HttpReply) -> HttpReply:
        self.texts.append((where, reply.text()))
        return reply

    def role_key(self) -> StsCredential:
        """Warm the function up and return the role credentials its instance holds."""
        self.reply("warm-up", post_http(self.cloud, '{"JobIds": ["warm-up"]}'))
        key_id = self.cloud.vod.calls[-1].access_key_id
        return next(c for c in self.issued if c.access_key_id == key_id)


@pytest.fixture(scope="module")
def sentinel_cloud() -> Iterator[tuple[LocalCloud, list[StsCredential]]]:
    issued: list[StsCredential] = []
    counter = itertools.count(1)
    with LocalCloud(PROJECT_DIR, access_key_id=SENTINEL_KEY_ID, access_key_secret=SENTINEL_SECRET) as cloud:

        def issue_sentinel_sts(ttl_seconds: float = 3600, policy: Policy | None = None) -> StsCredential:
            number = next(counter)
            credential = StsCredential(
                access_key_id=f"STS.SentinelRoleKey{number:06d}",
                access_key_secret=f"SentinelStsSecret{number:04d}-c0ffee5e1f2a3b4c5d6e",
                security_token=sentinel_token(number),
                expiration=cloud.clock.now() + ttl_seconds,
                policy=policy,
            )
            cloud.credentials.add_sts_credential(credential)
            issued.append(credential)
            return credential

        cloud.credentials.issue_sts_token = issue_sentinel_sts  # type: ignore[method-assign]
        yield cloud, issued


@pytest.fixture
def sentinel(sentinel_cloud: tuple[LocalCloud, list[StsCredential]], caplog: Any, tally: Tally) -> Iterator[Sentinel]:
    cloud, issued = sentinel_cloud
    cloud.reset()
    caplog.set_level(logging.DEBUG)
    state = Sentinel(cloud, issued)
    with FaultCounter(cloud, tally):
        yield state
        wait_idle(cloud)
    texts = [*state.texts, *cloud_texts(cloud), ("local cloud log", caplog.text)]
    assert sum(len(text) for _, text in texts) > 0
    leaks = find_leaks(texts, state.secrets)
    assert not leaks, leaks


def test_no_secret_in_results_logs_or_replies_on_the_happy_paths(sentinel: Sentinel, tally: Tally) -> None:
    """All three triggers with good and bad input: no sentinel secret or token anywhere."""
    cloud = sentinel.cloud
    scenario = seed_scenario(cloud)
    # GIVEN seeded jobs  WHEN good requests arrive through HTTP, MNS and OSS, and a few bad ones
    sentinel.reply("http ok", post_http(cloud, scenario.json_payload(), headers={"Idempotency-Key": "t-1"}))
    Account(cloud.url("mns"), SENTINEL_KEY_ID, SENTINEL_SECRET, "").get_topic(REQUEST_TOPIC).publish_message(
        TopicMessage(scenario.json_payload())
    )
    put_manifest(cloud, f"{MANIFEST_PREFIX}{uuid.uuid4().hex}.txt", scenario.text_payload().encode())
    for body in (b"\xff\xfe", b'{"JobIds": 5}', b"ftp://x/y", b"[" * 5000):
        sentinel.reply("http bad", post_http(cloud, body))
        publish_request(cloud, body.decode("utf-8", "replace"))
    put_manifest(cloud, f"{MANIFEST_PREFIX}bad.txt", b"not a job id!")
    wait_idle(cloud)
    tally.cases += 11
    # THEN (fixture) nothing leaked; and the scan had something to read
    assert len(cloud.fc.invocations()) >= 11


@pytest.mark.parametrize(
    "fault",
    [
        {"service": "vod", "error_code": "Throttling.User", "error_rate": 0.5},
        {"service": "vod", "reset_rate": 0.5},
        {"service": "vod", "error_code": "InternalError"},
        {"service": "vod", "error_code": "InvalidParameter"},
        {"service": "vod", "latency_ms": 1200},
    ],
    ids=["throttling", "resets", "internal-error", "invalid-parameter", "read-timeouts"],
)
def test_no_secret_in_vod_failures(sentinel: Sentinel, tally: Tally, fault: dict[str, Any]) -> None:
    """VOD errors, resets and timeouts end up in Failed entries and logs: never with a credential in them."""
    cloud = sentinel.cloud
    # GIVEN a VOD that misbehaves in one way (and a short function timeout, so timeouts end in failures)
    cloud.fc.set_env(VOD_READ_TIMEOUT_MS="500")
    cloud.fc.set_timeout(4)
    scenario = seed_scenario(cloud, pending=3, started=2, unknown=2)
    cloud.faults.add(**fault)
    # WHEN requests arrive through HTTP and MNS
    sentinel.reply("http", post_http(cloud, scenario.json_payload()))
    publish_request(cloud, scenario.json_payload())
    wait_idle(cloud)
    tally.items += 2 * scenario.item_count
    # THEN (fixture) the failures were reported without any credential in them
    assert len(cloud.fc.invocations()) == 2


@pytest.mark.parametrize("breakage", ["wrong-secret", "wrong-token", "revoked", "forbidden", "expired"])
def test_no_secret_when_the_roles_credentials_are_refused(sentinel: Sentinel, tally: Tally, breakage: str) -> None:
    """VOD, MNS and OSS refusing the role's credentials (signature, token, key, RAM, expiry): no echo of them."""
    cloud = sentinel.cloud
    role = sentinel.role_key()
    # GIVEN the role's credentials broken in one way (the store now disagrees with what the function holds)
    if breakage == "wrong-secret":
        cloud.credentials.add_sts_credential(replace(role, access_key_secret="SomeOtherSecret-000000000000"))
    elif breakage == "wrong-token":
        cloud.credentials.add_sts_credential(replace(role, security_token=sentinel_token(9999)))
    elif breakage == "revoked":
        cloud.credentials.revoke(role.access_key_id)
    elif breakage == "forbidden":
        cloud.vod.forbidden_access_keys.add(role.access_key_id)
    else:
        cloud.credentials.add_sts_credential(replace(role, expiration=cloud.clock.now() - 1))
    scenario = seed_scenario(cloud, pending=3, started=2, unknown=2)
    # WHEN requests arrive through every door, one after the other (so the one warm instance, holding the broken
    #      credentials, serves them all; MNS/OSS invocations fail, are retried, then go to onFailure)
    sentinel.reply("http", post_http(cloud, scenario.json_payload()))
    publish_request(cloud, scenario.json_payload())
    wait_idle(cloud)
    cloud.oss.put_object(MANIFEST_BUCKET, f"{MANIFEST_PREFIX}{uuid.uuid4().hex}.txt", scenario.text_payload().encode())
    wait_idle(cloud)
    tally.items += 3 * scenario.item_count
    # THEN the failures are visible (in replies, FC error records and the failure destination) but carry no secret
    assert cloud.fc.instances == 1
    if breakage != "forbidden":
        assert len(cloud.mns.published(FAILURES_TOPIC)) == 2


@pytest.mark.parametrize(
    "fault",
    [
        {"service": "oss", "operation": "GetObject", "error_code": "ServiceUnavailable"},
        {"service": "oss", "operation": "GetObject", "reset_rate": 1.0},
        {"service": "mns", "operation": "PublishMessage", "error_code": "InternalError"},
        {"service": "mns", "operation": "PublishMessage", "reset_rate": 1.0},
    ],
    ids=["oss-503", "oss-reset", "mns-500", "mns-reset"],
)
def test_no_secret_in_raised_invocation_errors(sentinel: Sentinel, tally: Tally, fault: dict[str, Any]) -> None:
    """Invocations that raise (OSS unreadable, MNS down): FC's error record and onFailure record hold no secret."""
    cloud = sentinel.cloud
    # GIVEN OSS or MNS failing in one way
    scenario = seed_scenario(cloud, pending=2, started=1, unknown=1)
    cloud.faults.add(**fault)
    # WHEN a manifest is uploaded (and, for MNS faults, a request is POSTed too)
    cloud.oss.put_object(MANIFEST_BUCKET, f"{MANIFEST_PREFIX}{uuid.uuid4().hex}.txt", scenario.text_payload().encode())
    if fault["service"] == "mns":
        sentinel.reply("http", post_http(cloud, scenario.json_payload()))
    wait_idle(cloud)
    tally.items += scenario.item_count
    # THEN the invocation failed visibly (FC error + onFailure record) but without any secret
    assert any(r.status == "failed" for r in cloud.fc.invocations(source="oss"))
    wait_until(lambda: len(cloud.mns.published(FAILURES_TOPIC)) >= 1)


def test_no_secret_in_a_reported_manifest_access_denial(sentinel: Sentinel, tally: Tally) -> None:
    """OSS refusing the role the manifest: reported (a rejection on the results topic, no retry), without a secret."""
    cloud = sentinel.cloud
    # GIVEN OSS refusing every GetObject
    scenario = seed_scenario(cloud, pending=2, started=1, unknown=1)
    cloud.faults.add(service="oss", operation="GetObject", error_code="AccessDenied")
    # WHEN a manifest is uploaded
    cloud.oss.put_object(MANIFEST_BUCKET, f"{MANIFEST_PREFIX}{uuid.uuid4().hex}.txt", scenario.text_payload().encode())
    wait_idle(cloud)
    tally.items += scenario.item_count
    # THEN one invocation returned and its rejection says who may not read what (the fixture scans it for secrets;
    #      the checkpoint is read first, so it is the one refused)
    assert [r.status for r in cloud.fc.invocations(source="oss")] == ["succeeded"]
    (message,) = cloud.mns.published(RESULTS_TOPIC)
    assert message.tag == "rejected" and json.loads(message.body)["Error"]["Code"].endswith("AccessDenied")


def test_no_secret_in_service_errors_for_bad_caller_credentials(sentinel: Sentinel, tally: Tally) -> None:
    """Error replies of FC, VOD, MNS and OSS to a caller with a wrong sentinel token never echo the token."""
    cloud = sentinel.cloud
    # GIVEN a caller holding a sentinel STS key with another sentinel key's token
    good = cloud.credentials.issue_sts_token()
    other = cloud.credentials.issue_sts_token()
    wrong = (good.access_key_id, good.access_key_secret, other.security_token)
    # WHEN it calls FC (unsigned, wrong secret, wrong token) and VOD, MNS, OSS; THEN every call is refused and
    #      (fixture) none of the servers' error texts echoes a secret or token
    sentinel.reply("fc unsigned", post_unsigned(cloud, b'{"JobIds": ["a"]}'))
    for creds in [(SENTINEL_KEY_ID, "wrong-secret", ""), wrong]:
        response = trigger_request(cloud, path="/", body=b"{}", credentials=creds)
        sentinel.texts.append(("fc reply", f"{response.status_code} {response.headers} {response.text}"))
        assert response.status_code == 403
    # VOD, MNS, OSS: the server's error code and message as the SDKs parse them
    config = Config(
        access_key_id=wrong[0],
        access_key_secret=wrong[1],
        security_token=wrong[2],
        endpoint=cloud.url("vod").split("://", 1)[1],
        protocol="http",
        region_id=cloud.region,
    )
    with pytest.raises(Exception) as vod_error:
        VodClient(config).cancel_url_upload_jobs(vod_models.CancelUrlUploadJobsRequest(job_ids="a"))
    sentinel.texts.append(("vod error", f"{vod_error.value.code} {vod_error.value.message} {vod_error.value.data}"))
    with pytest.raises(MNSServerException) as mns_error:
        Account(cloud.url("mns"), *wrong).get_topic(REQUEST_TOPIC).publish_message(TopicMessage("x"))
    sentinel.texts.append(("mns error", f"{mns_error.value.type} {mns_error.value.message}"))
    with pytest.raises(oss2.exceptions.OssError) as oss_error:
        oss2.Bucket(oss2.StsAuth(*wrong), cloud.url("oss"), MANIFEST_BUCKET).get_object("a.txt")
    sentinel.texts.append(("oss error", f"{oss_error.value.code} {oss_error.value.message} {oss_error.value.details}"))
    tally.cases += 6
    assert json.dumps(sentinel.texts)  # the fixture scans them


def test_the_scan_finds_a_planted_secret_in_every_form() -> None:
    """The leak detector itself: raw, URL-encoded, base64, JSON-escaped and truncated copies are all found."""
    from urllib.parse import quote

    # GIVEN a token planted in a log line in each form it could leak in
    token = sentinel_token(1)
    planted = [
        token,
        quote(token, safe=""),
        base64.b64encode(token.encode()).decode(),
        json.dumps({"t": token}),
        "…" + token[100:140] + "…",
    ]
    # WHEN the scan reads them  THEN every one is found, and a line without the token is clean
    for text in planted:
        assert find_leaks([("planted", f"log line {text} end")], [token]), text
    assert not find_leaks([("clean", "STS.SentinelRoleKey000001 CAIS")], [token])
