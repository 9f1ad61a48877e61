"""Signing a request to an FC 3.0 HTTP trigger with signature authentication (``authType: function``).

FC's "Configure signature authentication for HTTP triggers" has callers build the Alibaba Cloud V3 signature
(ACS3-HMAC-SHA256) with ``alibabacloud-openapi-util``'s ``get_authorization`` over the method, path, query and the
``x-acs-*`` headers, with an empty payload hash, and send the request with any HTTP client. The headers given here
are signed too, so none of them can be changed on the way. The path is signed as ``requests`` sends it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from urllib.parse import parse_qsl, urlsplit

from vodcancel.credentials import Credential


def trigger_headers(
    method: str, url: str, credential: Credential, headers: Mapping[str, str] | None = None
) -> dict[str, str]:
    """``headers`` plus ``x-acs-date``, ``x-acs-security-token`` (STS only) and the ``authorization`` to send."""
    from alibabacloud_openapi_util.client import Client as util
    from requests.utils import requote_uri
    from Tea.request import TeaRequest

    parts = urlsplit(url)
    signed = {name.lower(): value for name, value in (headers or {}).items()}
    signed["x-acs-date"] = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if credential.security_token:
        signed["x-acs-security-token"] = credential.security_token
    request = TeaRequest()
    request.method = method.upper()
    request.pathname = requote_uri(parts.path or "/").replace("$", "%24")  # the path as requests sends it
    request.headers = signed
    request.query = dict(parse_qsl(parts.query, keep_blank_values=True))
    authorization = util.get_authorization(
        request, "ACS3-HMAC-SHA256", "", credential.access_key_id, credential.access_key_secret
    )
    return {**signed, "authorization": authorization}
