"""verify_mns: the documented test vector, and PublishMessage requests captured from aliyun-mns-sdk."""

from __future__ import annotations

import email.utils

import pytest
from auth_capture import ACCESS_KEY_ID, ACCESS_KEY_SECRET, Captured, CaptureServer, Identity, identity
from mns.account import Account
from mns.topic import TopicMessage
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from localcloud.auth import AuthFailure, CredentialStore, verify_mns
from localcloud.auth.mns import sign, string_to_sign
from localcloud.clock import Clock

# alibaba_facts.md §5.2: the MNS signature doc's worked example (masked there; the tail recomputed locally).
DOC_DATE = "Thu, 09 Jul 2015 03:01:34 GMT"
DOC_STRING_TO_SIGN = f"GET\n\n\n{DOC_DATE}\nx-mns-version:2015-06-06\n/MyQueue"
DOC_SIGNATURE = "uwx3yeWoILzgmvesW0BQSgfM7b8="

MESSAGE = '{"event":"done","name":"中文 & <xml> \\"chars\\""}'


def publish(server: CaptureServer, caller: Identity, body: str = MESSAGE, tag: str = "ok") -> Captured:
    topic = Account(server.url, caller.access_key_id, caller.secret, caller.token).get_topic("vod-cancel-results")
    return server.capture(lambda: topic.publish_message(TopicMessage(body, tag)))


def failure(captured: Captured, store: CredentialStore, **tamper: object) -> AuthFailure:
    with pytest.raises(AuthFailure) as info:
        verify_mns(captured.request(**tamper), store)  # type: ignore[arg-type]
    return info.value


def static() -> Identity:
    return Identity(ACCESS_KEY_ID, ACCESS_KEY_SECRET)


# -- the documented test vector (pure) -----------------------------------------------------------------------
def test_doc_vector_string_to_sign_and_signature():
    text = string_to_sign("GET", "", "", DOC_DATE, [("x-mns-version", "2015-06-06")], "/MyQueue")
    assert text == DOC_STRING_TO_SIGN
    assert sign("TestAccessSecret", text) == DOC_SIGNATURE


def test_doc_vector_request_verifies():
    """GIVEN the doc's request at the doc's time WHEN verified THEN the doc's AccessKeyId is returned."""
    clock = Clock()
    clock.advance(email.utils.parsedate_to_datetime(DOC_DATE).timestamp() - clock.now())
    store = CredentialStore(clock)
    store.add_access_key("TestAccessID", "TestAccessSecret")
    headers = {"Date": DOC_DATE, "x-mns-version": "2015-06-06", "Authorization": f"MNS TestAccessID:{DOC_SIGNATURE}"}
    request = Request(EnvironBuilder(method="GET", path="/MyQueue", headers=headers).get_environ())
    assert verify_mns(request, store) == "TestAccessID"


# -- captured from the SDK -----------------------------------------------------------------------------------
def test_genuine_publish_verifies(server, store, caller):
    captured = publish(server, caller)
    assert verify_mns(captured.request(), store) == caller.access_key_id


def test_sts_token_travels_unsigned_in_security_token_header(server, store):
    caller = identity(store, "sts")
    captured = publish(server, caller)
    assert captured.header("security-token") == caller.token
    assert not captured.header("x-mns-security-token")


def test_content_md5_is_base64_of_hex_digest_and_checked(server, store):
    captured = publish(server, static())
    assert captured.header("Content-MD5")
    assert failure(captured, store, body=captured.body.replace(b"done", b"gone")).kind == "bad_signature"


def test_wrong_secret_is_bad_signature(server, store):
    captured = publish(server, Identity(ACCESS_KEY_ID, "not-the-secret"))
    assert failure(captured, store).kind == "bad_signature"


def test_unknown_key(server, store):
    captured = publish(server, Identity("LTAI5tNobody", "whatever"))
    assert failure(captured, store).kind == "unknown_key"


def test_expired_sts_token(server, store, clock):
    captured = publish(server, identity(store, "sts"))
    clock.advance(3601)
    assert failure(captured, store).kind == "expired_token"


def test_sts_token_problems(server, store):
    caller = identity(store, "sts")
    captured = publish(server, caller)
    assert failure(captured, store, headers={"security-token": None}).kind == "missing_token"
    forged = store.issue_sts_token().security_token
    assert failure(captured, store, headers={"security-token": forged}).kind == "invalid_token"


@pytest.mark.parametrize("offset", [16 * 60, -16 * 60])
def test_date_more_than_15_minutes_off_is_stale(server, store, clock, offset):
    captured = publish(server, static())
    clock.advance(offset)
    assert failure(captured, store).kind == "stale_date"


def test_replay_within_window_is_accepted_as_on_mns(server, store):
    """MNS requests carry no nonce, so the real service accepts a replay inside the 15-minute window."""
    captured = publish(server, static())
    assert verify_mns(captured.request(), store) == ACCESS_KEY_ID
    assert verify_mns(captured.request(), store) == ACCESS_KEY_ID


@pytest.mark.parametrize(
    ("header", "value"),
    [("Date", "Thu, 01 Jan 2026 00:00:00 GMT"), ("x-mns-version", "2099-01-01"), ("Content-Type", "text/plain")],
)
def test_tampered_signed_header_is_bad_signature(server, store, header, value):
    captured = publish(server, static())
    assert failure(captured, store, headers={header: value}).kind == "bad_signature"


def test_tampered_path_is_bad_signature(server, store):
    captured = publish(server, static())
    tampered = captured.target.replace("vod-cancel-results", "other-topic")
    assert failure(captured, store, target=tampered).kind == "bad_signature"


@pytest.mark.parametrize(
    ("authorization", "kind"),
    [(None, "missing"), ("MNS no-colon", "malformed"), ("OSS a:b", "malformed")],
)
def test_missing_or_malformed_authorization(server, store, authorization, kind):
    captured = publish(server, static())
    assert failure(captured, store, headers={"Authorization": authorization}).kind == kind


def test_missing_date(server, store):
    captured = publish(server, static())
    assert failure(captured, store, headers={"Date": None}).kind == "missing"
