"""verify_http_trigger against requests built exactly as FC 3.0's "Configure signature authentication for HTTP
triggers" builds them: ``alibabacloud-openapi-util``'s ``get_authorization`` over a TeaRequest holding the
``x-acs-date`` and ``x-acs-security-token`` headers, an empty payload hash, sent with ``requests``."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from email.utils import formatdate
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from alibabacloud_openapi_util.client import Client as util
from auth_capture import Captured, CaptureServer, Identity
from Tea.request import TeaRequest

from localcloud.auth import AuthFailure, CredentialStore, verify_http_trigger, wire
from localcloud.auth.fc_trigger import MISSING_AUTHORIZATION, MISSING_DATE


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def doc_sample(
    server: CaptureServer,
    caller: Identity,
    path: str = "/hello",
    query: str = "foo=bar",
    *,
    date: str | None = None,
    extra: dict[str, str] | None = None,
    body: str = "hello world",
    payload: str = "",
) -> Captured:
    """The doc's Python sample, with the URL, date (``""``: none), extra signed headers and payload hash as
    parameters."""
    url = f"{server.url}{path}" + (f"?{query}" if query else "")
    headers = {"x-acs-date": now_iso() if date is None else date, "x-acs-security-token": caller.token}
    headers = {name: value for name, value in {**headers, **(extra or {})}.items() if name != "x-acs-date" or value}
    parsed = urlparse(url)
    auth_request = TeaRequest()
    auth_request.method = "POST"
    auth_request.pathname = parsed.path.replace("$", "%24")
    auth_request.headers = headers
    auth_request.query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
    headers["authorization"] = util.get_authorization(
        auth_request, "ACS3-HMAC-SHA256", payload, caller.access_key_id, caller.secret
    )
    return server.capture(lambda: requests.post(url, body, headers=headers, timeout=10))


def failure(captured: Captured, store: CredentialStore, **tamper: object) -> AuthFailure:
    with pytest.raises(AuthFailure) as info:
        verify_http_trigger(captured.request(**tamper), store)  # type: ignore[arg-type]
    return info.value


def test_the_docs_python_sample_verifies(server, store, caller):
    assert verify_http_trigger(doc_sample(server, caller).request(), store) == caller.access_key_id


@pytest.mark.parametrize("fraction", [".123", ".123456789"], ids=["node-toISOString", "java-Instant"])
def test_dates_with_fractional_seconds_verify(server, store, caller, fraction):
    """The doc's Node.js and Java samples send x-acs-date with milliseconds / nanoseconds."""
    date = now_iso()[:-1] + fraction + "Z"
    assert verify_http_trigger(doc_sample(server, caller, date=date).request(), store) == caller.access_key_id


def test_a_dollar_in_the_path_is_signed_as_percent_24(server, store, caller):
    captured = doc_sample(server, caller, path="/price/$5", query="")
    assert wire.raw_target(captured.request())[0] == "/price/$5"
    assert verify_http_trigger(captured.request(), store) == caller.access_key_id


def test_no_date_is_the_gateways_missing_date_message(server, store, caller):
    captured = doc_sample(server, caller)
    error = failure(captured, store, headers={"x-acs-date": None})
    assert (error.kind, error.detail) == ("missing", MISSING_DATE)


def test_a_date_but_no_authorization_is_missing_authorization(server, store, caller):
    captured = doc_sample(server, caller)
    error = failure(captured, store, headers={"Authorization": None})
    assert (error.kind, error.detail) == ("missing", MISSING_AUTHORIZATION)


def test_fc2_authorization_is_malformed_here(server, store, caller):
    captured = doc_sample(server, caller)
    assert failure(captured, store, headers={"Authorization": "FC key:c2ln"}).kind == "malformed"


def test_an_unsigned_acs_header_is_refused(server, store, caller):
    """Every x-acs-* header sent must be signed (the V3 signature's rule): here one added after signing."""
    captured = doc_sample(server, caller)
    error = failure(captured, store, headers={"x-acs-action": "Anything"})
    assert error.kind == "malformed" and "x-acs-action" in error.detail


@pytest.mark.parametrize(
    "tamper",
    [
        {"target": "/other?foo=bar"},
        {"target": "/hello?foo=baz"},
        {"headers": {"x-acs-date": "same time, written .000"}},
    ],
    ids=["path", "query", "signed-header"],
)
def test_a_changed_path_query_or_signed_header_is_bad_signature(server, store, caller, tamper):
    captured = doc_sample(server, caller)
    if "headers" in tamper:  # the same instant in another spelling: still fresh, but not what was signed
        tamper = {"headers": {"x-acs-date": captured.header("x-acs-date")[:-1] + ".000Z"}}
    assert failure(captured, store, **tamper).kind == "bad_signature"


def test_the_body_is_not_covered_unless_its_hash_is_sent(server, store, caller):
    """The doc signs an empty payload hash; a caller that sends x-acs-content-sha256 (signed) binds the body."""
    plain = doc_sample(server, caller, body="original")
    assert verify_http_trigger(plain.request(body=b"changed"), store) == caller.access_key_id
    digest = wire.sha256_hex(b"original")
    bound = doc_sample(server, caller, body="original", extra={"x-acs-content-sha256": digest}, payload=digest)
    assert verify_http_trigger(bound.request(), store) == caller.access_key_id
    assert failure(bound, store, body=b"changed").kind == "bad_signature"


def test_a_date_more_than_15_minutes_off_is_stale_with_the_faq_message(server, store, caller, clock):
    captured = doc_sample(server, caller)
    clock.advance(16 * 60)
    error = failure(captured, store)
    assert error.kind == "stale_date"
    assert error.detail.startswith("the difference between the request time '") and error.detail.endswith("too large")


def test_a_signed_date_header_stands_in_for_x_acs_date(server, store, caller):
    http_date = formatdate(usegmt=True)
    captured = doc_sample(server, caller, date="", extra={"date": http_date})
    assert captured.header("x-acs-date") == ""
    assert verify_http_trigger(captured.request(), store) == caller.access_key_id
    earlier = formatdate(time.time() - 60, usegmt=True)
    assert failure(captured, store, headers={"date": earlier}).kind == "bad_signature"


def test_sts_needs_its_token(server, store):
    sts = store.issue_sts_token()
    caller = Identity(sts.access_key_id, sts.access_key_secret, sts.security_token)
    captured = doc_sample(server, caller)
    assert verify_http_trigger(captured.request(), store) == sts.access_key_id
    without = doc_sample(server, Identity(sts.access_key_id, sts.access_key_secret))
    assert failure(without, store).kind == "missing_token"
