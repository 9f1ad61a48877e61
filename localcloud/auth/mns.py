"""MNS: ``Authorization: MNS <ak>:<base64 HMAC-SHA1>`` (doc 27487, ``mns_client.get_signature``).

The request URI is signed as sent (path and query, still encoded). The body is covered only through
Content-MD5, so we check that digest ourselves. The STS token travels in ``security-token`` and is NOT signed
(the SDK adds it after signing).
"""

from __future__ import annotations

import hashlib

from werkzeug.wrappers import Request

from localcloud.auth import wire
from localcloud.auth.credentials import CredentialStore
from localcloud.auth.errors import AuthFailure


def string_to_sign(
    method: str, content_md5: str, content_type: str, date: str, mns_headers: list[tuple[str, str]], uri: str
) -> str:
    """METHOD, Content-MD5, Content-Type, Date, sorted ``x-mns-*:value`` lines, then the request URI."""
    canonical_headers = "".join(f"{name}:{value}\n" for name, value in mns_headers)
    return f"{method.upper()}\n{content_md5}\n{content_type}\n{date}\n{canonical_headers}{uri}"


def sign(secret: str, text: str) -> str:
    return wire.b64_hmac(secret, text, hashlib.sha1)


def verify_mns(request: Request, store: CredentialStore) -> str:
    """Verify an MNS request and return its AccessKeyId.

    Raises AuthFailure: ``missing`` (no Authorization, no Date/x-mns-date), ``malformed`` (bad Authorization
    or date), the credential kinds of :meth:`CredentialStore.resolve`, ``bad_signature`` (signature mismatch, or
    Content-MD5 not matching the body), ``stale_date``. MNS has no nonce, so replays within the skew window pass,
    as on the real service.
    """
    authorization = wire.header(request, "Authorization").strip()
    if not authorization:
        raise AuthFailure("missing", "the Authorization header is required")
    access_key_id, signature = wire.split_colon_credential(authorization, "MNS")
    date = wire.header(request, "Date")
    request_date = date or wire.header(request, "x-mns-date")
    if not request_date:
        raise AuthFailure("missing", "a Date (or x-mns-date) header is required")

    secret = store.resolve(access_key_id, wire.header(request, "security-token"))

    content_md5 = wire.header(request, "Content-MD5")
    text = string_to_sign(
        request.method,
        content_md5,
        wire.header(request, "Content-Type"),
        date,
        wire.headers_with_prefix(request, "x-mns-"),
        wire.request_target(request),
    )
    if not wire.signature_matches(signature, [sign(secret, text)]):
        raise AuthFailure("bad_signature", "the MNS request signature does not match")
    if content_md5 and not wire.content_md5_matches(content_md5, wire.body(request)):
        raise AuthFailure("bad_signature", "Content-MD5 does not match the request body")

    store.check_request_time(wire.parse_http_date(request_date, "Date"), "Date")
    return access_key_id
