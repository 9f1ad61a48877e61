"""MNS wire format: parse the XML request bodies the SDK sends and render the XML it expects back.

The SDK parses every response with minidom and insists on certain elements (``RespDataDamaged`` otherwise): all
four of Code/Message/RequestId/HostId in errors, MessageId+MessageBodyMD5 after a publish, the nine receive fields.
List decoders call ``.text.strip()`` on every child, so no element is ever rendered empty. The namespace is
``http://mns.aliyuncs.com/doc/v1`` without a trailing slash, as the live service answers (the SDK ignores it).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

from localcloud.core.errors import ServiceError
from localcloud.core.render import xml_elements
from localcloud.mns import errors as e
from localcloud.mns.records import Queue, QueueCounts, QueueMessage, Subscription, Topic, UserProperty

NS = "http://mns.aliyuncs.com/doc/v1"
XML_DECL = '<?xml version="1.0" encoding="utf-8"?>'
CONTENT_TYPE = "text/xml;charset=utf-8"


# -- parsing -------------------------------------------------------------------------------------------------
def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_root(body: bytes) -> ET.Element:
    """The document element of a request body; MalformedXML if it is not XML."""
    try:
        return ET.fromstring(body)
    except ET.ParseError as exc:
        raise e.MalformedXML(f"The XML you provided was not well-formed: {exc}.") from exc


def root_name(body: bytes) -> str:
    return _local(parse_root(body).tag) if body.strip() else ""


def _fields(element: ET.Element) -> dict[str, str]:
    return {_local(child.tag): child.text or "" for child in element if len(child) == 0}


def parse_int(raw: str | None, name: str) -> int | None:
    """An integer parameter (element or query); None when absent or empty."""
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError as exc:
        raise e.InvalidArgument(f"The value of {name} is not an integer: {raw!r}.") from exc


def _int_field(fields: dict[str, str], name: str) -> int | None:
    return parse_int(fields.get(name), name)


def _bool(fields: dict[str, str], name: str) -> bool | None:
    raw = fields.get(name)
    if raw is None or raw == "":
        return None
    if raw.lower() not in ("true", "false"):
        raise e.InvalidArgument(f"The value of {name} should be True or False: {raw!r}.")
    return raw.lower() == "true"


def _properties_of(element: ET.Element, container_tag: str) -> tuple[UserProperty, ...]:
    """The ``Name``/``Value``/``Type`` entries of a message's ``UserProperties`` or ``SystemProperties``."""
    props: list[UserProperty] = []
    for container in element:
        if _local(container.tag) != container_tag:
            continue
        for value in container:
            fields = _fields(value)
            if fields.get("Name"):
                props.append(UserProperty(fields["Name"], fields.get("Value", ""), fields.get("Type") or "STRING"))
    return tuple(props)


@dataclass(frozen=True)
class MessageInput:
    """One message of a PublishMessage / SendMessage / BatchSendMessage body."""

    body: str
    tag: str | None
    delay_seconds: int | None
    priority: int | None
    user_properties: tuple[UserProperty, ...]
    system_properties: tuple[UserProperty, ...] = ()


def _message_input(element: ET.Element) -> MessageInput:
    fields = _fields(element)
    return MessageInput(
        body=fields.get("MessageBody", ""),
        tag=fields.get("MessageTag") or None,
        delay_seconds=_int_field(fields, "DelaySeconds"),
        priority=_int_field(fields, "Priority"),
        user_properties=_properties_of(element, "UserProperties"),
        system_properties=_properties_of(element, "SystemProperties"),
    )


def parse_messages(body: bytes) -> tuple[bool, list[MessageInput]]:
    """(is_batch, messages) of a ``<Message>`` or ``<Messages><Message>...`` body."""
    root = parse_root(body)
    if _local(root.tag) == "Messages":
        return True, [_message_input(child) for child in root if _local(child.tag) == "Message"]
    if _local(root.tag) != "Message":
        raise e.InvalidArgument(f"The XML root element should be Message, not {_local(root.tag)}.")
    return False, [_message_input(root)]


