"""verify_vod against requests captured from the official VOD SDK (ACS3-HMAC-SHA256 and legacy RPC HMAC-SHA1)."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest
from alibabacloud_tea_openapi.models import Config
from alibabacloud_vod20170321 import models as vod_models
from alibabacloud_vod20170321.client import Client
from auth_capture import ACCESS_KEY_ID, ACCESS_KEY_SECRET, Captured, CaptureServer, Identity, identity

from localcloud.auth import AuthFailure, CredentialStore, verify_vod

# Values the function really sends: URL-encoded URLs, comma-joined; plus CJK, spaces, '+', '~' and reserved marks.
TRICKY_UPLOAD_URLS = "https%3A//example.com/a%2Cb.mp4,https://例子.cn/视频 1+2.mp4?x=1&y=~!*'();:@$"


@pytest.fixture(params=["acs3", "rpc"])
def algorithm(request: pytest.FixtureRequest) -> str | None:
    """None → the SDK default (ACS3-HMAC-SHA256); 'v2' → legacy RPC HMAC-SHA1 query signature."""
    return None if request.param == "acs3" else "v2"


def cancel(server: CaptureServer, caller: Identity, algorithm: str | None, **fields: str) -> Captured:
    client = Client(
        Config(
            access_key_id=caller.access_key_id,
            access_key_secret=caller.secret,
            security_token=caller.token or None,
            endpoint=server.host,
            protocol="http",
            signature_algorithm=algorithm,
        )
    )
    request = vod_models.CancelUrlUploadJobsRequest(**fields)
    return server.capture(lambda: client.cancel_url_upload_jobs(request))


def failure(captured: Captured, store: CredentialStore, **tamper: object) -> AuthFailure:
    with pytest.raises(AuthFailure) as info:
        verify_vod(captured.request(**tamper), store)  # type: ignore[arg-type]
    return info.value


def test_genuine_requests_verify(server, store, caller, algorithm):
    """GIVEN a CancelUrlUploadJobs call from the SDK WHEN verified THEN the caller's AccessKeyId comes back."""
    captured = cancel(server, caller, algorithm, job_ids="job-1,job-2")
    assert verify_vod(captured.request(), store) == caller.access_key_id


def test_non_ascii_and_comma_bearing_values_verify(server, store, caller, algorithm):
    """Form-decoding ('+' is a space) and RFC 3986 re-encoding must reproduce the SDK's canonical query."""
    captured = cancel(server, caller, algorithm, upload_urls=TRICKY_UPLOAD_URLS)
    assert verify_vod(captured.request(), store) == caller.access_key_id
    assert dict(parse_qsl(captured.environ["QUERY_STRING"]))["UploadUrls"] == TRICKY_UPLOAD_URLS


def test_empty_value_verifies(server, store, algorithm):
    captured = cancel(server, Identity(ACCESS_KEY_ID, ACCESS_KEY_SECRET), algorithm, job_ids="")
    assert verify_vod(captured.request(), store) == ACCESS_KEY_ID


def test_wrong_secret_is_bad_signature(server, store, algorithm):
    captured = cancel(server, Identity(ACCESS_KEY_ID, "not-the-secret"), algorithm, job_ids="j")
    assert failure(captured, store).kind == "bad_signature"


def test_unknown_key(server, store, algorithm):
    captured = cancel(server, Identity("LTAI5tNobody", "whatever"), algorithm, job_ids="j")
    assert failure(captured, store).kind == "unknown_key"


def test_expired_sts_token(server, store, clock, algorithm):
    caller = identity(store, "sts")
    captured = cancel(server, caller, algorithm, job_ids="j")
    clock.advance(3601)
    assert failure(captured, store).kind == "expired_token"


def test_sts_key_without_its_token(server, store, algorithm):
    caller = identity(store, "sts")
    captured = cancel(server, Identity(caller.access_key_id, caller.secret), algorithm, job_ids="j")
    assert failure(captured, store).kind == "missing_token"


def test_sts_key_with_another_token(server, store, algorithm):
    caller = identity(store, "sts")
    other = store.issue_sts_token()
    captured = cancel(server, Identity(caller.access_key_id, caller.secret, other.security_token), algorithm)
    assert failure(captured, store).kind == "invalid_token"


@pytest.mark.parametrize("offset", [16 * 60, -16 * 60])
def test_date_more_than_15_minutes_off_is_stale(server, store, clock, algorithm, offset):
    captured = cancel(server, Identity(ACCESS_KEY_ID, ACCESS_KEY_SECRET), algorithm, job_ids="j")
    clock.advance(offset)
    assert failure(captured, store).kind == "stale_date"


