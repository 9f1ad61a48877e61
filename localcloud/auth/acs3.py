"""ACS3-HMAC-SHA256: the V3 signature the current Alibaba Cloud OpenAPI SDKs (VOD included) use by default.

Canonicalization mirrors ``alibabacloud_tea_openapi.utils.get_authorization`` (see sdk_wire.md §1): the query is
form-decoded, sorted, and re-emitted as ``key=quote(value, safe='~')``; only the headers the client listed in
SignedHeaders are covered. The building blocks (:func:`parse_authorization`, :func:`require_signed`,
:func:`signature`) are shared by every gateway that checks V3 signatures; :func:`verify` applies the OpenAPI
gateway's rules (host and every ``x-acs-*`` header signed, date and nonce required, body hash checked).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Authorization:
    """The parts of an ``Authorization: ACS3-HMAC-SHA256 Credential=..,SignedHeaders=..,Signature=..`` header."""

    access_key_id: str
    signed_headers: list[str]
    signature: str


def canonical_query(raw: bytes) -> str:
    """Sorted ``key=quote(value, safe='~')`` pairs; keys are emitted decoded, exactly as the SDK does."""
    pairs = sorted(wire.parse_query(raw))
    return "&".join(f"{key}={quote(value, safe='~')}" for key, value in pairs)


def canonical_request(request: Request, signed_headers: list[str], hashed_payload: str, path: str | None = None) -> str:
    """The V3 canonical request; ``path`` replaces the path as sent where a gateway canonicalizes it."""
    if path is None:
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


def parse_authorization(request: Request) -> Authorization:
    """The request's ACS3 Authorization header; ``malformed`` when it is not one."""
    match = _AUTHORIZATION.match(wire.header(request, "Authorization").strip())
    if match is None:
        raise AuthFailure(
            "malformed",
            "Authorization must be 'ACS3-HMAC-SHA256 Credential=..,SignedHeaders=..,Signature=..'",
        )
    signed_headers = [name.lower() for name in match["headers"].split(";") if name]
    return Authorization(match["ak"], signed_headers, match["signature"].lower())


def require_signed(authorization: Authorization, must_sign: Iterable[str]) -> None:
    """``malformed`` unless every header named in ``must_sign`` is among the SignedHeaders."""
    unsigned = sorted(set(must_sign) - set(authorization.signed_headers))
    if unsigned:
        raise AuthFailure("malformed", f"headers must be in SignedHeaders: {', '.join(unsigned)}")


def payload_hash(request: Request) -> str:
    """The payload hash the canonical request ends with: the sent ``x-acs-content-sha256``, else the body's."""
    return wire.header(request, "x-acs-content-sha256") or wire.sha256_hex(wire.body(request))


def string_to_sign(request: Request) -> str:
    """``ACS3-HMAC-SHA256\n<hex sha256 of the canonical request>``, as the gateway computes it ('' when the
    Authorization header cannot be parsed)."""
    try:
        authorization = parse_authorization(request)
    except AuthFailure:
        return ""
    canonical = canonical_request(request, authorization.signed_headers, payload_hash(request))
    return f"{ALGORITHM}\n{wire.sha256_hex(canonical)}"


def signature(
    request: Request, secret: str, signed_headers: list[str], hashed_payload: str, path: str | None = None
) -> str:
    """The hex signature of ``request`` over ``signed_headers`` with ``hashed_payload`` as its last line."""
    canonical = canonical_request(request, signed_headers, hashed_payload, path)
    string_to_sign = f"{ALGORITHM}\n{wire.sha256_hex(canonical)}"
    return wire.hex_hmac_sha256(secret.encode("utf-8"), string_to_sign)


def check_signature(
    request: Request, authorization: Authorization, secret: str, hashed_payload: str, path: str | None = None
) -> None:
    """``bad_signature`` unless the sent signature is the one ``secret`` gives."""
    expected = signature(request, secret, authorization.signed_headers, hashed_payload, path)
    if not wire.signature_matches(authorization.signature, [expected]):
        raise AuthFailure("bad_signature", "the ACS3-HMAC-SHA256 signature does not match")


def check_content_sha256(request: Request) -> None:
    """``bad_signature`` when a sent ``x-acs-content-sha256`` is not the SHA-256 of the body."""
    sent = wire.header(request, "x-acs-content-sha256")
    if sent and sent.lower() != wire.sha256_hex(wire.body(request)):
        raise AuthFailure("bad_signature", "x-acs-content-sha256 does not match the request body")


def verify(request: Request, store: CredentialStore) -> str:
    """Verify an ``Authorization: ACS3-HMAC-SHA256 ...`` request and return its AccessKeyId.

    Raises AuthFailure: ``malformed`` (unparsable header, host/x-acs-* header left unsigned, bad x-acs-date),
    ``missing`` (no x-acs-date or x-acs-signature-nonce), the credential kinds of :meth:`CredentialStore.resolve`,
    ``bad_signature`` (signature or x-acs-content-sha256 mismatch), ``stale_date``, ``replayed_nonce``.
    """
    authorization = parse_authorization(request)
    date = wire.header(request, "x-acs-date")
    nonce = wire.header(request, "x-acs-signature-nonce")
    if not date:
        raise AuthFailure("missing", "header x-acs-date is required")
    if not nonce:
        raise AuthFailure("missing", "header x-acs-signature-nonce is required")
    require_signed(authorization, {"host"} | {name for name, _ in wire.headers_with_prefix(request, "x-acs-")})

    secret = store.resolve(authorization.access_key_id, wire.header(request, "x-acs-security-token"))
    check_signature(request, authorization, secret, payload_hash(request))
    check_content_sha256(request)

    store.check_request_time(wire.parse_iso8601(date, "x-acs-date", DATE_FORMAT), "x-acs-date")
    store.use_nonce(authorization.access_key_id, nonce)
    return authorization.access_key_id