def parse_topic_attributes(body: bytes) -> tuple[int | None, bool | None]:
    """(MaximumMessageSize, LoggingEnabled) of a CreateTopic / SetTopicAttributes body (may be empty)."""
    if not body.strip():
        return None, None
    fields = _fields(parse_root(body))
    return _int_field(fields, "MaximumMessageSize"), _bool(fields, "LoggingEnabled")


QUEUE_FIELDS = {
    "VisibilityTimeout": "visibility_timeout",
    "MaximumMessageSize": "maximum_message_size",
    "MessageRetentionPeriod": "message_retention_period",
    "DelaySeconds": "delay_seconds",
    "PollingWaitSeconds": "polling_wait_seconds",
}


def parse_queue_attributes(body: bytes) -> dict[str, int | bool | None]:
    """Keyword arguments for the backend from a CreateQueue / SetQueueAttributes body (may be empty)."""
    if not body.strip():
        return {}
    fields = _fields(parse_root(body))
    attrs: dict[str, int | bool | None] = {attr: _int_field(fields, tag) for tag, attr in QUEUE_FIELDS.items()}
    attrs["logging_enabled"] = _bool(fields, "LoggingEnabled")
    return attrs


def parse_subscription(body: bytes) -> dict[str, str | None]:
    """Endpoint, NotifyStrategy, NotifyContentFormat, FilterTag of a Subscribe body."""
    fields = _fields(parse_root(body)) if body.strip() else {}
    return {
        "endpoint": fields.get("Endpoint", ""),
        "notify_strategy": fields.get("NotifyStrategy") or None,
        "notify_content_format": fields.get("NotifyContentFormat") or None,
        "filter_tag": fields.get("FilterTag") or None,
    }


def parse_receipt_handles(body: bytes) -> list[str]:
    root = parse_root(body)
    return [child.text or "" for child in root if _local(child.tag) == "ReceiptHandle"]


# -- rendering -----------------------------------------------------------------------------------------------
def document(root: str, inner: str) -> bytes:
    return f'{XML_DECL}<{root} xmlns="{NS}">{inner}</{root}>'.encode()


def _bool_text(value: bool) -> str:
    return "True" if value else "False"


def error(code: str, message: str, request_id: str, host_id: str) -> bytes:
    pairs = [("Code", code), ("Message", message), ("RequestId", request_id), ("HostId", host_id)]
    return document("Error", xml_elements(pairs))


def sent_message(message_id: str, body_md5: str) -> bytes:
    return document("Message", xml_elements([("MessageId", message_id), ("MessageBodyMD5", body_md5)]))


def batch_sent(results: Sequence[tuple[str, str] | ServiceError]) -> bytes:
    """Entries are (MessageId, MessageBodyMD5) or the error of that message."""
    parts = []
    for result in results:
        if isinstance(result, ServiceError):
            pairs: list[tuple[str, object]] = [("ErrorCode", result.code), ("ErrorMessage", result.message)]
        else:
            pairs = [("MessageId", result[0]), ("MessageBodyMD5", result[1])]
        parts.append(f"<Message>{xml_elements(pairs)}</Message>")
    return document("Messages", "".join(parts))


def _properties(props: Sequence[UserProperty], container: str = "UserProperties", item: str = "PropertyValue") -> str:
    if not props:
        return ""
    values = "".join(
        f"<{item}>{xml_elements([('Name', p.name), ('Value', p.value), ('Type', p.type)])}</{item}>" for p in props
    )
    return f"<{container}>{values}</{container}>"


def _message_inner(message: QueueMessage, peek: bool) -> str:
    pairs: list[tuple[str, object]] = [("MessageId", message.message_id)]
    if not peek:
        pairs.append(("ReceiptHandle", message.receipt_handle))
    pairs += [
        ("MessageBodyMD5", message.body_md5),
        ("MessageBody", message.body),
        ("EnqueueTime", message.enqueue_time),
    ]
    if not peek:
        pairs.append(("NextVisibleTime", message.next_visible_time))
    pairs += [
        ("FirstDequeueTime", message.first_dequeue_time),
        ("DequeueCount", message.dequeue_count),
        ("Priority", message.priority),
    ]
    system = _properties(message.system_properties, "SystemProperties", "SystemPropertyValue")
    return xml_elements(pairs) + _properties(message.user_properties) + system


