"""The HTTP trigger's front door: which host names it answers to, and who may call it.

A deployed trigger lives at ``https://<function>-<suffix>.<region>.fcapp.run``; the local one listens on its own
loopback port and also answers to a ``Host`` of that shape (:func:`trigger_domain`), so a client configured with a
real-looking name (``curl --resolve``, a proxy) reaches it. Authentication is FC 3.0's ACS3 check
(:func:`localcloud.auth.verify_http_trigger`), except on FC 2.0's ``/2016-08-15/proxy/...`` path, which keeps the
2016-08-15 API's ``FC <ak>:<sig>`` scheme (``aliyun-fc2``'s ``do_http_request``).
"""

from __future__ import annotations

import hashlib
import string

from werkzeug.wrappers import Request

from localcloud.auth import AuthFailure, CredentialStore, acs3, verify_http_trigger
from localcloud.core.errors import ServiceError
from localcloud.fc import errors

TRIGGER_DOMAIN_SUFFIX = ".fcapp.run"


class DomainNameNotFound(ServiceError):
    """FC's error for a domain it does not serve (documented for custom domains)."""

    code, status = "DomainNameNotFound", 404


def trigger_domain(account_id: str, region: str, function_name: str) -> str:
    """``<function>-<10 letters>.<region>.fcapp.run``; the letters are stable for an account and function."""
    digest = hashlib.sha256(f"{account_id}/{region}/{function_name}".encode()).digest()
    letters = "".join(string.ascii_lowercase[byte % 26] for byte in digest[:10])
    return f"{function_name}-{letters}.{region}{TRIGGER_DOMAIN_SUFFIX}"


def check_host(request: Request, *, account_id: str, region: str, function_name: str) -> None:
    """A ``*.fcapp.run`` Host must be this function's trigger domain (FC: 404 ``DomainNameNotFound``, status
    undocumented for triggers); any other Host (the loopback address) is the local trigger itself."""
    host = (request.host or "").split(":", 1)[0].lower()
    if host.endswith(TRIGGER_DOMAIN_SUFFIX) and host != trigger_domain(account_id, region, function_name):
        raise DomainNameNotFound(f"domain name '{host}' does not exist")


def authenticate(request: Request, credentials: CredentialStore) -> str:
    """FC 3.0's signature check; its failures answered as FC's gateway does (403, the doc's messages)."""
    try:
        return verify_http_trigger(request, credentials)
    except AuthFailure as failure:
        raise _trigger_error(failure, request) from None


def _trigger_error(failure: AuthFailure, request: Request) -> ServiceError:
    """Status 403 for every failure (FC: unsigned or wrongly signed requests get 403). The messages of a missing
    date, a stale date and a wrong signature are the doc's; the codes of the first two are not documented."""
    if failure.kind == "missing":
        return errors.AccessDenied(failure.detail)
    if failure.kind == "stale_date":
        return errors.RequestTimeTooSkewed(failure.detail)
    if failure.kind == "unknown_key":
        access_key_id = acs3.parse_authorization(request).access_key_id
        return errors.InvalidAccessKeyID(f"invalid access key ID '{access_key_id}'")
    if failure.kind in ("expired_token", "invalid_token", "missing_token"):
        return errors.InvalidSecurityToken(f"invalid security token ({failure.detail})")
    if failure.kind == "bad_signature":
        return errors.SignatureNotMatch()
    return errors.SignatureNotMatch(f"{errors.SignatureNotMatch.message} ({failure.detail})")
