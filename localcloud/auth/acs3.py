"""ACS3-HMAC-SHA256: the V3 signature the current Alibaba Cloud OpenAPI SDKs (VOD included) use by default.

Canonicalization mirrors ``alibabacloud_tea_openapi.utils.get_authorization`` (see sdk_wire.md §1): the query is
form-decoded, sorted, and re-emitted as ``key=quote(value, safe='~')``; only the headers the client listed in
SignedHeaders are covered, so we insist that ``host`` and every ``x-acs-*`` header are among them.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from werkzeug.wrappers import Request

from localcloud.auth import wire
from localcloud.auth.credentials import CredentialStore
from localcloud.auth.errors import AuthFailure

ALGORITHM = "ACS3-HMAC-SHA256"
DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

_AUTHORIZATION = re.compile(
    r"^ACS3-HMAC-SHA256\s+Credential=(?P<ak>[^,\s]+)\s*,\s*SignedHeaders=(?P<headers>[^,\s]*)\s*,"
    r"\s*Signature=(?P<signature>[0-9a-fA-F]+)\s*$"
)


def canonical_query(raw: bytes) -> str:
    """Sorted ``key=quote(value, safe='~')`` pairs; keys are emitted decoded, exactly as the SDK does."""
    pairs = sorted(wire.parse_query(raw))
    return "&".join(f"{key}={quote(value, safe='~')}" for key, value in pairs)


def canonical_request(request: Request, signed_headers: list[str], hashed_payload: str) -> str:
    path, _ = wire.raw_target(request)
    canonical_headers = "".join(f"{name}:{wire.header(request, name).strip()}\n" for name in signed_headers)
    return "\n".join(
        [
            request.method.upper(),
            path,
            canonical_query(wire.raw_query(request)),
            canonical_headers,
            ";".join(signed_headers),
            hashed_payload,
        ]
    )


def _signed_headers(match: re.Match[str]) -> list[str]:
    return [name.lower() for name in match["headers"].split(";") if name]


def _hashed_payload(request: Request) -> str:
    return wire.header(request, "x-acs-content-sha256") or wire.sha256_hex(wire.body(request))


def string_to_sign(request: Request) -> str:
    """``ACS3-HMAC-SHA256\n<hex sha256 of the canonical request>``, as the gateway computes it ('' when the
    Authorization header cannot be parsed)."""
    match = _AUTHORIZATION.match(wire.header(request, "Authorization").strip())
    if match is None:
        return ""
    canonical = canonical_request(request, _signed_headers(match), _hashed_payload(request))
    return f"{ALGORITHM}\n{wire.sha256_hex(canonical)}"


def verify(request: Request, store: CredentialStore) -> str:
    """Verify an ``Authorization: ACS3-HMAC-SHA256 ...`` request and return its AccessKeyId.

    Raises AuthFailure: ``malformed`` (unparsable header, host/x-acs-* header left unsigned, bad x-acs-date),
    ``missing`` (no x-acs-date or x-acs-signature-nonce), the credential kinds of :meth:`CredentialStore.resolve`,
    ``bad_signature`` (signature or x-acs-content-sha256 mismatch), ``stale_date``, ``replayed_nonce``.
    """
    match = _AUTHORIZATION.match(wire.header(request, "Authorization").strip())
    if match is None:
        raise AuthFailure(
            "malformed",
            "Authorization must be 'ACS3-HMAC-SHA256 Credential=..,SignedHeaders=..,Signature=..'",
        )
    access_key_id = match["ak"]
    signed_headers = _signed_headers(match)
    date = wire.header(request, "x-acs-date")
    nonce = wire.header(request, "x-acs-signature-nonce")
    if not date:
        raise AuthFailure("missing", "header x-acs-date is required")
    if not nonce:
        raise AuthFailure("missing", "header x-acs-signature-nonce is required")
    must_sign = {"host"} | {name for name, _ in wire.headers_with_prefix(request, "x-acs-")}
    unsigned = sorted(must_sign - set(signed_headers))
    if unsigned:
        raise AuthFailure("malformed", f"headers must be in SignedHeaders: {', '.join(unsigned)}")

    secret = store.resolve(access_key_id, wire.header(request, "x-acs-security-token"))

    expected = wire.hex_hmac_sha256(secret.encode("utf-8"), string_to_sign(request))
    if not wire.signature_matches(match["signature"].lower(), [expected]):
        raise AuthFailure("bad_signature", "the ACS3-HMAC-SHA256 signature does not match")
    if _hashed_payload(request).lower() != wire.sha256_hex(wire.body(request)):
        raise AuthFailure("bad_signature", "x-acs-content-sha256 does not match the request body")

    store.check_request_time(wire.parse_iso8601(date, "x-acs-date", DATE_FORMAT), "x-acs-date")
    store.use_nonce(access_key_id, nonce)
    return access_key_id
