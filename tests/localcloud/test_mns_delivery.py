"""Topic fan-out: what a subscription pushes to a queue (read back with the SDK) and to an FC function.

Queue payloads are verbatim, as on real MNS (see localcloud/mns/delivery.py for the recorded evidence): a raw
``TopicMessage`` is read back with ``queue.set_encoding(False)``; the SDK's default base64-decoding receive reads
back what a ``Base64TopicMessage`` published.
"""

from __future__ import annotations

import hashlib
import json

import pytest
from mns.message_property import MessagePropertyValue
from mns.topic import Base64TopicMessage, TopicMessage
from svc_helpers import ACCOUNT_ID, Running, mns_account

FUNCTION = f"acs:fc:cn-shanghai:{ACCOUNT_ID}:functions/vod-cancel-url-uploads"
QUEUE = f"acs:mns:cn-shanghai:{ACCOUNT_ID}:queues/sink"
BODY = '{"JobIds":["a1","b2"],"Note":"中文 & <tag> \'q\'"}'


@pytest.fixture
def env(services: Running) -> Running:
    services.cloud.reset()
    services.cloud.mns.create_topic("requests")
    services.cloud.mns.create_queue("sink")
    return services


def _publish(env: Running, message: TopicMessage) -> TopicMessage:
    account, _ = mns_account(env.mns_url)
    return account.get_topic("requests").publish_message(message)


def test_simplified_queue_subscription_delivers_the_raw_body(env: Running) -> None:
    env.cloud.mns.subscribe("requests", "raw", QUEUE, notify_content_format="SIMPLIFIED")
    _publish(env, TopicMessage(BODY))
    queue = mns_account(env.mns_url)[0].get_queue("sink")
    queue.set_encoding(False)

    received = queue.receive_message(wait_seconds=1)

    assert received.message_body == BODY
    assert received.message_body_md5 == hashlib.md5(BODY.encode()).hexdigest().upper()


def test_base64_topic_message_reads_back_with_the_default_receive(env: Running) -> None:
    env.cloud.mns.subscribe("requests", "raw", QUEUE, notify_content_format="SIMPLIFIED")
    _publish(env, Base64TopicMessage(BODY))

    received = mns_account(env.mns_url)[0].get_queue("sink").receive_message(wait_seconds=1)

    assert received.message_body.decode("utf-8") == BODY


def test_queue_url_endpoint_form_is_a_queue(env: Running) -> None:
    env.cloud.mns.subscribe("requests", "by-url", f"{env.mns_url}/queues/sink", notify_content_format="SIMPLIFIED")
    _publish(env, TopicMessage("via url"))

    assert [m.body for m in env.cloud.mns.queue_messages("sink")] == ["via url"]


def test_json_queue_subscription_delivers_the_recorded_envelope(env: Running) -> None:
    env.cloud.mns.subscribe("requests", "wrapped", QUEUE, notify_content_format="JSON")
    sent = _publish(env, TopicMessage(BODY, "ok"))
    queue = mns_account(env.mns_url)[0].get_queue("sink")
    queue.set_encoding(False)

    envelope = json.loads(queue.receive_message(wait_seconds=1).message_body)

    (published,) = env.cloud.mns.published("requests")
    assert envelope == {
        "TopicOwner": ACCOUNT_ID,
        "Message": BODY,
        "Subscriber": ACCOUNT_ID,
        "PublishTime": str(published.publish_time),
        "SubscriptionName": "wrapped",
        "MessageMD5": sent.message_body_md5,
        "MessageTag": "ok",
        "TopicName": "requests",
        "MessageId": sent.message_id,
    }


def test_xml_queue_subscription_delivers_a_notification_document(env: Running) -> None:
    env.cloud.mns.subscribe("requests", "xml", QUEUE, notify_content_format="XML")
    _publish(env, TopicMessage("a < b & c"))

    (message,) = env.cloud.mns.queue_messages("sink")

    assert message.body.startswith('<?xml version="1.0" encoding="utf-8"?><Notification')
    assert "<Message>a &lt; b &amp; c</Message>" in message.body
    assert "<SubscriptionName>xml</SubscriptionName>" in message.body


