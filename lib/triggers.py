"""Recognise and unwrap the FC events this function receives: OSS, MNS topic (JSON / STREAM) and FC 3.0 HTTP.

FC hands a Python handler the event as bytes with no type tag, so the envelope is recognised by its keys, most
specific first. Anything that is not a known envelope is an MNS STREAM body (STREAM is the trigger's default
format and delivers the message body untouched); the caller parses it as a cancel request. Pure, stdlib-only.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import unquote_plus

from lib.errors import BadRequestError, excerpt

Source = Literal["oss", "mns", "http"]

ALLOWED_HTTP_METHODS = frozenset({"POST"})
MAX_IDEMPOTENCY_KEY_CHARS = 256

_MNS_JSON_FIELDS = frozenset(
    {
        "TopicOwner",
        "Message",
        "Subscriber",
        "PublishTime",
        "SubscriptionName",
        "MessageMD5",
        "TopicName",
        "MessageId",
        "MessageTag",
    }
)
_IDEMPOTENCY_HEADERS = ("Idempotency-Key", "X-Idempotency-Key")


class Headers(Mapping[str, str]):
    """HTTP headers with case-insensitive lookup; iterates the names as FC sent them."""

    def __init__(self, raw: Mapping[Any, Any] | None = None) -> None:
        self._by_lower: dict[str, tuple[str, str]] = {}
        for name, value in (raw or {}).items():
            text = ",".join(map(str, value)) if isinstance(value, list) else str(value)
            self._by_lower[str(name).lower()] = (str(name), text)

    def __getitem__(self, name: str) -> str:
        return self._by_lower[name.lower()][1]

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._by_lower.values())

    def __len__(self) -> int:
        return len(self._by_lower)

    def __repr__(self) -> str:
        """Credentials in headers (Authorization, tokens, signatures) never reach a log through a repr."""
        shown = {name: "<redacted>" if _is_secret_header(name) else value for name, value in self.items()}
        return f"Headers({shown!r})"


def _is_secret_header(name: str) -> bool:
    lowered = name.lower()
    return lowered in ("authorization", "cookie", "proxy-authorization") or any(
        word in lowered for word in ("token", "signature", "secret")
    )


@dataclass(frozen=True)
class OssObjectRef:
    """One object named by an OSS ``ObjectCreated`` event: the manifest to read."""

    bucket: str
    key: str
    etag: str = ""
    size: int | None = None
    region: str = ""
    event_name: str = ""

    @property
    def decoded_key(self) -> str:
        """The key URL-decoded (OSS does not document whether event keys are encoded; try both)."""
        return unquote_plus(self.key)


@dataclass(frozen=True)
class TriggerEvent:
    """An unwrapped FC event. ``payload`` is the cancel request (MNS, HTTP); ``objects`` the manifests (OSS).

    ``envelope`` tells the exact shape for logs (``oss``, ``mns-json``, ``mns-stream``, ``mns-stream-attrs``,
    ``http``). ``dedupe_key`` identifies the delivery, so a redelivered event is recognisable in the results.
    """

    source: Source
    dedupe_key: str
    envelope: str
    payload: bytes = field(default=b"", repr=False)  # up to 6 MiB: kept out of log lines
    topic_name: str | None = None
    message_id: str | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)
    objects: tuple[OssObjectRef, ...] = ()
    method: str | None = None
    headers: Headers = field(default_factory=Headers)
    query: Mapping[str, Any] = field(default_factory=dict)
    request_id: str | None = None
    idempotency_key: str | None = None


def http_method_allowed(method: str) -> bool:
    """Only POST submits a cancel request."""
    return method.upper() in ALLOWED_HTTP_METHODS


def body_dedupe_key(body: bytes) -> str:
    """MNS STREAM messages carry no id: the body's hash stands in for it."""
    return "mns-body:" + hashlib.sha256(body).hexdigest()[:32]


def _load_envelope(event: bytes) -> Any:
    """The event as JSON when it is a JSON object; None otherwise (then it is a raw MNS STREAM body)."""
    if event.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] != b"{":
        return None
    try:
        return json.loads(event)
    except (ValueError, RecursionError):  # ValueError covers JSONDecodeError and UnicodeDecodeError
        return None


def parse_trigger_event(event: bytes | str, *, fc_request_id: str) -> TriggerEvent:
    """Recognise the FC event and unwrap it; a malformed OSS / HTTP envelope is a BadRequestError."""
    raw = event.encode("utf-8", "surrogatepass") if isinstance(event, str) else bytes(event)
    document = _load_envelope(raw)
    if isinstance(document, dict):
        if "events" in document:
            return _oss_event(document)
        if "version" in document and "requestContext" in document and ("rawPath" in document or "body" in document):
            return _http_event(document, fc_request_id=fc_request_id)
        if "TopicOwner" in document and "Message" in document and "MessageId" in document:
            return _mns_json_event(document)
        if document.keys() == {"body", "attrs"}:
            body, attrs = document["body"], document["attrs"]
            if isinstance(body, str) and isinstance(attrs, dict):
                payload = body.encode("utf-8", "surrogatepass")
                return TriggerEvent(
                    source="mns",
                    envelope="mns-stream-attrs",
                    dedupe_key=body_dedupe_key(payload),
                    payload=payload,
                    attributes=attrs,
                )
    return TriggerEvent(source="mns", envelope="mns-stream", dedupe_key=body_dedupe_key(raw), payload=raw)


