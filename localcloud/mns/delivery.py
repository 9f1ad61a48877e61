"""What a topic subscription pushes to its endpoint, in each NotifyContentFormat.

Queue endpoints get the payload verbatim as the queue message body, exactly as real MNS does: SIMPLIFIED is the
published body as is (no base64 added), JSON/XML wrap it in a notification. A live recording of the service
(salesforce/multicloudj ``alipubsubtopicit_testackafterreceive-get-1.json``) shows the JSON envelope received on
a queue: keys in the order TopicOwner, Message, Subscriber, PublishTime (a string), SubscriptionName, MessageMD5,
TopicName, MessageId, and the message's user properties carried over as queue-message properties.

FC endpoints get the FC trigger event (FC docs "MNS topic trigger"): JSON is the same envelope with PublishTime a
number and message attributes merged in as top-level keys; STREAM is the raw body, or ``{"body", "attrs"}`` when the
message has attributes.
"""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import urlsplit

from localcloud.core.render import compact_json, xml_elements
from localcloud.mns.records import PublishedMessage, Subscription

EndpointKind = Literal["queue", "fc", "http", "unsupported"]

_QUEUE_ARN = re.compile(r"^acs:mns:([^:]*):([^:]*):/?queues/([^/?#]+)(?:/messages)?/?$")
_QUEUE_PATH = re.compile(r"^/queues/([^/]+)(?:/messages)?/?$")
RAW_FORMATS = frozenset({"SIMPLIFIED", "STREAM"})
NOTIFY_NS = "http://mns.aliyuncs.com/doc/v1/"


def classify_endpoint(endpoint: str) -> tuple[EndpointKind, str | None]:
    """(kind, queue name) of a subscription endpoint; the queue name is set only for queue endpoints.

    Accepts the queue ARN ``acs:mns:<region>:<account>:queues/<q>`` and the URL form ``http(s)://host/queues/<q>``
    (the queue's own URL); any other http(s) URL is an HTTP endpoint, ``acs:fc:...`` a function.
    """
    match = _QUEUE_ARN.match(endpoint)
    if match:
        return "queue", match.group(3)
    if endpoint.startswith("acs:fc:"):
        return "fc", None
    if endpoint.startswith(("http://", "https://")):
        path_match = _QUEUE_PATH.match(urlsplit(endpoint).path)
        if path_match:
            return "queue", path_match.group(1)
        return "http", None
    return "unsupported", None


def queue_arn_owner(endpoint: str) -> tuple[str, str] | None:
    """(region, account) a queue ARN endpoint names (either may be empty); None for any other endpoint."""
    match = _QUEUE_ARN.match(endpoint)
    return (match.group(1), match.group(2)) if match else None


def _envelope(
    message: PublishedMessage, sub: Subscription, owner: str, publish_time: int | str, *, with_tag: bool
) -> dict[str, object]:
    """The JSON notification; FC's variant omits MessageTag (whether FC includes it is unconfirmed)."""
    envelope: dict[str, object] = {
        "TopicOwner": owner,
        "Message": message.body,
        "Subscriber": owner,
        "PublishTime": publish_time,
        "SubscriptionName": sub.name,
        "MessageMD5": message.body_md5,
    }
    if with_tag and message.tag:
        envelope["MessageTag"] = message.tag
    envelope["TopicName"] = message.topic
    envelope["MessageId"] = message.message_id
    return envelope


def _xml_notification(message: PublishedMessage, sub: Subscription, owner: str) -> str:
    fields = [
        ("TopicOwner", owner),
        ("TopicName", message.topic),
        ("Subscriber", owner),
        ("SubscriptionName", sub.name),
        ("MessageId", message.message_id),
        ("Message", message.body),
        ("MessageMD5", message.body_md5),
    ]
    if message.tag:
        fields.append(("MessageTag", message.tag))
    fields.append(("PublishTime", str(message.publish_time)))
    inner = xml_elements(fields)
    return f'<?xml version="1.0" encoding="utf-8"?><Notification xmlns="{NOTIFY_NS}">{inner}</Notification>'


def queue_payload(message: PublishedMessage, sub: Subscription, owner: str) -> str:
    """The queue message body a subscription writes into its queue."""
    fmt = sub.notify_content_format
    if fmt in RAW_FORMATS:
        return message.body
    if fmt == "XML":
        return _xml_notification(message, sub, owner)
    return compact_json(_envelope(message, sub, owner, str(message.publish_time), with_tag=True))


def fc_event(message: PublishedMessage, sub: Subscription, owner: str) -> bytes:
    """The event bytes FC hands the function for one message (MNS topic trigger)."""
    fmt = sub.notify_content_format
    attributes = message.attributes
    if fmt in RAW_FORMATS:
        if attributes:
            return compact_json({"body": message.body, "attrs": attributes}).encode("utf-8")
        return message.body.encode("utf-8")
    if fmt == "XML":
        return _xml_notification(message, sub, owner).encode("utf-8")
    event: dict[str, object] = dict(attributes)
    event.update(_envelope(message, sub, owner, message.publish_time, with_tag=False))
    return compact_json(event).encode("utf-8")
