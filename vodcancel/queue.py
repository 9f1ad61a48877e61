"""Reading the results topic: through a queue of the caller's, subscribed to the topic.

MNS pushes a topic's messages only to subscriptions that exist when they are published, so the queue and its
subscription are made before a request is sent. The subscription's notify format is ``SIMPLIFIED``: the queue
then holds the published JSON itself (the default, ``XML``, wraps it in a ``<Notification>`` document), and
MNS pushes it unencoded, so the queue is read with ``set_encoding(False)`` (the SDK would otherwise base64-decode
plain JSON into garbage).
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Any

from vodcancel import clients
from vodcancel.errors import CliError, describe_sdk_error
from vodcancel.target import Target

DEFAULT_QUEUE = "vodcancel-results"
NOTIFY_FORMAT = "SIMPLIFIED"
BATCH = 16  # MNS's most messages per receive and per delete


@dataclass(frozen=True)
class Received:
    document: Any  # the parsed JSON, or None when the message is not JSON
    receipt_handle: str


def _code(exc: Exception) -> str:
    return str(getattr(exc, "type", "") or "")


def queue_endpoint(target: Target, queue: str) -> str:
    if not target.account_id:
        target.require("mns")  # the same missing account ID, said the same way
    return f"acs:mns:{target.region}:{target.account_id}:queues/{queue}"


def ensure_subscription(target: Target, queue: str = DEFAULT_QUEUE) -> None:
    """Create ``queue`` and subscribe it to the results topic (subscription named like the queue), unless there."""
    from mns.mns_exception import MNSServerException
    from mns.queue import QueueMeta
    from mns.subscription import SubscriptionMeta

    account = clients.mns(target)
    topic = target.names.results_topic
    endpoint = queue_endpoint(target, queue)
    try:
        try:
            account.get_queue(queue).create(QueueMeta())  # an existing queue with default attributes: no-op
        except MNSServerException as exc:
            if _code(exc) != "QueueAlreadyExist":  # it exists with other attributes: use it as it is
                raise
        subscription = account.get_topic(topic).get_subscription(queue)
        try:
            meta = subscription.get_attributes()
        except MNSServerException as exc:
            if _code(exc) != "SubscriptionNotExist":
                raise
            subscription.subscribe(SubscriptionMeta(endpoint, notify_content_format=NOTIFY_FORMAT))
            return
    except MNSServerException as exc:
        raise CliError(
            f"cannot subscribe queue {queue!r} to the results topic {topic!r} ({describe_sdk_error(exc)})",
            f"check that the topic exists in {target.region} and that your credentials manage MNS queues",
        ) from None
    except Exception as exc:
        raise CliError(
            f"cannot reach MNS at {target.mns_endpoint} ({describe_sdk_error(exc)})", _reach_hint(target)
        ) from None
    if meta.endpoint != endpoint or str(meta.notify_content_format).upper() != NOTIFY_FORMAT:
        raise CliError(
            f"subscription {queue!r} on {topic!r} delivers {meta.notify_content_format} to {meta.endpoint}, "
            f"not {NOTIFY_FORMAT} to queue {queue!r}",
            "pass another --queue, or delete that subscription",
        )


def _reach_hint(target: Target) -> str:
    return "is `make up` running?" if target.kind == "local" else "check the region and MNS_ENDPOINT"


class ResultsQueue:
    """The caller's queue on the results topic."""

    def __init__(self, target: Target, queue: str = DEFAULT_QUEUE) -> None:
        self.target = target
        self.name = queue
        self._queue = clients.mns(target).get_queue(queue)
        self._queue.set_encoding(False)

    def receive(self, wait_seconds: int) -> list[Received]:
        """Up to 16 messages, waiting at most ``wait_seconds`` for the first; [] when none came."""
        from mns.mns_exception import MNSServerException

        try:
            messages = self._queue.batch_receive_message(BATCH, wait_seconds)
        except MNSServerException as exc:
            if _code(exc) == "MessageNotExist":
                return []
            raise CliError(
                f"cannot read queue {self.name!r} ({describe_sdk_error(exc)})", "run the command again"
            ) from None
        except Exception as exc:
            raise CliError(f"cannot reach MNS ({describe_sdk_error(exc)})", _reach_hint(self.target)) from None
        received = []
        for message in messages:
            try:
                document = json.loads(message.message_body)
            except (TypeError, ValueError):
                document = None
            received.append(Received(document, message.receipt_handle))
        return received

    def delete(self, receipt_handles: list[str]) -> None:
        """Remove what was consumed; a handle that expired meanwhile only means MNS shows the message again."""
        from mns.mns_exception import MNSServerException

        for start in range(0, len(receipt_handles), BATCH):
            with contextlib.suppress(MNSServerException):
                self._queue.batch_delete_message(receipt_handles[start : start + BATCH])
