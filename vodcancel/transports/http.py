"""``--via http``: a POST to the HTTP trigger, signed as FC 3.0 requires (:mod:`vodcancel.signing`). The reply
is the whole results document (or the 400 rejection); the function keys it ``http:<Idempotency-Key>``."""

from __future__ import annotations

import uuid
from typing import Any

from vodcancel.errors import CliError
from vodcancel.signing import trigger_headers
from vodcancel.transports import Submission


def _content_type(payload: bytes) -> str:
    """The function reads JSON when the body starts with ``{`` or ``[``, text otherwise; say which it is."""
    start = payload.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return "application/json" if start in (b"{", b"[") else "text/plain; charset=utf-8"


def _rejection(status: int, body: Any, dedupe_key: str) -> dict[str, Any]:
    """A 400 reply as a rejection document; today's ``{"error": {"code", "message"}}`` and the results
    documents' ``{"Error": {"Code", "Message"}}`` are both understood."""
    error = body.get("Error") or body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        error = {"Code": f"HTTP{status}", "Message": str(body)[:300]}
    return {
        "DedupeKey": dedupe_key,
        "Source": "http",
        "Error": {
            "Code": error.get("Code") or error.get("code"),
            "Message": error.get("Message") or error.get("message"),
        },
    }


def submit(target: Any, payload: bytes, source_name: str, idempotency_key: str | None = None, **_: Any) -> Submission:
    import requests

    url = target.require("http")
    key = idempotency_key or f"vodcancel-{uuid.uuid4().hex}"
    headers = trigger_headers(
        "POST", url, target.credential, {"Content-Type": _content_type(payload), "Idempotency-Key": key}
    )
    try:
        reply = requests.post(url, data=payload, headers=headers, timeout=(10, 900))
    except requests.RequestException as exc:
        raise CliError(
            f"cannot reach the HTTP trigger at {url} ({type(exc).__name__})", "check --trigger-url"
        ) from None
    try:
        body = reply.json()
    except ValueError:
        body = reply.text
    dedupe_key = f"http:{key}"
    request_id = reply.headers.get("x-fc-request-id", "")
    if reply.status_code == 200 and isinstance(body, dict):
        return Submission("http", str(body.get("DedupeKey") or dedupe_key), url, request_id, body)
    if reply.status_code == 400:
        return Submission("http", dedupe_key, url, request_id, _rejection(400, body, dedupe_key))
    detail = f"{body.get('ErrorCode')}: {body.get('ErrorMessage')}" if isinstance(body, dict) else str(body)[:200]
    hint = {
        403: "check your credentials and your clock (FC refuses signatures more than 15 minutes off)",
        404: "check --trigger-url",
    }.get(reply.status_code, "see the function's logs")
    raise CliError(f"the HTTP trigger answered {reply.status_code} ({' '.join(detail.split())})", hint)
