"""verify_fc against requests captured from aliyun-fc2 (invoke_function and do_http_request)."""

from __future__ import annotations

import fc2
import pytest
from auth_capture import ACCESS_KEY_ID, ACCESS_KEY_SECRET, Captured, CaptureServer, Identity, identity

from localcloud.auth import AuthFailure, CredentialStore, verify_fc

SERVICE = "vod-cancel"
FUNCTION = "vod-cancel-url-uploads"


def client(server: CaptureServer, caller: Identity) -> fc2.Client:
    return fc2.Client(
        endpoint=server.url,
        accessKeyID=caller.access_key_id,
        accessKeySecret=caller.secret,
        securityToken=caller.token,
    )


def invoke(server: CaptureServer, caller: Identity, **kwargs: object) -> Captured:
    fc = client(server, caller)
    return server.capture(lambda: fc.invoke_function(SERVICE, FUNCTION, payload=b'{"JobIds":["j"]}', **kwargs))


def http_request(server: CaptureServer, caller: Identity, path: str, params: dict[str, str]) -> Captured:
    fc = client(server, caller)
    return server.capture(lambda: fc.do_http_request("POST", SERVICE, FUNCTION, path, params=params, body=b"x"))


def failure(captured: Captured, store: CredentialStore, **tamper: object) -> AuthFailure:
    with pytest.raises(AuthFailure) as info:
        verify_fc(captured.request(**tamper), store)  # type: ignore[arg-type]
    return info.value


def static() -> Identity:
    return Identity(ACCESS_KEY_ID, ACCESS_KEY_SECRET)


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"headers": {"x-fc-invocation-type": "Async"}}, {"qualifier": "LATEST"}],
    ids=["sync", "async", "qualifier"],
)
def test_invoke_function_verifies(server, store, caller, kwargs):
    captured = invoke(server, caller, **kwargs)
    assert verify_fc(captured.request(), store) == caller.access_key_id


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/", {}),
        ("/cancel", {"JobIds": "a,b", "empty": ""}),
        ("/a b/中文", {"q": "x y+z", "url": "https://例子.cn/v 1.mp4?a=1&b=2"}),
    ],
)
def test_do_http_request_verifies(server, store, caller, path, params):
    """The proxy path signs unquote(path) plus sorted k=v lines of the decoded query."""
    captured = http_request(server, caller, path, params)
    assert verify_fc(captured.request(), store) == caller.access_key_id


def test_wrong_secret_is_bad_signature(server, store):
    captured = invoke(server, Identity(ACCESS_KEY_ID, "not-the-secret"))
    assert failure(captured, store).kind == "bad_signature"


def test_unknown_key(server, store):
    captured = invoke(server, Identity("LTAI5tNobody", "whatever"))
    assert failure(captured, store).kind == "unknown_key"


def test_expired_sts_token(server, store, clock):
    captured = invoke(server, identity(store, "sts"))
    clock.advance(3601)
    assert failure(captured, store).kind == "expired_token"


def test_sts_token_problems(server, store):
    captured = invoke(server, identity(store, "sts"))
    assert failure(captured, store, headers={"x-fc-security-token": None}).kind == "missing_token"
    forged = store.issue_sts_token().security_token
    assert failure(captured, store, headers={"x-fc-security-token": forged}).kind == "invalid_token"


@pytest.mark.parametrize("offset", [16 * 60, -16 * 60])
def test_date_more_than_15_minutes_off_is_stale(server, store, clock, offset):
    captured = invoke(server, static())
    clock.advance(offset)
    assert failure(captured, store).kind == "stale_date"


def test_replay_within_window_is_accepted_as_on_fc(server, store):
    """FC signatures carry no nonce: the real service accepts a replay within the skew window."""
    captured = invoke(server, static())
    assert verify_fc(captured.request(), store) == ACCESS_KEY_ID
    assert verify_fc(captured.request(), store) == ACCESS_KEY_ID


def test_tampered_path_is_bad_signature(server, store):
    captured = invoke(server, static())
    tampered = captured.target.replace(FUNCTION, "other-function")
    assert failure(captured, store, target=tampered).kind == "bad_signature"


def test_tampered_query_is_bad_signature(server, store):
    captured = http_request(server, static(), "/cancel", {"JobIds": "a,b"})
    tampered = captured.target.replace("JobIds=a%2Cb", "JobIds=a%2Cc")
    assert tampered != captured.target
    assert failure(captured, store, target=tampered).kind == "bad_signature"


@pytest.mark.parametrize(
    ("header", "value"),
    [("x-fc-invocation-type", "Sync"), ("Content-Type", "text/plain"), ("Date", "Thu, 01 Jan 2026 00:00:00 GMT")],
)
def test_tampered_signed_header_is_bad_signature(server, store, header, value):
    captured = invoke(server, static(), headers={"x-fc-invocation-type": "Async"})
    assert failure(captured, store, headers={header: value}).kind == "bad_signature"


def test_unsigned_body_is_not_covered_as_on_fc(server, store):
    """fc2 sends no Content-MD5, so the payload is not covered by the signature (as on FC)."""
    captured = invoke(server, static())
    assert verify_fc(captured.request(body=b'{"JobIds":["other"]}'), store) == ACCESS_KEY_ID


@pytest.mark.parametrize(
    ("authorization", "kind"),
    [(None, "missing"), ("FC no-colon", "malformed"), ("MNS a:b", "malformed")],
)
def test_missing_or_malformed_authorization(server, store, authorization, kind):
    captured = invoke(server, static())
    assert failure(captured, store, headers={"Authorization": authorization}).kind == kind


def test_missing_date(server, store):
    captured = invoke(server, static())
    assert failure(captured, store, headers={"Date": None}).kind == "missing"