def test_user_properties_travel_to_the_queue_message(env: Running) -> None:
    env.cloud.mns.subscribe("requests", "raw", QUEUE, notify_content_format="SIMPLIFIED")
    message = TopicMessage("with props")
    message.add_user_property("case", MessagePropertyValue.create_string("ack"))
    _publish(env, message)
    queue = mns_account(env.mns_url)[0].get_queue("sink")
    queue.set_encoding(False)

    received = queue.receive_message(wait_seconds=1)

    assert received.user_properties["case"].get_string_value_by_type() == "ack"


def test_fc_json_event_has_the_documented_shape(env: Running) -> None:
    env.cloud.mns.subscribe("requests", "trigger", FUNCTION, notify_content_format="JSON")
    sent = _publish(env, TopicMessage(BODY, "ignored-tag"))

    (delivered,) = env.cloud.fc.events
    event = json.loads(delivered.event)

    (published,) = env.cloud.mns.published("requests")
    assert (delivered.target, delivered.source, delivered.retry_strategy) == (FUNCTION, "mns", "BACKOFF_RETRY")
    assert list(event) == [
        "TopicOwner",
        "Message",
        "Subscriber",
        "PublishTime",
        "SubscriptionName",
        "MessageMD5",
        "TopicName",
        "MessageId",
    ]
    assert event == {
        "TopicOwner": ACCOUNT_ID,
        "Message": BODY,
        "Subscriber": ACCOUNT_ID,
        "PublishTime": published.publish_time,
        "SubscriptionName": "trigger",
        "MessageMD5": sent.message_body_md5,
        "TopicName": "requests",
        "MessageId": sent.message_id,
    }


def test_fc_json_event_merges_attributes_as_top_level_keys(env: Running) -> None:
    env.cloud.mns.subscribe("requests", "trigger", FUNCTION, notify_content_format="JSON")
    message = TopicMessage("hello topic")
    message.add_user_property("key", MessagePropertyValue.create_string("value"))
    _publish(env, message)

    event = json.loads(env.cloud.fc.events[0].event)

    assert event["key"] == "value"
    assert event["Message"] == "hello topic"
    assert env.cloud.mns.published("requests")[0].attributes == {"key": "value"}


def test_fc_stream_event_is_the_raw_body_or_body_and_attrs(env: Running) -> None:
    env.cloud.mns.subscribe(
        "requests", "stream", FUNCTION, notify_content_format="STREAM", notify_strategy="EXPONENTIAL_DECAY_RETRY"
    )
    _publish(env, TopicMessage(BODY))
    with_attrs = TopicMessage("hello topic")
    with_attrs.add_user_property("Extend", MessagePropertyValue.create_string('{"key":"value"}'))
    _publish(env, with_attrs)

    plain, wrapped = env.cloud.fc.events

    assert plain.event == BODY.encode("utf-8")
    assert plain.retry_strategy == "EXPONENTIAL_DECAY_RETRY"
    assert json.loads(wrapped.event) == {"body": "hello topic", "attrs": {"Extend": '{"key":"value"}'}}


def test_filter_tag_delivers_only_matching_messages(env: Running) -> None:
    env.cloud.mns.subscribe("requests", "only-ok", QUEUE, notify_content_format="SIMPLIFIED", filter_tag="ok")
    env.cloud.mns.subscribe("requests", "all", FUNCTION, notify_content_format="STREAM")
    for body, tag in (("tagged", "ok"), ("other", "failed"), ("untagged", "")):
        _publish(env, TopicMessage(body, tag))

    assert [m.body for m in env.cloud.mns.queue_messages("sink")] == ["tagged"]
    assert [e.event for e in env.cloud.fc.events] == [b"tagged", b"other", b"untagged"]


def test_deliveries_record_every_push_including_failures(env: Running) -> None:
    env.cloud.mns.subscribe("requests", "to-missing", f"acs:mns:cn-shanghai:{ACCOUNT_ID}:queues/nope")
    env.cloud.mns.subscribe("requests", "http", "http://example.invalid/notify")
    _publish(env, TopicMessage("x"))

    outcomes = {(d.subscription, d.kind, d.delivered, d.error) for d in env.cloud.mns.deliveries("requests")}

    assert outcomes == {
        ("to-missing", "queue", False, "QueueNotExist"),
        ("http", "http", False, "http endpoints are not emulated"),
    }