def received(messages: Sequence[QueueMessage], batch: bool, peek: bool) -> bytes:
    if not batch:
        return document("Message", _message_inner(messages[0], peek))
    return document("Messages", "".join(f"<Message>{_message_inner(m, peek)}</Message>" for m in messages))


def changed_visibility(receipt_handle: str, next_visible_time: int) -> bytes:
    pairs = [("ReceiptHandle", receipt_handle), ("NextVisibleTime", next_visible_time)]
    return document("ChangeVisibility", xml_elements(pairs))


def delete_errors(failures: Sequence[tuple[str, ServiceError]]) -> bytes:
    parts = "".join(
        f"<Error>{xml_elements([('ErrorCode', err.code), ('ErrorMessage', err.message), ('ReceiptHandle', h)])}</Error>"
        for h, err in failures
    )
    return document("Errors", parts)


def account_attributes(logging_bucket: str) -> bytes:
    """GetAccountAttributes: ``<Account><LoggingBucket/></Account>`` (empty when no bucket is set)."""
    return document("Account", xml_elements([("LoggingBucket", logging_bucket)]))


def parse_account_attributes(body: bytes) -> str | None:
    """The LoggingBucket of a SetAccountAttributes body (None when the body does not set it)."""
    if not body.strip():
        return None
    return _fields(parse_root(body)).get("LoggingBucket")


def topic_meta(topic: Topic) -> list[tuple[str, object]]:
    """A topic's attributes as ListTopic shows them with ``x-mns-with-meta``."""
    return [
        ("TopicName", topic.name),
        ("CreateTime", topic.create_time),
        ("LastModifyTime", topic.last_modify_time),
        ("MaximumMessageSize", topic.maximum_message_size),
        ("MessageRetentionPeriod", topic.message_retention_period),
        ("MessageCount", topic.message_count),
    ]


def topic_attributes(topic: Topic) -> bytes:
    pairs = [*topic_meta(topic), ("LoggingEnabled", _bool_text(topic.logging_enabled))]
    return document("Topic", xml_elements(pairs))


def queue_meta(queue: Queue) -> list[tuple[str, object]]:
    """A queue's attributes as ListQueue shows them with ``x-mns-with-meta``."""
    return [
        ("QueueName", queue.name),
        ("DelaySeconds", queue.delay_seconds),
        ("MaximumMessageSize", queue.maximum_message_size),
        ("MessageRetentionPeriod", queue.message_retention_period),
        ("VisibilityTimeout", queue.visibility_timeout),
        ("CreateTime", queue.create_time),
        ("LastModifyTime", queue.last_modify_time),
        ("PollingWaitSeconds", queue.polling_wait_seconds),
    ]


def queue_attributes(queue: Queue, counts: QueueCounts) -> bytes:
    pairs = [
        *queue_meta(queue),
        ("ActiveMessages", counts.active),
        ("InactiveMessages", counts.inactive),
        ("DelayMessages", counts.delayed),
        ("LoggingEnabled", _bool_text(queue.logging_enabled)),
    ]
    return document("Queue", xml_elements(pairs))


def subscription_attributes(sub: Subscription, owner: str) -> bytes:
    pairs: list[tuple[str, object]] = [
        ("TopicOwner", owner),
        ("TopicName", sub.topic),
        ("SubscriptionName", sub.name),
        ("Endpoint", sub.endpoint),
        ("NotifyStrategy", sub.notify_strategy),
        ("NotifyContentFormat", sub.notify_content_format),
    ]
    if sub.filter_tag:
        pairs.append(("FilterTag", sub.filter_tag))
    pairs += [("CreateTime", sub.create_time), ("LastModifyTime", sub.last_modify_time)]
    return document("Subscription", xml_elements(pairs))


def listing(root: str, item: str, entries: Sequence[Sequence[tuple[str, object]]], next_marker: str) -> bytes:
    """ListTopic / ListQueue / ListSubscriptionByTopic: one ``<item>`` per entry, NextMarker only when more."""
    inner = "".join(f"<{item}>{xml_elements(pairs)}</{item}>" for pairs in entries)
    if next_marker:
        inner += xml_elements([("NextMarker", next_marker)])
    return document(root, inner)
