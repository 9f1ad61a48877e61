"""FC 2.0 HTTP functions speak WSGI: turn the environ into the FC 3.0 HTTP event and the reply back into WSGI."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

MAX_BODY_BYTES = 6 * 1024 * 1024


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    headers = {
        key[5:].replace("_", "-").title(): str(value) for key, value in environ.items() if key.startswith("HTTP_")
    }
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").title()] = str(environ[key])
    return headers


def event_from_environ(environ: dict[str, Any], request_id: str) -> bytes:
    """The FC 3.0 HTTP trigger event for this WSGI request (body always base64, so any bytes survive)."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(min(length, MAX_BODY_BYTES + 1)) if length > 0 else b""
    path = environ.get("PATH_INFO", "/") or "/"
    query: dict[str, str] = {}
    for pair in filter(None, str(environ.get("QUERY_STRING", "")).split("&")):
        name, _, value = pair.partition("=")
        query[name] = f"{query[name]},{value}" if name in query else value
    event = {
        "version": "v1",
        "rawPath": environ.get("fc.request_uri", path).split("?", 1)[0],
        "headers": _headers(environ),
        "queryParameters": query,
        "body": base64.b64encode(body).decode("ascii"),
        "isBase64Encoded": True,
        "requestContext": {
            "requestId": request_id,
            "http": {"method": environ.get("REQUEST_METHOD", "GET"), "path": path},
            "timeEpoch": str(int(time.time() * 1000)),
        },
    }
    return json.dumps(event).encode("utf-8")


def handle_wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    from lib.invocation import handle

    context = environ.get("fc.context")
    request_id = str(getattr(context, "request_id", "") or "")
    reply = handle(event_from_environ(environ, request_id), context)
    status = int(reply.get("statusCode", 200))
    body = reply.get("body", "")
    payload = base64.b64decode(body) if reply.get("isBase64Encoded") else str(body).encode("utf-8")
    headers = [(str(k), str(v)) for k, v in (reply.get("headers") or {}).items()]
    start_response(f"{status} {HTTPStatus(status).phrase}", headers)
    return [payload]
