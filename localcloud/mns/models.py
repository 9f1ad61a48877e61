"""MNS state: topics with their subscriptions, queues with their messages, and topic fan-out.

Plain objects behind one lock; no HTTP here. Times on the wire are epoch milliseconds (messages) or seconds
(topic/queue attributes) taken from the shared :class:`~localcloud.clock.Clock`, so tests can move time to expire
visibility timeouts. Long polling waits in real time but re-checks the clock, so a clock advance is noticed.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from localcloud.clock import Clock
from localcloud.core.backend import BaseBackend, DeliverEvent
from localcloud.mns import delivery
from localcloud.mns import errors as e
from localcloud.mns.records import (
    DEFAULT_MAX_MESSAGE_SIZE,
    DEFAULT_PRIORITY,
    Delivery,
    PublishedMessage,
    Queue,
    QueueCounts,
    QueueMessage,
    Subscription,
    Topic,
    UserProperty,
)

log = logging.getLogger(__name__)

MIN_MAX_MESSAGE_SIZE = 1024
MAX_VISIBILITY_TIMEOUT = 43200
MAX_WAIT_SECONDS = 30
MAX_BATCH = 16
MAX_DELAY_SECONDS = 604800
MAX_FILTER_TAG = 16
NOTIFY_STRATEGIES = frozenset({"BACKOFF_RETRY", "EXPONENTIAL_DECAY_RETRY"})
# STREAM is what FC calls the raw format of a topic trigger; MNS itself knows XML, JSON and SIMPLIFIED.
NOTIFY_FORMATS = frozenset({"XML", "JSON", "SIMPLIFIED", "STREAM"})
# What CreateQueue compares with an existing queue of the same name.
QUEUE_ATTRIBUTES = (
    "visibility_timeout",
    "maximum_message_size",
    "message_retention_period",
    "delay_seconds",
    "polling_wait_seconds",
    "logging_enabled",
)
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,255}$")
_POLL_SLICE_SECONDS = 0.05


def md5_upper(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest().upper()


def new_message_id() -> str:
    """32 upper-case hex digits, the shape live MNS returns (e.g. ``D024B7DD33FD7FCF7F8290DB150B1DE3``)."""
    return uuid.uuid4().hex.upper()


def _check_range(name: str, value: int, low: int, high: int, unit: str = "") -> None:
    if not low <= value <= high:
        raise e.InvalidArgument(f"The value of {name} should between {low} and {high}{unit}.")


def _check_body(body: str, maximum_size: int) -> None:
    if not body:
        raise e.InvalidArgument("The value of MessageBody should between 1 and 65536 bytes.")
    size = len(body.encode("utf-8"))
    if size > maximum_size:
        raise e.InvalidArgument(
            f"The length of message should not be larger than MaximumMessageSize ({size} > {maximum_size} bytes)."
        )


def _check_name(kind: str, name: str) -> None:
    if not _NAME.match(name):
        raise e.InvalidArgument(f"The value of {kind} is invalid: {name!r}.")


class MnsBackend(BaseBackend):
    """Topics, subscriptions and queues of one account; the Python API tests and the FC wiring use.

    ``owner`` is the account id (topic owner in notifications); ``deliver`` hands an FC subscription's event to
    the function.
    """

    def __init__(self, clock: Clock, owner: str, deliver: DeliverEvent) -> None:
        self._clock = clock
        self.owner = owner
        self._deliver = deliver
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._topics: dict[str, Topic] = {}
        self._queues: dict[str, Queue] = {}
        self._published: dict[str, list[PublishedMessage]] = {}
        self._deliveries: list[Delivery] = []
        self.logging_bucket = ""

    # -- helpers --------------------------------------------------------------------------------------------
    def _now_ms(self) -> int:
        return int(self._clock.now() * 1000)

    def _now_s(self) -> int:
        return int(self._clock.now())

    def reset(self) -> None:
        """Forget every topic, subscription, queue, message and delivery; wake long-polling receivers."""
        with self._changed:
            self._changed.notify_all()
        super().reset()

    def _topic(self, name: str) -> Topic:
        topic = self._topics.get(name)
        if topic is None:
            raise e.TopicNotExist()
        return topic

    def _queue(self, name: str) -> Queue:
        queue = self._queues.get(name)
        if queue is None:
            raise e.QueueNotExist()
        return queue

    # -- account --------------------------------------------------------------------------------------------
    def set_account_attributes(self, logging_bucket: str | None) -> None:
        """SetAccountAttributes: an omitted LoggingBucket leaves it as it is."""
        if logging_bucket is not None:
            with self._lock:
                self.logging_bucket = logging_bucket

    # -- topics ---------------------------------------------------------------------------------------------
    def put_topic(
        self, name: str, maximum_message_size: int | None = None, logging_enabled: bool | None = None
    ) -> bool:
        """CreateTopic: True if created; False if it exists with exactly these attributes (the real 204), an
        omitted attribute meaning its default; TopicAlreadyExist (409) if they differ (CreateTopic, doc 27495)."""
        _check_name("TopicName", name)
        if maximum_message_size is not None:
            _check_range("MaximumMessageSize", maximum_message_size, MIN_MAX_MESSAGE_SIZE, 65536, " bytes")
        wanted = (maximum_message_size or DEFAULT_MAX_MESSAGE_SIZE, bool(logging_enabled))
        with self._lock:
            existing = self._topics.get(name)
            if existing is not None:
                if (existing.maximum_message_size, existing.logging_enabled) == wanted:
                    return False
                raise e.TopicAlreadyExist()
            now = self._now_s()
            self._topics[name] = Topic(name, now, now, wanted[0], logging_enabled=wanted[1])
            self._published.setdefault(name, [])
            return True

    def create_topic(self, name: str, maximum_message_size: int = DEFAULT_MAX_MESSAGE_SIZE) -> Topic:
        """Python API: create the topic unless it exists; return it."""
        with self._lock:
            if name not in self._topics:
                self.put_topic(name, maximum_message_size)
            return self._topics[name]

    def set_topic_attributes(
        self, name: str, maximum_message_size: int | None = None, logging_enabled: bool | None = None
    ) -> None:
        with self._lock:
            topic = self._topic(name)
            if maximum_message_size is not None:
                _check_range("MaximumMessageSize", maximum_message_size, MIN_MAX_MESSAGE_SIZE, 65536, " bytes")
                topic.maximum_message_size = maximum_message_size
            if logging_enabled is not None:
                topic.logging_enabled = logging_enabled
            topic.last_modify_time = self._now_s()

    def get_topic(self, name: str) -> Topic:
        with self._lock:
            return replace(self._topic(name), subscriptions=dict(self._topic(name).subscriptions))

    def delete_topic(self, name: str) -> None:
        """DeleteTopic is idempotent (no error for a missing topic); its published history is kept."""
        with self._lock:
            self._topics.pop(name, None)

    def topics(self) -> list[str]:
        with self._lock:
            return sorted(self._topics)

    # -- subscriptions --------------------------------------------------------------------------------------
    def put_subscription(
        self,
        topic: str,
        name: str,
        endpoint: str,
        notify_content_format: str | None = None,
        filter_tag: str | None = None,
        notify_strategy: str | None = None,
    ) -> bool:
        """Subscribe: True if created, False if an identical subscription exists (real 204)."""
        _check_name("SubscriptionName", name)
        fmt = (notify_content_format or "XML").upper()
        strategy = (notify_strategy or "BACKOFF_RETRY").upper()
        if not endpoint:
            raise e.InvalidArgument("The value of Endpoint is required.")
        if fmt not in NOTIFY_FORMATS:
            raise e.InvalidArgument(f"The value of NotifyContentFormat is invalid: {notify_content_format!r}.")
        if strategy not in NOTIFY_STRATEGIES:
            raise e.InvalidArgument(f"The value of NotifyStrategy is invalid: {notify_strategy!r}.")
        if filter_tag is not None and len(filter_tag) > MAX_FILTER_TAG:
            raise e.InvalidArgument(f"The length of FilterTag should be no more than {MAX_FILTER_TAG}.")
        with self._lock:
            owner = self._topic(topic)
            wanted = (endpoint, fmt, filter_tag or None, strategy)
            existing = owner.subscriptions.get(name)
            if existing is not None:
                current = (
                    existing.endpoint,
                    existing.notify_content_format,
                    existing.filter_tag,
                    existing.notify_strategy,
                )
                if current == wanted:
                    return False
                raise e.SubscriptionAlreadyExist()
            now = self._now_s()
            owner.subscriptions[name] = Subscription(topic, name, endpoint, fmt, filter_tag or None, strategy, now, now)
            return True

    def subscribe(
        self,
        topic: str,
        name: str,
        endpoint: str,
        notify_content_format: str = "JSON",
        filter_tag: str | None = None,
        notify_strategy: str = "BACKOFF_RETRY",
    ) -> Subscription:
        """Python API: create (or replace) a subscription; the topic must exist."""
        with self._lock:
            self._topic(topic).subscriptions.pop(name, None)
            self.put_subscription(topic, name, endpoint, notify_content_format, filter_tag, notify_strategy)
            return self._topics[topic].subscriptions[name]

    def set_subscription_attributes(self, topic: str, name: str, notify_strategy: str | None) -> None:
        with self._lock:
            sub = self.get_subscription(topic, name)
            if notify_strategy is not None:
                strategy = notify_strategy.upper()
                if strategy not in NOTIFY_STRATEGIES:
                    raise e.InvalidArgument(f"The value of NotifyStrategy is invalid: {notify_strategy!r}.")
                sub.notify_strategy = strategy
            sub.last_modify_time = self._now_s()

    def get_subscription(self, topic: str, name: str) -> Subscription:
        with self._lock:
            sub = self._topic(topic).subscriptions.get(name)
            if sub is None:
                raise e.SubscriptionNotExist()
            return sub

    def unsubscribe(self, topic: str, name: str) -> None:
        """Unsubscribe is idempotent for a missing subscription; the topic must exist."""
        with self._lock:
            self._topic(topic).subscriptions.pop(name, None)

    def subscriptions(self, topic: str) -> list[Subscription]:
        with self._lock:
            return [replace(sub) for _, sub in sorted(self._topic(topic).subscriptions.items())]

    # -- publishing and fan-out -----------------------------------------------------------------------------
    def publish(
        self,
        topic: str,
        body: str,
        tag: str | None = None,
        user_properties: Iterable[UserProperty] = (),
        attributes: dict[str, str] | None = None,
        system_properties: Iterable[UserProperty] = (),
    ) -> PublishedMessage:
        """PublishMessage: store the message, push it to every matching subscription, return it.

        Queue endpoints are written synchronously; FC endpoints are handed to ``deliver`` after
        the lock is released (it returns at once and invokes the function in the background).
        """
        props = tuple(user_properties) + tuple(UserProperty(k, v) for k, v in (attributes or {}).items())
        with self._changed:
            owner = self._topic(topic)
            _check_body(body, owner.maximum_message_size)
            message = PublishedMessage(
                topic,
                new_message_id(),
                body,
                tag or None,
                self._now_ms(),
                md5_upper(body),
                props,
                tuple(system_properties),
            )
            self._published.setdefault(topic, []).append(message)
            owner.message_count += 1
            pending_fc: list[tuple[Subscription, bytes]] = []
            for sub in list(owner.subscriptions.values()):
                if sub.accepts(message):
                    pending = self._push(message, replace(sub))
                    if pending is not None:
                        pending_fc.append(pending)
            self._changed.notify_all()
        for sub, event in pending_fc:
            self._deliver_to_fc(message, sub, event)
        return message

    def _push(self, message: PublishedMessage, sub: Subscription) -> tuple[Subscription, bytes] | None:
        """Deliver to a queue now (lock held) or return the FC event to send once the lock is released."""
        kind, queue_name = delivery.classify_endpoint(sub.endpoint)
        if kind == "fc":
            return sub, delivery.fc_event(message, sub, self.owner)
        if kind == "queue" and queue_name is not None:
            payload = delivery.queue_payload(message, sub, self.owner)
            queue = self._queues.get(queue_name)
            if queue is None:
                self._record(message, sub, kind, payload.encode("utf-8"), False, "QueueNotExist")
            else:
                self._enqueue(queue, payload, 0, DEFAULT_PRIORITY, message.user_properties, message.system_properties)
                self._record(message, sub, kind, payload.encode("utf-8"), True)
            return None
        payload = delivery.queue_payload(message, sub, self.owner).encode("utf-8")
        self._record(message, sub, kind, payload, False, f"{kind} endpoints are not emulated")
        return None

    def _deliver_to_fc(self, message: PublishedMessage, sub: Subscription, event: bytes) -> None:
        try:
            self._deliver(sub.endpoint, event, source="mns", retry_strategy=sub.notify_strategy)
        except Exception as exc:  # the FC side must never break a publish
            log.exception("MNS -> FC delivery to %s failed", sub.endpoint)
            with self._lock:
                self._record(message, sub, "fc", event, False, repr(exc))
            return
        with self._lock:
            self._record(message, sub, "fc", event, True)

    def _record(
        self,
        message: PublishedMessage,
        sub: Subscription,
        kind: str,
        payload: bytes,
        delivered: bool,
        error: str | None = None,
    ) -> None:
        self._deliveries.append(
            Delivery(message.topic, sub.name, sub.endpoint, kind, message.message_id, payload, delivered, error)
        )

    def published(self, topic: str) -> list[PublishedMessage]:
        """Everything ever published to ``topic`` (since the last reset), oldest first."""
        with self._lock:
            return list(self._published.get(topic, []))

    def deliveries(self, topic: str | None = None) -> list[Delivery]:
        with self._lock:
            return [d for d in self._deliveries if topic is None or d.topic == topic]

    # -- queues ---------------------------------------------------------------------------------------------
    def put_queue(self, name: str, **attributes: Any) -> bool:
        """CreateQueue: True if created; False if it exists with exactly these attributes (the real 204), an
        omitted attribute meaning its default; QueueAlreadyExist (409) if they differ (CreateQueue doc)."""
        _check_name("QueueName", name)
        attrs = {k: v for k, v in attributes.items() if v is not None}
        self._validate_queue_attributes(attrs)
        with self._lock:
            existing = self._queues.get(name)
            if existing is not None:
                wanted = Queue(name, existing.create_time, existing.last_modify_time, **attrs)
                if all(getattr(existing, key) == getattr(wanted, key) for key in QUEUE_ATTRIBUTES):
                    return False
                raise e.QueueAlreadyExist()
            now = self._now_s()
            self._queues[name] = Queue(name, now, now, **attrs)
            return True

    def create_queue(self, name: str, **attributes: Any) -> Queue:
        """Python API: create the queue unless it exists; return it."""
        with self._lock:
            if name not in self._queues:
                self.put_queue(name, **attributes)
            return self._queues[name]

    @staticmethod
    def _validate_queue_attributes(attrs: dict[str, Any]) -> None:
        ranges = {
            "visibility_timeout": ("VisibilityTimeout", 1, MAX_VISIBILITY_TIMEOUT, " seconds"),
            "maximum_message_size": ("MaximumMessageSize", MIN_MAX_MESSAGE_SIZE, 65536, " bytes"),
            "message_retention_period": ("MessageRetentionPeriod", 60, 604800, " seconds"),
            "delay_seconds": ("DelaySeconds", 0, MAX_DELAY_SECONDS, " seconds"),
            "polling_wait_seconds": ("PollingWaitSeconds", 0, MAX_WAIT_SECONDS, " seconds"),
        }
        for key, value in attrs.items():
            if key in ranges:
                label, low, high, unit = ranges[key]
                _check_range(label, int(value), low, high, unit)

    def set_queue_attributes(self, name: str, **attributes: Any) -> None:
        attrs = {k: v for k, v in attributes.items() if v is not None}
        self._validate_queue_attributes(attrs)
        with self._lock:
            queue = self._queue(name)
            for key, value in attrs.items():
                setattr(queue, key, value)
            queue.last_modify_time = self._now_s()

    def get_queue(self, name: str) -> Queue:
        with self._lock:
            queue = self._queue(name)
            return replace(queue, messages=[m.snapshot() for m in queue.messages])

    def queue_counts(self, name: str) -> QueueCounts:
        with self._lock:
            queue = self._queue(name)
            now = self._now_ms()
            self._expire(queue, now)
            active = sum(1 for m in queue.messages if m.next_visible_time <= now)
            delayed = sum(1 for m in queue.messages if m.next_visible_time > now and m.dequeue_count == 0)
            return QueueCounts(active, len(queue.messages) - active - delayed, delayed)

    def delete_queue(self, name: str) -> None:
        with self._changed:
            self._queues.pop(name, None)
            self._changed.notify_all()

    def queues(self) -> list[str]:
        with self._lock:
            return sorted(self._queues)

    def queue_messages(self, queue: str) -> list[QueueMessage]:
        """Python API: every message in the queue (visible, in flight or delayed), oldest first."""
        with self._lock:
            return [m.snapshot() for m in self._queue(queue).messages]

    def send_message(
        self,
        queue: str,
        body: str,
        delay_seconds: int | None = None,
        priority: int | None = None,
        user_properties: Iterable[UserProperty] = (),
        system_properties: Iterable[UserProperty] = (),
    ) -> QueueMessage:
        """SendMessage: enqueue ``body`` as given (the SDK base64-encodes it by default, we store the text)."""
        if priority is not None:
            _check_range("Priority", priority, 1, 16)
        if delay_seconds is not None:
            _check_range("DelaySeconds", delay_seconds, 0, MAX_DELAY_SECONDS, " seconds")
        with self._changed:
            target = self._queue(queue)
            _check_body(body, target.maximum_message_size)
            delay = target.delay_seconds if delay_seconds is None else delay_seconds
            message = self._enqueue(
                target, body, delay, priority or DEFAULT_PRIORITY, tuple(user_properties), tuple(system_properties)
            )
            self._changed.notify_all()
            return message.snapshot()

    def _enqueue(
        self,
        queue: Queue,
        body: str,
        delay: int,
        priority: int,
        props: tuple[UserProperty, ...],
        system_props: tuple[UserProperty, ...] = (),
    ) -> QueueMessage:
        now = self._now_ms()
        message = QueueMessage(
            new_message_id(), body, md5_upper(body), now, now + delay * 1000, priority, props, system_props
        )
        queue.messages.append(message)
        return message

    def _expire(self, queue: Queue, now: int) -> None:
        horizon = now - queue.message_retention_period * 1000
        if queue.messages and queue.messages[0].enqueue_time < horizon:
            queue.messages[:] = [m for m in queue.messages if m.enqueue_time >= horizon]

    def _take(self, queue: Queue, count: int, peek: bool) -> list[QueueMessage]:
        now = self._now_ms()
        self._expire(queue, now)
        visible = [m for m in queue.messages if m.next_visible_time <= now]
        visible.sort(key=lambda m: m.priority)  # stable: FIFO within a priority (1 is the highest)
        chosen = visible[:count]
        if peek:
            return [m.snapshot() for m in chosen]
        for message in chosen:
            message.dequeue_count += 1
            message.first_dequeue_time = message.first_dequeue_time or now
            message.next_visible_time = now + queue.visibility_timeout * 1000
            message.receipt_handle = f"{message.message_id}-{secrets.token_hex(12).upper()}"
        return [m.snapshot() for m in chosen]

    def receive(
        self, queue: str, count: int = 1, wait_seconds: int | None = None, peek: bool = False
    ) -> list[QueueMessage]:
        """(Batch)ReceiveMessage / PeekMessage: up to ``count`` visible messages, long-polling if asked.

        Returns [] when nothing arrived in time (the wire answers MessageNotExist).
        """
        _check_range("numOfMessages", count, 1, MAX_BATCH)
        changed = self._changed  # a reset re-initialises the backend: keep waiting on the state we started in
        with changed:
            wait = self._queue(queue).polling_wait_seconds if wait_seconds is None else wait_seconds
            _check_range("waitseconds", wait, 0, MAX_WAIT_SECONDS, " seconds")
            deadline = time.monotonic() + (0 if peek else wait)
            while True:
                if changed is not self._changed:
                    raise e.QueueNotExist()
                taken = self._take(self._queue(queue), count, peek)
                remaining = deadline - time.monotonic()
                if taken or remaining <= 0:
                    return taken
                changed.wait(min(remaining, _POLL_SLICE_SECONDS))

    def _by_handle(self, queue: Queue, handle: str) -> QueueMessage:
        message_id, sep, _ = handle.partition("-")
        if not sep or not message_id:
            raise e.ReceiptHandleError()
        for message in queue.messages:
            if message.message_id == message_id:
                if message.receipt_handle != handle or message.next_visible_time <= self._now_ms():
                    raise e.ReceiptHandleError()
                return message
        raise e.MessageNotExist()

    def delete_message(self, queue: str, receipt_handle: str) -> None:
        if not receipt_handle:
            raise e.MissingReceiptHandle()
        with self._lock:
            target = self._queue(queue)
            found = self._by_handle(target, receipt_handle)
            target.messages[:] = [m for m in target.messages if m is not found]

    def change_visibility(self, queue: str, receipt_handle: str, visibility_timeout: int) -> QueueMessage:
        """ChangeMessageVisibility: new receipt handle, visible again ``visibility_timeout`` s from now."""
        if not receipt_handle:
            raise e.MissingReceiptHandle()
        _check_range("VisibilityTimeout", visibility_timeout, 1, MAX_VISIBILITY_TIMEOUT, " seconds")
        with self._changed:
            message = self._by_handle(self._queue(queue), receipt_handle)
            message.next_visible_time = self._now_ms() + visibility_timeout * 1000
            message.receipt_handle = f"{message.message_id}-{secrets.token_hex(12).upper()}"
            self._changed.notify_all()
            return message.snapshot()