def test_date_14_minutes_off_is_accepted(server, store, clock, algorithm):
    captured = cancel(server, Identity(ACCESS_KEY_ID, ACCESS_KEY_SECRET), algorithm, job_ids="j")
    clock.advance(14 * 60)
    assert verify_vod(captured.request(), store) == ACCESS_KEY_ID


def test_replayed_request_is_refused(server, store, caller, algorithm):
    """GIVEN a verified request WHEN the identical request arrives again THEN its nonce is refused."""
    captured = cancel(server, caller, algorithm, job_ids="j")
    verify_vod(captured.request(), store)
    assert failure(captured, store).kind == "replayed_nonce"


def test_tampered_query_is_bad_signature(server, store, caller, algorithm):
    captured = cancel(server, caller, algorithm, job_ids="job-1,job-2")
    assert "JobIds=job-1%2Cjob-2" in captured.target
    tampered = captured.target.replace("JobIds=job-1%2Cjob-2", "JobIds=job-1%2Cjob-3")
    assert failure(captured, store, target=tampered).kind == "bad_signature"


def test_plus_and_space_are_not_interchangeable(server, store, algorithm):
    captured = cancel(server, Identity(ACCESS_KEY_ID, ACCESS_KEY_SECRET), algorithm, job_ids="a b")
    tampered = captured.target.replace("JobIds=a+b", "JobIds=a%2Bb")
    assert tampered != captured.target
    assert failure(captured, store, target=tampered).kind == "bad_signature"


def test_acs3_tampered_body_is_bad_signature(server, store):
    captured = cancel(server, Identity(ACCESS_KEY_ID, ACCESS_KEY_SECRET), None, job_ids="j")
    assert failure(captured, store, body=b"JobIds=other").kind == "bad_signature"


@pytest.mark.parametrize(
    ("header", "value"),
    [("host", "127.0.0.1:1"), ("x-acs-action", "UploadMediaByURL"), ("x-acs-signature-nonce", "0" * 32)],
)
def test_acs3_tampered_signed_header_is_bad_signature(server, store, header, value):
    captured = cancel(server, Identity(ACCESS_KEY_ID, ACCESS_KEY_SECRET), None, job_ids="j")
    assert failure(captured, store, headers={header: value}).kind == "bad_signature"


def test_acs3_unsigned_acs_header_is_malformed(server, store):
    """An x-acs-* header outside SignedHeaders could be swapped freely, so the request is refused outright."""
    captured = cancel(server, Identity(ACCESS_KEY_ID, ACCESS_KEY_SECRET), None, job_ids="j")
    assert failure(captured, store, headers={"x-acs-extra": "1"}).kind == "malformed"


@pytest.mark.parametrize("header", ["x-acs-date", "x-acs-signature-nonce"])
def test_acs3_missing_date_or_nonce(server, store, header):
    captured = cancel(server, Identity(ACCESS_KEY_ID, ACCESS_KEY_SECRET), None, job_ids="j")
    assert failure(captured, store, headers={header: None}).kind == "missing"


def test_unsigned_request_is_missing(server, store):
    captured = cancel(server, Identity(ACCESS_KEY_ID, ACCESS_KEY_SECRET), None, job_ids="j")
    assert failure(captured, store, headers={"Authorization": None}).kind == "missing"


def test_other_authorization_scheme_is_malformed(server, store):
    captured = cancel(server, Identity(ACCESS_KEY_ID, ACCESS_KEY_SECRET), None, job_ids="j")
    assert failure(captured, store, headers={"Authorization": "Bearer abc"}).kind == "malformed"


@pytest.mark.parametrize("parameter", ["SignatureNonce", "Timestamp", "AccessKeyId"])
def test_rpc_missing_required_parameter(server, store, parameter):
    captured = cancel(server, Identity(ACCESS_KEY_ID, ACCESS_KEY_SECRET), "v2", job_ids="j")
    query = "&".join(p for p in captured.target.split("?", 1)[1].split("&") if not p.startswith(parameter + "="))
    assert failure(captured, store, target="/?" + query).kind == "missing"


def test_failure_details_never_contain_secrets(server, store, clock, algorithm):
    """AuthFailure text ends up in error bodies and logs: no secret or token may leak into it."""
    caller = identity(store, "sts")
    other_token = store.issue_sts_token().security_token
    captured = cancel(server, caller, algorithm, job_ids="j")
    forged = cancel(server, Identity(caller.access_key_id, caller.secret, other_token), algorithm, job_ids="j")
    errors = [failure(captured, store, target=captured.target.replace("JobIds=j", "JobIds=k")), failure(forged, store)]
    clock.advance(4000)
    errors.append(failure(captured, store))
    assert [error.kind for error in errors] == ["bad_signature", "invalid_token", "expired_token"]
    for error in errors:
        for secret in (caller.secret, caller.token, other_token, ACCESS_KEY_SECRET):
            assert secret not in str(error)
