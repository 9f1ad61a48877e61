"""The plain records MNS keeps: topics and their subscriptions, published messages, queues and their messages.

Shared by the backend (:mod:`~localcloud.mns.models`), the push renderers (:mod:`~localcloud.mns.delivery`) and
the wire layer; no behaviour beyond small views. Times are epoch milliseconds (messages) or seconds (attributes).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

DEFAULT_MAX_MESSAGE_SIZE = 65536
TOPIC_RETENTION_SECONDS = 86400
QUEUE_RETENTION_SECONDS = 345600
DEFAULT_VISIBILITY_TIMEOUT = 30
DEFAULT_PRIORITY = 8


@dataclass(frozen=True)
class UserProperty:
    """One ``UserProperties/PropertyValue`` of a message (Type: STRING, NUMBER, BOOLEAN or BINARY), or one
    ``SystemProperties/SystemPropertyValue`` (``traceparent``, ``tracestate``, ``baggage``…: Type STRING)."""

    name: str
    value: str
    type: str = "STRING"


@dataclass(frozen=True)
class PublishedMessage:
    """One message as published on a topic; kept for inspection even after the topic is deleted."""

    topic: str
    message_id: str
    body: str
    tag: str | None
    publish_time: int  # epoch ms
    body_md5: str
    user_properties: tuple[UserProperty, ...] = ()
    system_properties: tuple[UserProperty, ...] = ()

    @property
    def attributes(self) -> dict[str, str]:
        """Message attributes as FC shows them (name -> value)."""
        return {prop.name: prop.value for prop in self.user_properties}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view (the control API serves it)."""
        return {
            "topic": self.topic,
            "message_id": self.message_id,
            "body": self.body,
            "tag": self.tag,
            "publish_time": self.publish_time,
            "body_md5": self.body_md5,
            "attributes": self.attributes,
        }


@dataclass
class Subscription:
    topic: str
    name: str
    endpoint: str
    notify_content_format: str = "XML"
    filter_tag: str | None = None
    notify_strategy: str = "BACKOFF_RETRY"
    create_time: int = 0
    last_modify_time: int = 0

    def accepts(self, message: PublishedMessage) -> bool:
        """FilterTag: a subscription with a tag only receives messages carrying exactly that tag."""
        return not self.filter_tag or message.tag == self.filter_tag


@dataclass
class _Resource:
    """What topics and queues share: a name, times in epoch seconds, the message size limit, logging."""

    name: str
    create_time: int
    last_modify_time: int
    maximum_message_size: int = DEFAULT_MAX_MESSAGE_SIZE
    logging_enabled: bool = False


@dataclass
class Topic(_Resource):
    message_retention_period: int = TOPIC_RETENTION_SECONDS
    message_count: int = 0
    subscriptions: dict[str, Subscription] = field(default_factory=dict)


@dataclass
class QueueMessage:
    message_id: str
    body: str
    body_md5: str
    enqueue_time: int  # epoch ms
    next_visible_time: int  # epoch ms
    priority: int = DEFAULT_PRIORITY
    user_properties: tuple[UserProperty, ...] = ()
    system_properties: tuple[UserProperty, ...] = ()
    dequeue_count: int = 0
    first_dequeue_time: int = 0
    receipt_handle: str = ""

    def snapshot(self) -> QueueMessage:
        return replace(self)


@dataclass
class Queue(_Resource):
    message_retention_period: int = QUEUE_RETENTION_SECONDS
    visibility_timeout: int = DEFAULT_VISIBILITY_TIMEOUT
    delay_seconds: int = 0
    polling_wait_seconds: int = 0
    messages: list[QueueMessage] = field(default_factory=list)


@dataclass(frozen=True)
class Delivery:
    """One push of a published message to one subscription endpoint (what happened, for tests)."""

    topic: str
    subscription: str
    endpoint: str
    kind: str
    message_id: str
    payload: bytes
    delivered: bool
    error: str | None = None


@dataclass(frozen=True)
class QueueCounts:
    active: int
    inactive: int
    delayed: int
