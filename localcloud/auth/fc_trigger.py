"""FC 3.0 HTTP triggers with signature authentication: the Alibaba Cloud V3 signature (ACS3-HMAC-SHA256).

What the gateway checks, from FC's "Configure signature authentication for HTTP triggers": the request carries
``Authorization: ACS3-HMAC-SHA256 ...`` built by ``alibabacloud-openapi-util``'s ``get_authorization`` over the
method, the path, the query, the headers the caller signed (the doc's samples sign ``x-acs-date`` and
``x-acs-security-token``, not ``host``) and an empty payload hash; the time must be within 15 minutes. The doc's
FAQ quotes the gateway's messages, which :data:`MISSING_DATE` and :func:`too_skewed` reproduce.

Beyond the samples (the doc is silent, so the V3 signature doc's rules apply): every ``x-acs-*`` header sent must
be signed, a ``x-acs-content-sha256`` that is sent is the payload hash and must match the body, a ``Date`` header
stands in for a missing ``x-acs-date`` (then it must be signed), ``x-acs-signature-nonce`` is not required (the
samples send none) nor checked for replay, and a ``$`` in the path is signed as ``%24`` (as the samples do).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from email.utils import formatdate

from werkzeug.wrappers import Request

from localcloud.auth import acs3, wire
from localcloud.auth.credentials import MAX_SKEW_SECONDS, CredentialStore
from localcloud.auth.errors import AuthFailure

MISSING_DATE = "required HTTP header Date was not specified"
MISSING_AUTHORIZATION = "required HTTP header Authorization was not specified"
_ISO_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.\d{1,9})?Z$")


def parse_acs_date(value: str) -> float:
    """Epoch seconds of an ``x-acs-date``: ISO 8601 UTC, with or without fractional seconds.

    The doc's Python and Go samples send ``2024-01-04T01:33:13Z``; its Node.js and Java samples send milliseconds
    or nanoseconds (``toISOString()``, ``Instant.toString()``).
    """
    match = _ISO_DATE.match(value.strip())
    if match is None:
        raise AuthFailure("malformed", f"x-acs-date {value!r} is not an ISO 8601 UTC time (2024-01-04T01:33:13Z)")
    return datetime.strptime(match[1], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc).timestamp()


def too_skewed(request_time: float, now: float) -> str:
    """The gateway's message for a request time more than 15 minutes away (the doc's FAQ)."""
    return (
        f"the difference between the request time '{formatdate(request_time, usegmt=True)}' and the current time "
        f"'{formatdate(now, usegmt=True)}' is too large"
    )


def _request_time(request: Request) -> tuple[float, str]:
    """(epoch seconds, the header that carried it); ``missing`` when neither x-acs-date nor Date is there."""
    acs_date = wire.header(request, "x-acs-date")
    if acs_date:
        return parse_acs_date(acs_date), "x-acs-date"
    date = wire.header(request, "Date")
    if date:
        return wire.parse_http_date(date, "Date"), "date"
    raise AuthFailure("missing", MISSING_DATE)


def verify_http_trigger(request: Request, store: CredentialStore) -> str:
    """Authenticate a request to an HTTP trigger with ``authType: function``; return its AccessKeyId.

    Raises AuthFailure: ``missing`` (no date, no Authorization: the detail is the gateway's message),
    ``malformed`` (not an ACS3 Authorization, a date or ``x-acs-*`` header left unsigned, an unreadable date),
    ``stale_date``, the credential kinds of :meth:`CredentialStore.resolve`, ``bad_signature``.
    """
    request_time, date_header = _request_time(request)
    if not wire.header(request, "Authorization").strip():
        raise AuthFailure("missing", MISSING_AUTHORIZATION)
    authorization = acs3.parse_authorization(request)
    acs_headers = {name for name, _ in wire.headers_with_prefix(request, "x-acs-")}
    acs3.require_signed(authorization, acs_headers | {date_header})
    if abs(request_time - store.now()) > MAX_SKEW_SECONDS:
        raise AuthFailure("stale_date", too_skewed(request_time, store.now()))

    secret = store.resolve(authorization.access_key_id, wire.header(request, "x-acs-security-token"))
    path = wire.raw_target(request)[0].replace("$", "%24")  # the doc's samples sign a "$" in the path as %24
    acs3.check_signature(request, authorization, secret, wire.header(request, "x-acs-content-sha256"), path)
    acs3.check_content_sha256(request)
    return authorization.access_key_id
