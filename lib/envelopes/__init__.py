"""Trigger envelopes: one per door (HTTP, MNS topic, OSS, and the function's own continuations), each owning its
transport both ways.

FC hands a Python handler the event as bytes with no type tag, so :func:`open_envelope` parses it once and
recognises the door by its keys, most specific first; anything that is not a known envelope is an MNS STREAM body
(STREAM is the topic trigger's default format and delivers the message body untouched). The envelope then gives
the cancel request it carries and answers for its door: see :class:`lib.envelopes.base.Envelope`. Pure,
stdlib-only.
"""

from __future__ import annotations

import json
from typing import Any

from lib.envelopes.base import Envelope, EventEnvelope, Publisher, RequestReader, Source
from lib.envelopes.continuation import ContinuationEnvelope, is_continuation
from lib.envelopes.http import HttpEnvelope
from lib.envelopes.mns import MnsEnvelope, is_json_notification, is_stream_with_attributes
from lib.envelopes.oss import OssEnvelope
from lib.manifest import OssObjectRef

__all__ = [
    "ContinuationEnvelope",
    "Envelope",
    "EventEnvelope",
    "HttpEnvelope",
    "MnsEnvelope",
    "OssEnvelope",
    "OssObjectRef",
    "Publisher",
    "RequestReader",
    "Source",
    "open_envelope",
]

_JSON_LEAD = b"\xef\xbb\xbf \t\r\n"  # a BOM and whitespace may precede an event's opening brace


def _json_object(event: bytes) -> dict[str, Any] | None:
    """The event as a JSON object, or None (then it is a raw MNS STREAM body)."""
    if event.lstrip(_JSON_LEAD)[:1] != b"{":
        return None
    try:
        document = json.loads(event)
    except (ValueError, RecursionError):  # ValueError covers JSONDecodeError and UnicodeDecodeError
        return None
    return document if isinstance(document, dict) else None


def _is_http_event(document: dict[str, Any]) -> bool:
    return "version" in document and "requestContext" in document and ("rawPath" in document or "body" in document)


def open_envelope(event: bytes | str, *, fc_request_id: str) -> Envelope:
    """The envelope of an FC event; never raises (a broken envelope carries its problem, see Envelope)."""
    raw = event.encode("utf-8", "surrogatepass") if isinstance(event, str) else bytes(event)
    document = _json_object(raw)
    if document is None:
        return MnsEnvelope.from_stream(raw, fc_request_id=fc_request_id)
    if "events" in document:
        return OssEnvelope.from_event(document, fc_request_id=fc_request_id)
    if is_continuation(document):
        return ContinuationEnvelope.from_event(document, fc_request_id=fc_request_id)
    if _is_http_event(document):
        return HttpEnvelope.from_event(document, fc_request_id=fc_request_id)
    if is_json_notification(document):
        return MnsEnvelope.from_json_notification(document, fc_request_id=fc_request_id)
    if is_stream_with_attributes(document):
        body = document["body"].encode("utf-8", "surrogatepass")
        return MnsEnvelope.from_stream(body, fc_request_id=fc_request_id, shape="mns-stream-attrs")
    return MnsEnvelope.from_stream(raw, fc_request_id=fc_request_id)
