"""VOD (and any RPC-style OpenAPI product): ACS3 header signatures, or the legacy RPC query signature."""

from __future__ import annotations

from werkzeug.wrappers import Request

from localcloud.auth import acs3, rpc, wire
from localcloud.auth.credentials import CredentialStore
from localcloud.auth.errors import AuthFailure

MASK = "***"


def verify_vod(request: Request, store: CredentialStore) -> str:
    """Authenticate an OpenAPI request the way the VOD gateway does; return the AccessKeyId.

    ``Authorization: ACS3-HMAC-SHA256 ...`` selects V3 (:func:`acs3.verify`); otherwise a ``Signature`` query
    parameter selects the legacy RPC signature (:func:`rpc.verify`). Neither → ``missing``; another
    Authorization scheme → ``malformed``.
    """
    authorization = wire.header(request, "Authorization").strip()
    if authorization.startswith("ACS3-"):
        return acs3.verify(request, store)
    if authorization:
        raise AuthFailure("malformed", "unsupported Authorization scheme (expected ACS3-HMAC-SHA256)")
    if rpc.has_signature(request):
        return rpc.verify(request, store)
    raise AuthFailure("missing", "the request is not signed (no Authorization header, no Signature parameter)")


def server_string_to_sign(request: Request) -> str:
    """The string the gateway signed, as its ``SignatureDoesNotMatch`` message shows it to the caller.

    The value of ``SecurityToken`` is masked: the real gateway echoes it, and clients log that message
    (aliyun-python-sdk-core logs every ServerException), so an echoed token would land in their logs.
    """
    if wire.header(request, "Authorization").strip().startswith("ACS3-"):
        return acs3.string_to_sign(request)
    pairs = [(name, MASK if name == "SecurityToken" else value) for name, value in rpc.signed_parameters(request)]
    return rpc.string_to_sign(request.method, pairs)


def missing_parameter(request: Request) -> str:
    """The first signature parameter (V3: header) the request lacks, which the gateway's message names."""
    if wire.header(request, "Authorization").strip() or "x-acs-action" in request.headers:
        for name in ("Authorization", "x-acs-date", "x-acs-signature-nonce"):
            if not wire.header(request, name):
                return name
        return "Authorization"
    absent = rpc.missing_parameters(dict(rpc.signed_parameters(request)))
    return absent[0] if absent else "Signature"
