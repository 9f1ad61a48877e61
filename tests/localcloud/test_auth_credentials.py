"""CredentialStore (keys, STS tokens, skew, nonces), AuthFailure, and the wire helpers the verifiers share."""

from __future__ import annotations

import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from localcloud.auth import (
    KINDS,
    MAX_SKEW_SECONDS,
    NONCE_TTL_SECONDS,
    AuthFailure,
    CredentialStore,
    acs3,
    verify_vod,
    wire,
)
from localcloud.clock import Clock

AK = "LTAI5tUnitKey"
SECRET = "unit-secret"


@pytest.fixture
def store(clock: Clock) -> CredentialStore:
    credentials = CredentialStore(clock)
    credentials.add_access_key(AK, SECRET)
    return credentials


def kind_of(call, *args) -> str:
    with pytest.raises(AuthFailure) as info:
        call(*args)
    return info.value.kind


# -- AuthFailure ---------------------------------------------------------------------------------------------
def test_failure_kinds_are_the_documented_nine():
    assert {
        "missing",
        "malformed",
        "unknown_key",
        "bad_signature",
        "expired_token",
        "invalid_token",
        "missing_token",
        "stale_date",
        "replayed_nonce",
    } == KINDS


def test_failure_carries_kind_and_detail_and_rejects_unknown_kinds():
    error = AuthFailure("stale_date", "too old")
    assert (error.kind, error.detail) == ("stale_date", "too old")
    with pytest.raises(ValueError):
        AuthFailure("nope", "x")  # type: ignore[arg-type]


# -- keys and tokens -----------------------------------------------------------------------------------------
def test_static_key_resolves_to_its_secret(store):
    assert store.resolve(AK) == SECRET
    assert store.resolve(AK, "") == SECRET


def test_unknown_key_and_token_with_permanent_key(store):
    assert kind_of(store.resolve, "LTAI5tNobody") == "unknown_key"
    assert kind_of(store.resolve, AK, "some-token") == "invalid_token"


def test_issued_sts_token_looks_like_alibabas(store, clock):
    """STS tokens are long base64 (with + / =) so every encoding path in the SDKs gets exercised."""
    sts = store.issue_sts_token(ttl_seconds=900)
    assert sts.access_key_id.startswith("STS.")
    assert len(sts.security_token) > 300
    assert {"+", "/", "="} <= set(sts.security_token)
    assert sts.expiration == pytest.approx(clock.now() + 900, abs=1)
    assert sts.access_key_secret not in repr(sts) and sts.security_token not in repr(sts)
    assert store.resolve(sts.access_key_id, sts.security_token) == sts.access_key_secret


def test_sts_token_checks(store, clock):
    sts = store.issue_sts_token(ttl_seconds=60)
    other = store.issue_sts_token()
    assert kind_of(store.resolve, sts.access_key_id, None) == "missing_token"
    assert kind_of(store.resolve, sts.access_key_id, other.security_token) == "invalid_token"
    clock.advance(59)
    assert store.resolve(sts.access_key_id, sts.security_token) == sts.access_key_secret
    clock.advance(1)
    assert kind_of(store.resolve, sts.access_key_id, sts.security_token) == "expired_token"


def test_sts_credential_can_be_shared_with_another_store(store, clock):
    sts = store.issue_sts_token()
    other = CredentialStore(clock)
    other.add_sts_credential(sts)
    assert other.resolve(sts.access_key_id, sts.security_token) == sts.access_key_secret


def test_revoke_and_reset_forget_keys(store):
    sts = store.issue_sts_token()
    store.revoke(AK)
    assert kind_of(store.resolve, AK) == "unknown_key"
    store.reset()
    assert kind_of(store.resolve, sts.access_key_id, sts.security_token) == "unknown_key"


def test_invalid_arguments_are_programming_errors(store):
    with pytest.raises(ValueError):
        store.add_access_key("", "x")
    with pytest.raises(ValueError):
        store.issue_sts_token(ttl_seconds=0)


# -- request time and nonces ---------------------------------------------------------------------------------
def test_request_time_window_is_15_minutes_both_ways(store, clock):
    now = clock.now()
    store.check_request_time(now - MAX_SKEW_SECONDS + 1, "Date")
    store.check_request_time(now + MAX_SKEW_SECONDS - 1, "Date")
    assert kind_of(store.check_request_time, now - MAX_SKEW_SECONDS - 5, "Date") == "stale_date"
    assert kind_of(store.check_request_time, now + MAX_SKEW_SECONDS + 5, "Date") == "stale_date"


def test_nonce_is_single_use_per_key_for_15_minutes(store, clock):
    store.use_nonce(AK, "n-1")
    assert kind_of(store.use_nonce, AK, "n-1") == "replayed_nonce"
    store.use_nonce("LTAI5tOther", "n-1")
    clock.advance(NONCE_TTL_SECONDS + 1)
    store.use_nonce(AK, "n-1")


