"""FC 2.0 API: ``Authorization: FC <ak>:<base64 HMAC-SHA256>`` (``fc2/auth.py``, FC signature doc).

CanonicalizedResource is the percent-decoded path for invocations; ``do_http_request`` and the list APIs append
``\\n`` plus sorted ``k=v`` lines of the decoded query parameters. Both forms are accepted. The body is not signed;
a Content-MD5, if sent, is checked against it. The STS token travels in ``x-fc-security-token`` (signed).
"""

from __future__ import annotations

import hashlib

from werkzeug.wrappers import Request

from localcloud.auth import wire
from localcloud.auth.credentials import CredentialStore
from localcloud.auth.errors import AuthFailure


def canonical_resources(request: Request) -> list[str]:
    """[path only, path + sorted query lines], both percent-decoded (``+`` in the query is a space)."""
    path, _ = wire.raw_target(request)
    decoded_path = wire.unquote_path(path)
    params = sorted(f"{k}={v}" for k, v in wire.parse_query(wire.raw_query(request)))
    return [decoded_path, decoded_path + "\n" + "\n".join(params)]


def string_to_sign(request: Request, resource: str) -> str:
    fc_headers = "".join(f"{k}:{v}\n" for k, v in wire.headers_with_prefix(request, "x-fc-"))
    return (
        f"{request.method.upper()}\n{wire.header(request, 'Content-MD5')}\n{wire.header(request, 'Content-Type')}\n"
        f"{wire.header(request, 'Date')}\n{fc_headers}{resource}"
    )


def verify_fc(request: Request, store: CredentialStore) -> str:
    """Verify an FC API request and return its AccessKeyId.

    Raises AuthFailure: ``missing`` (no Authorization or Date), ``malformed`` (bad Authorization or Date), the
    credential kinds of :meth:`CredentialStore.resolve`, ``bad_signature`` (signature mismatch, or Content-MD5 not
    matching the body), ``stale_date``. FC has no nonce: replays within the skew window pass.
    """
    authorization = wire.header(request, "Authorization").strip()
    if not authorization:
        raise AuthFailure("missing", "the Authorization header is required")
    access_key_id, signature = wire.split_colon_credential(authorization, "FC")
    date = wire.header(request, "Date")
    if not date:
        raise AuthFailure("missing", "the Date header is required")

    secret = store.resolve(access_key_id, wire.header(request, "x-fc-security-token"))
    candidates = [
        wire.b64_hmac(secret, string_to_sign(request, resource), hashlib.sha256)
        for resource in canonical_resources(request)
    ]
    if not wire.signature_matches(signature, candidates):
        raise AuthFailure("bad_signature", "the FC request signature does not match")
    content_md5 = wire.header(request, "Content-MD5")
    if content_md5 and not wire.content_md5_matches(content_md5, wire.body(request)):
        raise AuthFailure("bad_signature", "Content-MD5 does not match the request body")

    store.check_request_time(wire.parse_http_date(date, "Date"), "Date")
    return access_key_id
