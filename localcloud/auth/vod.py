"""VOD (and any RPC-style OpenAPI product): ACS3 header signatures, or the legacy RPC query signature."""

from __future__ import annotations

from werkzeug.wrappers import Request

from localcloud.auth import acs3, rpc, wire
from localcloud.auth.credentials import CredentialStore
from localcloud.auth.errors import AuthFailure


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
