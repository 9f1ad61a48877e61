"""The HTTP door: an FC 3.0 HTTP trigger event (or a WSGI request) in, an HTTP response out.

The caller waits for the answer, so everything is said in the response: the results (200, with
``X-Results-Published`` telling whether they also reached the results topic), a bad request (400, 405 for a
method other than POST) or a misconfiguration (500), each error as the one error document. Nothing is published
for a bad request: the caller has the answer. A failed publish does not fail the request either: FC does not retry
synchronous calls, and the caller holds the results.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from lib.documents import error_document
from lib.envelopes.base import Envelope, Publisher, RequestReader, Source
from lib.errors import BadRequestError, ConfigurationError, MethodNotAllowedError, excerpt
from lib.limits import MAX_IDEMPOTENCY_KEY_CHARS
from lib.request import CancelRequest

__all__ = ["HttpEnvelope", "http_response", "idempotency_key"]

IDEMPOTENCY_HEADERS = ("Idempotency-Key", "X-Idempotency-Key")


def http_response(status: int, body: str, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    """An FC 3.0 HTTP trigger response with a JSON body."""
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", **(headers or {})},
        "isBase64Encoded": False,
        "body": body,
    }


def _header(headers: Mapping[Any, Any], name: str) -> str:
    """A header's value by case-insensitive name ("" if absent); repeated values are comma-joined."""
    wanted = name.lower()
    for key, value in headers.items():
        if str(key).lower() == wanted:
            return ",".join(map(str, value)) if isinstance(value, list) else str(value)
    return ""


def idempotency_key(headers: Mapping[Any, Any]) -> str | None:
    """The client's idempotency key; bounded and printable because it is echoed in every results message."""
    for name in IDEMPOTENCY_HEADERS:
        value = _header(headers, name).strip()
        if value:
            if len(value) > MAX_IDEMPOTENCY_KEY_CHARS or not value.isprintable():
                raise BadRequestError(
                    "InvalidIdempotencyKey",
                    f"{name} must be at most {MAX_IDEMPOTENCY_KEY_CHARS} printable characters: {excerpt(value, 60)}",
                )
            return value
    return None


def _check_method(method: str) -> None:
    """Only POST submits a cancel request."""
    if method.upper() != "POST":
        raise MethodNotAllowedError(f"HTTP method {excerpt(method, 20)} is not allowed; use POST")


# Checked here, not by ``b64decode(validate=True)``: on Python 3.10 (FC's runtime) that takes a lone "=" as b"",
# where 3.11 refuses it; the pattern gives the same answer on both.
_STRICT_BASE64 = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")


def _event_body(document: Mapping[str, Any]) -> bytes:
    body = document.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise BadRequestError("InvalidEvent", "HTTP event body is not a string")
    if document.get("isBase64Encoded") is not True:
        return body.encode("utf-8", "surrogatepass")
    if _STRICT_BASE64.fullmatch(body) is None:
        raise BadRequestError("InvalidBase64", "HTTP body is marked base64 but is not valid base64")
    return base64.b64decode(body)


@dataclass(frozen=True, kw_only=True)
class HttpEnvelope(Envelope):
    """A POST's body is the cancel request; ``Idempotency-Key`` (if sent) names the delivery."""

    source: ClassVar[Source] = "http"
    body: bytes = field(default=b"", repr=False)  # up to 6 MiB: kept out of log lines

    @classmethod
    def from_event(cls, document: Mapping[str, Any], *, fc_request_id: str) -> HttpEnvelope:
        """From the FC 3.0 HTTP trigger event (``requestContext``, ``headers``, ``body``, ``isBase64Encoded``)."""
        context = document.get("requestContext")
        context = context if isinstance(context, dict) else {}
        http = context.get("http")
        method = http.get("method") if isinstance(http, dict) else None
        event_request_id = context.get("requestId")
        headers = document.get("headers")
        fields: dict[str, Any] = {
            "request_id": fc_request_id,
            "delivery_id": event_request_id if isinstance(event_request_id, str) and event_request_id else None,
            "headers": headers if isinstance(headers, dict) else {},
        }
        try:
            if not isinstance(method, str) or not method:
                raise BadRequestError("InvalidEvent", "HTTP event has no requestContext.http.method")
            _check_method(method)
            body = _event_body(document)
        except BadRequestError as problem:
            return cls.of(**fields, problem=problem)
        return cls.of(**fields, body=body)

    @classmethod
    def from_request(
        cls, *, method: str, headers: Mapping[str, str], body: bytes, request_id: str, problem: BadRequestError | None
    ) -> HttpEnvelope:
        """From an HTTP request already read (the WSGI entry); ``problem`` is one found while reading it."""
        try:
            _check_method(method)
        except BadRequestError as wrong_method:
            problem = wrong_method
        return cls.of(request_id=request_id, headers=headers, body=body, problem=problem)

    @classmethod
    def of(
        cls,
        *,
        request_id: str,
        headers: Mapping[Any, Any],
        body: bytes = b"",
        delivery_id: str | None = None,
        problem: BadRequestError | None = None,
    ) -> HttpEnvelope:
        """The envelope of a request; its dedupe key is the Idempotency-Key, else the request's id."""
        try:
            key = idempotency_key(headers)
        except BadRequestError as key_problem:
            key, problem = None, problem or key_problem
        dedupe_key = f"http:{key or delivery_id or request_id}"
        return cls(request_id=request_id, dedupe_key=dedupe_key, shape="http", body=body, problem=problem)

    def _read(self, reader: RequestReader) -> CancelRequest:
        return reader.from_payload(self.body)

    def reject(self, error: BadRequestError, publisher: Publisher) -> dict[str, Any]:
        return http_response(error.http_status, error_document(error, self.ids))

    def misconfigured(self, error: ConfigurationError) -> dict[str, Any]:
        return http_response(error.http_status, error_document(error, self.ids))

    def reply(self, document: str, *, published: bool) -> dict[str, Any]:
        return http_response(200, document, {"X-Results-Published": "true" if published else "false"})

    def publish_failed(self, error: Exception) -> None:
        """Nothing more to do: the reply carries the results and says they were not published."""