def _mns_json_event(document: dict[str, Any]) -> TriggerEvent:
    message, message_id = document["Message"], document["MessageId"]
    topic_name = document.get("TopicName", "")
    if not isinstance(message, str) or not isinstance(message_id, str) or not isinstance(topic_name, str):
        raise BadRequestError("InvalidEvent", "MNS event: Message, MessageId and TopicName must be strings")
    return TriggerEvent(
        source="mns",
        envelope="mns-json",
        dedupe_key=f"mns:{topic_name}:{message_id}",
        payload=message.encode("utf-8", "surrogatepass"),
        topic_name=topic_name,
        message_id=message_id,
        attributes={name: value for name, value in document.items() if name not in _MNS_JSON_FIELDS},
    )


def _oss_object(record: Any, index: int) -> OssObjectRef | None:
    """The object of one OSS event record; None when the event is not ``ObjectCreated:*``."""
    if not isinstance(record, dict):
        raise BadRequestError("InvalidEvent", f"OSS event events[{index}] is not an object")
    event_name = record.get("eventName")
    if not isinstance(event_name, str):
        raise BadRequestError("InvalidEvent", f"OSS event events[{index}] has no eventName")
    name = event_name[4:] if event_name.startswith("oss:") else event_name
    if not name.startswith("ObjectCreated:"):
        return None
    oss = record.get("oss")
    bucket = oss.get("bucket") if isinstance(oss, dict) else None
    obj = oss.get("object") if isinstance(oss, dict) else None
    bucket_name = bucket.get("name") if isinstance(bucket, dict) else None
    key = obj.get("key") if isinstance(obj, dict) else None
    if not isinstance(bucket_name, str) or not bucket_name:
        raise BadRequestError("InvalidEvent", f"OSS event events[{index}] has no oss.bucket.name")
    if not isinstance(key, str) or not key:
        raise BadRequestError("InvalidEvent", f"OSS event events[{index}] has no oss.object.key")
    assert isinstance(obj, dict)
    etag, size, region = obj.get("eTag"), obj.get("size"), record.get("region")
    return OssObjectRef(
        bucket=bucket_name,
        key=key,
        etag=etag if isinstance(etag, str) else "",
        size=size if isinstance(size, int) and not isinstance(size, bool) else None,
        region=region if isinstance(region, str) else "",
        event_name=event_name,
    )


def _oss_event(document: dict[str, Any]) -> TriggerEvent:
    records = document["events"]
    if not isinstance(records, list):
        raise BadRequestError("InvalidEvent", "OSS event: 'events' is not a list")
    objects: dict[tuple[str, str, str], OssObjectRef] = {}
    ignored: list[str] = []
    for index, record in enumerate(records):
        ref = _oss_object(record, index)
        if ref is None:
            ignored.append(str(record["eventName"]))
        else:
            objects.setdefault((ref.bucket, ref.key, ref.etag), ref)
    if not objects:
        names = ", ".join(excerpt(name, 60) for name in ignored[:3]) or "none"
        raise BadRequestError("UnsupportedEvent", f"OSS event has no ObjectCreated:* record (event names: {names})")
    lines = sorted({f"{bucket}/{key}@{etag}" for bucket, key, etag in objects})
    if len(lines) == 1:
        dedupe_key = f"oss:{lines[0]}"
    else:
        dedupe_key = "oss:" + hashlib.sha256("\n".join(lines).encode("utf-8", "surrogatepass")).hexdigest()
    return TriggerEvent(source="oss", envelope="oss", dedupe_key=dedupe_key, objects=tuple(objects.values()))


def _http_event(document: dict[str, Any], *, fc_request_id: str) -> TriggerEvent:
    context = document["requestContext"]
    http = context.get("http") if isinstance(context, dict) else None
    method = http.get("method") if isinstance(http, dict) else None
    if not isinstance(method, str) or not method:
        raise BadRequestError("InvalidEvent", "HTTP event has no requestContext.http.method")
    if not http_method_allowed(method):
        raise BadRequestError("MethodNotAllowed", f"HTTP method {excerpt(method, 20)} is not allowed; use POST")
    headers = Headers(document.get("headers") if isinstance(document.get("headers"), dict) else None)
    query = document.get("queryParameters")
    body = document.get("body")
    if body is None:
        body = ""
    if not isinstance(body, str):
        raise BadRequestError("InvalidEvent", "HTTP event body is not a string")
    if document.get("isBase64Encoded") is True:
        try:
            payload = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise BadRequestError("InvalidBase64", "HTTP body is marked base64 but is not valid base64") from None
    else:
        payload = body.encode("utf-8", "surrogatepass")
    request_id = context.get("requestId") if isinstance(context, dict) else None
    if not isinstance(request_id, str) or not request_id:
        request_id = fc_request_id
    idempotency_key = _idempotency_key(headers)
    return TriggerEvent(
        source="http",
        envelope="http",
        dedupe_key=f"http:{idempotency_key or request_id}",
        payload=payload,
        method=method.upper(),
        headers=headers,
        query=query if isinstance(query, dict) else {},
        request_id=request_id,
        idempotency_key=idempotency_key,
    )


def _idempotency_key(headers: Headers) -> str | None:
    """The client's idempotency key; bounded and printable because it is echoed in every results message."""
    for name in _IDEMPOTENCY_HEADERS:
        value = headers.get(name, "").strip()
        if value:
            if len(value) > MAX_IDEMPOTENCY_KEY_CHARS or not value.isprintable():
                raise BadRequestError(
                    "InvalidIdempotencyKey",
                    f"{name} must be at most {MAX_IDEMPOTENCY_KEY_CHARS} printable characters: {excerpt(value, 60)}",
                )
            return value
    return None
