"""FC's wire formats: API error bodies, invocation responses, JSON documents, the FC 3.0 HTTP-trigger event and
its reply.

Pure translation between werkzeug requests/responses and :class:`InvocationRecord`; no state.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote

from werkzeug.wrappers import Request, Response

from localcloud.core.errors import ServiceError
from localcloud.fc.records import InvocationRecord

FUNCTION_ERROR = "UnhandledInvocationError"
LOG_TAIL_BYTES = 4096
_BINARY_TYPES = ("image/", "audio/", "video/", "font/")
_BINARY_SUBTYPES = (
    "application/zip",
    "application/gzip",
    "application/x-gzip",
    "application/x-tar",
    "application/pdf",
    "application/x-protobuf",
    "application/protobuf",
    "application/grpc",
    "application/vnd.",
)


def error_response(error: ServiceError, request_id: str, *, error_type: str | None = None) -> Response:
    """``{"ErrorCode", "ErrorMessage"}`` with FC's request-id header (the shape aliyun-fc2 parses)."""
    headers = {"x-fc-request-id": request_id}
    if error_type:  # the HTTP trigger marks its own request errors (FC: "FcCommonError")
        headers["x-fc-error-type"] = error_type
    body = json.dumps({"ErrorCode": error.code, "ErrorMessage": error.message})
    return Response(body, status=error.status, headers=headers, content_type="application/json")


def api_error_response(error: ServiceError, request_id: str) -> Response:
    """The 2023-03-30 API's error: ``{"Code", "Message", "RequestId"}`` (its ``Error`` structure)."""
    body = json.dumps({"Code": error.code, "Message": error.message, "RequestId": request_id})
    return Response(body, status=error.status, headers={"x-fc-request-id": request_id}, content_type="application/json")


def json_response(document: dict[str, Any], request_id: str) -> Response:
    """A 2023-03-30 API read: 200 with the document as JSON."""
    body = json.dumps(document, ensure_ascii=False)
    return Response(body, status=200, headers={"x-fc-request-id": request_id}, content_type="application/json")


def _invocation_headers(record: InvocationRecord) -> dict[str, str]:
    return {
        "x-fc-request-id": record.request_id,
        "x-fc-invocation-duration": str(max(1, round(record.duration_ms))),
        "x-fc-max-memory-usage": f"{record.max_memory_mb or 0:.2f}",
        "x-fc-invocation-service-version": "LATEST",
    }


def invoke_response(record: InvocationRecord, *, log_tail: bool = False) -> Response:
    """Sync InvokeFunction: 200 with the result bytes, or 200 + ``x-fc-error-type`` and FC's error JSON."""
    headers = _invocation_headers(record)
    if log_tail:
        tail = record.logs.encode("utf-8")[-LOG_TAIL_BYTES:]
        headers["x-fc-log-result"] = base64.b64encode(tail).decode("ascii")
    if record.status != "succeeded":
        headers["x-fc-error-type"] = FUNCTION_ERROR
        return Response(json.dumps(record.error), status=200, headers=headers, content_type="application/json")
    return Response(record.result, status=200, headers=headers, content_type="application/octet-stream")


def accepted_response(request_id: str) -> Response:
    """Async InvokeFunction: 202, empty body."""
    return Response(b"", status=202, headers={"x-fc-request-id": request_id})


# -- HTTP trigger --------------------------------------------------------------------------------------------
def _is_binary(content_type: str, body: bytes) -> bool:
    """Base64 if the body is not UTF-8 or its media type is binary; octet-stream text stays text (fc3 sample)."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media.startswith(_BINARY_TYPES) or media.startswith(_BINARY_SUBTYPES):
        return True
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _joined(items: Any) -> dict[str, str]:
    """Multi-valued names become one comma-joined value, as FC's event shows them."""
    joined: dict[str, str] = {}
    for key, value in items:
        joined[key] = f"{joined[key]},{value}" if key in joined else value
    return joined


def http_event(
    request: Request,
    *,
    raw_path: str,
    body: bytes,
    request_id: str,
    account_id: str,
    now: float,
) -> bytes:
    """The FC 3.0 HTTP-trigger event (version v1) for one request, as the bytes the handler receives."""
    host = request.host or ""
    binary = _is_binary(request.headers.get("Content-Type", ""), body)
    moment = datetime.fromtimestamp(now, tz=timezone.utc)
    event = {
        "version": "v1",
        "rawPath": raw_path,
        "headers": _joined(request.headers.items()),
        "queryParameters": _joined(request.args.items(multi=True)),
        "body": base64.b64encode(body).decode("ascii") if binary else body.decode("utf-8"),
        "isBase64Encoded": binary,
        "requestContext": {
            "accountId": account_id,
            "domainName": host,
            "domainPrefix": host.split(":", 1)[0].split(".", 1)[0],
            "http": {
                "method": request.method,
                "path": unquote(raw_path),
                "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
                "sourceIp": request.remote_addr or "",
                "userAgent": request.headers.get("User-Agent", ""),
            },
            "requestId": request_id,
            "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "timeEpoch": str(int(now * 1000)),
        },
    }
    return json.dumps(event, ensure_ascii=False).encode("utf-8")


def http_trigger_response(record: InvocationRecord) -> Response:
    """Map the handler's ``{statusCode, headers, body, isBase64Encoded}``; any other result is a 200 body.

    A function error is FC's 502 with ``x-fc-error-type: UnhandledInvocationError``.
    """
    base = {"x-fc-request-id": record.request_id}
    if record.status != "succeeded":
        return _bad_gateway(record.error, base)
    try:
        reply = json.loads(record.result) if record.result else None
    except (ValueError, UnicodeDecodeError):
        reply = None
    if not isinstance(reply, dict) or "statusCode" not in reply:
        return Response(record.result, status=200, headers=base)
    try:
        status = int(reply["statusCode"])
        body = reply.get("body")
        if body is None:
            data = b""
        elif not isinstance(body, str):
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        elif reply.get("isBase64Encoded"):
            data = base64.b64decode(body, validate=True)
        else:
            data = body.encode("utf-8")
    except (TypeError, ValueError) as exc:
        error = {
            "errorMessage": f"invalid HTTP response from the function: {exc}",
            "errorType": "InvalidResponse",
        }
        return _bad_gateway(error, base)
    response = Response(data, status=status, headers=base)
    for name, value in (reply.get("headers") or {}).items():
        values = value if isinstance(value, list) else [value]
        if name.lower() == "content-type":
            response.headers["Content-Type"] = str(values[-1])
            continue
        for item in values:
            response.headers.add(str(name), str(item))
    return response


def _bad_gateway(error: dict[str, Any] | None, headers: dict[str, str]) -> Response:
    return Response(
        json.dumps(error),
        status=502,
        headers={**headers, "x-fc-error-type": FUNCTION_ERROR},
        content_type="application/json",
    )
