"""The MNS topic door: a message in, its results (or its rejection) published on the results topic.

The topic trigger delivers a message in one of three shapes: JSON notify format (the request is in ``Message``,
and the delivery is named by the topic and ``MessageId``), STREAM (the event is the message body itself) and STREAM
with attributes (``{"body", "attrs"}``). STREAM carries no message id, so the body's hash names the delivery.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from lib.envelopes.base import EventEnvelope, RequestReader, Source
from lib.errors import BadRequestError
from lib.request import CancelRequest

__all__ = ["MnsEnvelope", "body_dedupe_key", "is_json_notification", "is_stream_with_attributes"]


def body_dedupe_key(body: bytes) -> str:
    """MNS STREAM messages carry no id: the body's hash stands in for it."""
    return "mns-body:" + hashlib.sha256(body).hexdigest()[:32]


def is_json_notification(document: Mapping[str, Any]) -> bool:
    """The JSON notify format: the message with its topic, id and attributes."""
    return "TopicOwner" in document and "Message" in document and "MessageId" in document


def is_stream_with_attributes(document: Mapping[str, Any]) -> bool:
    """STREAM format of a message that has attributes: ``{"body": text, "attrs": {...}}`` and nothing else."""
    return (
        document.keys() == {"body", "attrs"}
        and isinstance(document["body"], str)
        and isinstance(document["attrs"], dict)
    )


@dataclass(frozen=True, kw_only=True)
class MnsEnvelope(EventEnvelope):
    """The message body is the cancel request; ``topic_name`` is the topic it came from (JSON format only)."""

    source: ClassVar[Source] = "mns"
    payload: bytes = field(default=b"", repr=False)
    topic_name: str | None = None

    @classmethod
    def from_json_notification(cls, document: Mapping[str, Any], *, fc_request_id: str) -> MnsEnvelope:
        message, message_id = document["Message"], document["MessageId"]
        topic_name = document.get("TopicName", "")
        if not isinstance(message, str) or not isinstance(message_id, str) or not isinstance(topic_name, str):
            problem = BadRequestError("InvalidEvent", "MNS event: Message, MessageId and TopicName must be strings")
            return cls.unreadable(problem, fc_request_id=fc_request_id, shape="mns-json")
        return cls(
            request_id=fc_request_id,
            dedupe_key=f"mns:{topic_name}:{message_id}",
            shape="mns-json",
            payload=message.encode("utf-8", "surrogatepass"),
            topic_name=topic_name,
        )

    @classmethod
    def from_stream(cls, body: bytes, *, fc_request_id: str, shape: str = "mns-stream") -> MnsEnvelope:
        return cls(request_id=fc_request_id, dedupe_key=body_dedupe_key(body), shape=shape, payload=body)

    @classmethod
    def unreadable(cls, problem: BadRequestError, *, fc_request_id: str, shape: str) -> MnsEnvelope:
        """An event that cannot be unwrapped has no delivery id of its own: the FC request's stands in."""
        dedupe_key = f"invalid-mns-event:{fc_request_id}"
        return cls(request_id=fc_request_id, dedupe_key=dedupe_key, shape=shape, problem=problem)

    def _read(self, reader: RequestReader) -> CancelRequest:
        if self.topic_name:
            reader.check_trigger_topic(self.topic_name)
        return reader.from_payload(self.payload)