def test_old_nonces_are_pruned(store, clock):
    for index in range(1000):
        store.use_nonce(AK, f"n-{index}")
    clock.advance(NONCE_TTL_SECONDS + 1)
    store.use_nonce(AK, "fresh")
    assert len(store._nonce_expiry) == 1  # memory stays bounded by the 15-minute window


def test_concurrent_replays_let_exactly_one_request_through(store):
    barrier = threading.Barrier(16)

    def attempt(_: int) -> bool:
        barrier.wait()
        try:
            store.use_nonce(AK, "shared")
        except AuthFailure:
            return False
        return True

    with ThreadPoolExecutor(16) as pool:
        assert sum(pool.map(attempt, range(16))) == 1


def test_reset_forgets_nonces(store):
    store.use_nonce(AK, "n")
    store.reset()
    store.use_nonce(AK, "n")


# -- wire helpers --------------------------------------------------------------------------------------------
def request(path: str = "/", query: str = "", headers: dict[str, str] | None = None, **environ: str) -> Request:
    built = EnvironBuilder(method="POST", path=path, query_string=query, headers=headers or {}).get_environ()
    built.update(environ)
    return Request(built)


@pytest.mark.parametrize(
    ("raw_uri", "expected"),
    [
        ("/bkt/a%2Fb?acl", "/bkt/a%2Fb?acl"),
        ("http://bkt.oss.test:80/a%20b?x=1", "/a%20b?x=1"),
        ("http://bkt.oss.test?x=1", "/?x=1"),
        ("http://bkt.oss.test", "/"),
    ],
)
def test_request_target_is_origin_form_as_sent(raw_uri, expected):
    """Proxied (absolute-form) targets are reduced to what the client signed: path and query, still encoded."""
    assert wire.request_target(request(RAW_URI=raw_uri)) == expected


def test_request_target_without_raw_uri_falls_back_to_path_and_query():
    """A WSGI server that does not expose the raw target still gives an encoded path plus the raw query."""
    bare = request("/a b", "x=1")
    del bare.environ["RAW_URI"], bare.environ["REQUEST_URI"]
    assert wire.request_target(bare) == "/a%20b?x=1"


def test_query_is_form_decoded_keeping_blanks():
    assert wire.parse_query(b"a=x+y%2Bz&b=&c&&d=%E4%B8%AD") == [("a", "x y+z"), ("b", ""), ("c", ""), ("d", "中")]


def test_invalid_utf8_query_is_malformed(store):
    headers = {
        "Authorization": "ACS3-HMAC-SHA256 Credential=LTAI5tUnitKey,SignedHeaders=host,Signature=00",
        "x-acs-date": "2026-01-01T00:00:00Z",
        "x-acs-signature-nonce": "n",
    }
    assert kind_of(verify_vod, request(query="a=%FF", headers=headers), store) == "malformed"


def test_content_md5_accepts_rfc1864_and_mns_hex_forms():
    import base64

    body = b"payload"
    raw = base64.b64encode(hashlib.md5(body).digest()).decode()
    hexed = base64.b64encode(hashlib.md5(body).hexdigest().encode()).decode()
    assert wire.content_md5_matches(raw, body) and wire.content_md5_matches(hexed, body)
    assert not wire.content_md5_matches(raw, b"other")


def self_signed_acs3(date: str, secret: str = SECRET) -> Request:
    """An ACS3 request signed with our own canonicalization, to reach the checks that follow the signature."""
    headers = {
        "Host": "vod.local",
        "x-acs-action": "CancelUrlUploadJobs",
        "x-acs-date": date,
        "x-acs-signature-nonce": "nonce-1",
        "x-acs-content-sha256": wire.sha256_hex(b""),
    }
    signed = sorted(name.lower() for name in headers)
    unsigned = request(query="JobIds=a", headers=headers)
    canonical = acs3.canonical_request(unsigned, signed, wire.sha256_hex(b""))
    signature = wire.hex_hmac_sha256(secret.encode(), f"{acs3.ALGORITHM}\n{wire.sha256_hex(canonical)}")
    headers["Authorization"] = (
        f"{acs3.ALGORITHM} Credential={AK},SignedHeaders={';'.join(signed)},Signature={signature}"
    )
    return request(query="JobIds=a", headers=headers)


def test_acs3_self_signed_request_verifies(store, clock):
    date = clock.utcnow().strftime(acs3.DATE_FORMAT)
    assert verify_vod(self_signed_acs3(date), store) == AK


def test_acs3_unparsable_date_is_malformed(store):
    assert kind_of(verify_vod, self_signed_acs3("Fri, 27 Nov 2026 20:48:45 GMT"), store) == "malformed"
