"""Legacy RPC signature (HMAC-SHA1 ``Signature=`` in the query), the VOD SDK's ``signature_algorithm='v2'``.

Signed parameters are the query plus a form-encoded body, mirroring ``Utils.get_rpcsignature``:
``StringToSign = METHOD&%2F&pct(sorted pct(k)=pct(v) joined by &)`` with ``pct = quote(s, safe='~')``, keyed by
``secret + '&'``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from urllib.parse import quote

from werkzeug.wrappers import Request

from localcloud.auth import wire
from localcloud.auth.credentials import CredentialStore
from localcloud.auth.errors import AuthFailure

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_REQUIRED = ("AccessKeyId", "Signature", "SignatureMethod", "SignatureNonce", "Timestamp")


def signed_parameters(request: Request) -> list[tuple[str, str]]:
    """Query parameters plus form-body parameters, as the client fed them to the signer."""
    pairs = wire.parse_query(wire.raw_query(request))
    if request.mimetype == "application/x-www-form-urlencoded":
        pairs += wire.parse_query(wire.body(request))
    return pairs


def has_signature(request: Request) -> bool:
    """True if the request looks like an RPC-signed call (a ``Signature`` parameter is present)."""
    return any(name == "Signature" for name, _ in signed_parameters(request))


def missing_parameters(params: Mapping[str, str]) -> list[str]:
    """The required signature parameters that are absent or empty, in the order the gateway checks them."""
    return [name for name in _REQUIRED if not params.get(name)]


def string_to_sign(method: str, pairs: list[tuple[str, str]]) -> str:
    def pct(text: str) -> str:
        return quote(text, safe="~")

    query = "&".join(f"{pct(k)}={pct(v)}" for k, v in sorted(pairs) if k != "Signature")
    return f"{method.upper()}&%2F&{pct(query)}"


def verify(request: Request, store: CredentialStore) -> str:
    """Verify an RPC HMAC-SHA1 query signature and return the AccessKeyId.

    Raises AuthFailure: ``missing`` (a required parameter absent), ``malformed`` (duplicate parameters,
    unsupported SignatureMethod/SignatureVersion, bad Timestamp; the method's case does not matter), the
    credential kinds of :meth:`CredentialStore.resolve`, ``bad_signature``, ``stale_date``, ``replayed_nonce``.
    """
    pairs = signed_parameters(request)
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params:
            raise AuthFailure("malformed", f"parameter {name} is given more than once")
        params[name] = value
    absent = missing_parameters(params)
    if absent:
        raise AuthFailure("missing", f"required parameters missing: {', '.join(absent)}")
    if params["SignatureMethod"].upper() != "HMAC-SHA1":  # the docs' own example spells it Hmac-SHA1
        raise AuthFailure("malformed", f"SignatureMethod {params['SignatureMethod']!r} is not supported")
    if params.get("SignatureVersion", "1.0") != "1.0":
        raise AuthFailure("malformed", f"SignatureVersion {params['SignatureVersion']!r} is not supported")

    access_key_id = params["AccessKeyId"]
    secret = store.resolve(access_key_id, params.get("SecurityToken"))
    expected = wire.b64_hmac(secret + "&", string_to_sign(request.method, pairs), hashlib.sha1)
    if not wire.signature_matches(params["Signature"], [expected]):
        raise AuthFailure("bad_signature", "the HMAC-SHA1 request signature does not match")

    store.check_request_time(wire.parse_iso8601(params["Timestamp"], "Timestamp", TIMESTAMP_FORMAT), "Timestamp")
    store.use_nonce(access_key_id, params["SignatureNonce"])
    return access_key_id
