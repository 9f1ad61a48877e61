"""``--via mns``: the request is published as one message on the request topic; with the trigger's JSON notify
format the function keys the results ``mns:<topic>:<MessageId>`` (STREAM: a hash of the body)."""

from __future__ import annotations

import hashlib
from typing import Any

from vodcancel import clients
from vodcancel.errors import CliError, describe_sdk_error
from vodcancel.transports import Submission

MAX_MESSAGE_BYTES = 64 * 1024
"""MNS's message size limit."""


def submit(target: Any, payload: bytes, source_name: str, **_: Any) -> Submission:
    from mns.topic import TopicMessage

    if len(payload) > MAX_MESSAGE_BYTES:
        raise CliError(
            f"{source_name} is {len(payload):,} bytes, more than one MNS message holds (64 KB)",
            "send it as a manifest with --via oss",
        )
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        raise CliError(f"{source_name} is not UTF-8 text", "save it as UTF-8, or send it with --via oss") from None
    topic = target.names.request_topic
    try:
        message_id = clients.mns(target).get_topic(topic).publish_message(TopicMessage(text)).message_id
    except CliError:
        raise
    except Exception as exc:
        raise CliError(
            f"MNS PublishMessage on topic {topic!r} failed ({describe_sdk_error(exc)})",
            f"check that the topic exists in {target.region} and that your credentials may publish to it",
        ) from None
    if target.names.request_notify_format == "JSON":
        dedupe_key = f"mns:{topic}:{message_id}"
    else:
        dedupe_key = "mns-body:" + hashlib.sha256(payload).hexdigest()[:32]
    return Submission(via="mns", dedupe_key=dedupe_key, reference=str(message_id))
