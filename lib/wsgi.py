"""FC 2.0 HTTP functions speak WSGI: the request becomes the HTTP envelope, the envelope's reply a WSGI response."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from lib.envelopes import HttpEnvelope
from lib.errors import BadRequestError
from lib.limits import MAX_REQUEST_BYTES
from lib.request import payload_too_large

__all__ = ["envelope_from_environ", "handle_wsgi"]


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    headers = {
        key[5:].replace("_", "-").title(): str(value) for key, value in environ.items() if key.startswith("HTTP_")
    }
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").title()] = str(environ[key])
    return headers


def envelope_from_environ(environ: dict[str, Any], request_id: str) -> HttpEnvelope:
    """The HTTP envelope of this WSGI request. A body over FC's payload limit is refused unread."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    problem: BadRequestError | None = None
    body = b""
    if length > MAX_REQUEST_BYTES:
        problem = payload_too_large(length, MAX_REQUEST_BYTES)
    elif length > 0:
        body = environ["wsgi.input"].read(length)
    return HttpEnvelope.from_request(
        method=str(environ.get("REQUEST_METHOD", "GET")),
        headers=_headers(environ),
        body=body,
        request_id=request_id,
        problem=problem,
    )


def handle_wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    from lib.invocation import request_id_of, run

    context = environ.get("fc.context")
    reply = run(envelope_from_environ(environ, request_id_of(context)), context)
    status = int(reply.get("statusCode", 200))
    body = reply.get("body", "")
    payload = base64.b64decode(body) if reply.get("isBase64Encoded") else str(body).encode("utf-8")
    headers = [(str(k), str(v)) for k, v in (reply.get("headers") or {}).items()]
    start_response(f"{status} {HTTPStatus(status).phrase}", headers)
    return [payload]
