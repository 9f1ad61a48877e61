"""MNS answers the way MNS answers: re-creating with other attributes, system properties, queue endpoints of
another owner, the account's attributes, and InvalidRequestURL for every path and method it does not serve."""

from __future__ import annotations

import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from mns.account import AccountMeta
from mns.message_property import MessageSystemPropertyValue
from mns.mns_exception import MNSServerException
from mns.queue import Message, QueueMeta
from mns.subscription import SubscriptionMeta
from mns.topic import TopicMessage, TopicMeta
from svc_helpers import ACCOUNT_ID, REGION, Running, mns_account

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


@pytest.fixture
def env(services: Running) -> Running:
    services.cloud.reset()
    return services


def system_properties(message: Any) -> dict[str, str]:
    """Name → value of a received message's system properties."""
    return {name: value.get_raw_value() for name, value in (message.get_system_properties() or {}).items()}


def traced(message: Any) -> Any:
    message.add_system_property("traceparent", MessageSystemPropertyValue.create_string(TRACEPARENT))
    return message


# -- re-creating ---------------------------------------------------------------------------------------------------
def test_recreating_a_queue_with_attributes_omitted_means_defaults(env: Running) -> None:
    """CreateQueue: 204 only for identical attributes; an omitted one is its default, so a queue made with a
    45 s visibility timeout is not "the same" as one asked for with none (→ 409)."""
    account, wire = mns_account(env.mns_url)
    custom = QueueMeta()
    custom.set_visibilitytimeout(45)
    account.get_queue("custom").create(custom)

    with pytest.raises(MNSServerException) as caught:
        account.get_queue("custom").create(QueueMeta())
    assert (caught.value.type, wire.last_status) == ("QueueAlreadyExist", 409)
    assert caught.value.message == "The queue you want to create is already exist."

    account.get_queue("plain").create(QueueMeta())
    explicit_defaults = QueueMeta()
    explicit_defaults.set_visibilitytimeout(30)
    explicit_defaults.set_delay_seconds(0)
    explicit_defaults.set_maximum_message_size(65536)
    account.get_queue("plain").create(explicit_defaults)
    assert wire.last_status == 204


def test_recreating_a_topic_with_attributes_omitted_means_defaults(env: Running) -> None:
    account, wire = mns_account(env.mns_url)
    account.get_topic("small").create(TopicMeta(maximum_message_size=2048))

    with pytest.raises(MNSServerException) as caught:
        account.get_topic("small").create(TopicMeta())
    assert (caught.value.type, wire.last_status) == ("TopicAlreadyExist", 409)
    assert caught.value.message == "The topic you want to create is already exists."

    account.get_topic("plain").create(TopicMeta())
    account.get_topic("plain").create(TopicMeta(maximum_message_size=65536, logging_enabled=False))
    assert wire.last_status == 204
    with pytest.raises(MNSServerException):
        account.get_topic("plain").create(TopicMeta(logging_enabled=True))


# -- system properties ---------------------------------------------------------------------------------------------
def test_system_properties_are_kept_on_send_and_returned_on_receive_and_peek(env: Running) -> None:
    account, _ = mns_account(env.mns_url)
    queue = account.get_queue("traced")
    queue.create(QueueMeta())
    queue.send_message(traced(Message("hello")))

    assert system_properties(queue.peek_message()) == {"traceparent": TRACEPARENT}
    received = queue.receive_message()
    assert system_properties(received) == {"traceparent": TRACEPARENT}
    assert received.get_user_properties() in ({}, None)
    [stored] = env.cloud.mns.queue_messages("traced")
    assert [(p.name, p.value, p.type) for p in stored.system_properties] == [("traceparent", TRACEPARENT, "STRING")]


def test_system_properties_in_batches(env: Running) -> None:
    account, _ = mns_account(env.mns_url)
    queue = account.get_queue("batch")
    queue.create(QueueMeta())
    queue.set_encoding(False)
    queue.batch_send_message([traced(Message("a")), Message("b")])

    received = {m.message_body: system_properties(m) for m in queue.batch_receive_message(2)}

    assert received == {"a": {"traceparent": TRACEPARENT}, "b": {}}


def test_published_system_properties_reach_a_subscribed_queue(env: Running) -> None:
    account, _ = mns_account(env.mns_url)
    account.get_queue("inbox").create(QueueMeta())
    topic = account.get_topic("events")
    topic.create(TopicMeta())
    endpoint = f"acs:mns:{REGION}:{ACCOUNT_ID}:queues/inbox"
    topic.get_subscription("to-inbox").subscribe(SubscriptionMeta(endpoint, notify_content_format="SIMPLIFIED"))

    topic.publish_message(traced(TopicMessage("event-body")))

    inbox = account.get_queue("inbox")
    inbox.set_encoding(False)
    message = inbox.receive_message()
    assert (message.message_body, system_properties(message)) == ("event-body", {"traceparent": TRACEPARENT})
    assert env.cloud.mns.published("events")[0].system_properties[0].value == TRACEPARENT


# -- queue endpoints -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "endpoint",
    [
        f"acs:mns:{REGION}:9999999999999999:queues/inbox",
        f"acs:mns:cn-beijing:{ACCOUNT_ID}:queues/inbox",
        "acs:mns:cn-beijing:9999999999999999:/queues/inbox/messages",
    ],
)
def test_queue_endpoint_of_another_owner_or_region_is_access_denied(env: Running, endpoint: str) -> None:
    account, wire = mns_account(env.mns_url)
    topic = account.get_topic("events")
    topic.create(TopicMeta())

    with pytest.raises(MNSServerException) as caught:
        topic.get_subscription("foreign").subscribe(SubscriptionMeta(endpoint))

    assert (caught.value.type, wire.last_status) == ("AccessDenied", 403)
    assert env.cloud.mns.subscriptions("events") == []


@pytest.mark.parametrize(
    "endpoint",
    [f"acs:mns:{REGION}:{ACCOUNT_ID}:queues/inbox", f"acs:mns:{REGION}::queues/inbox", "acs:mns:::/queues/inbox"],
)
def test_queue_endpoint_of_this_account_is_accepted(env: Running, endpoint: str) -> None:
    account, wire = mns_account(env.mns_url)
    topic = account.get_topic("events")
    topic.create(TopicMeta())
    topic.get_subscription("own").subscribe(SubscriptionMeta(endpoint))
    assert wire.last_status == 201


# -- account attributes --------------------------------------------------------------------------------------------
def test_account_attributes_get_and_set(env: Running) -> None:
    account, wire = mns_account(env.mns_url)
    assert account.get_attributes().logging_bucket == ""

    account.set_attributes(AccountMeta("mns-logs"))
    assert wire.last_status == 204
    assert account.get_attributes().logging_bucket == "mns-logs"
    account.set_attributes(AccountMeta())  # an omitted bucket leaves it as it is
    assert account.get_attributes().logging_bucket == "mns-logs"


# -- not emulated --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("PUT", "/"),
        ("GET", "/?accountmeta=false"),
        ("POST", "/?accountmeta=true"),
        ("DELETE", "/?accountmeta=true"),
        ("POST", "/topics/t"),
        ("DELETE", "/topics"),
        ("PUT", "/topics"),
        ("GET", "/topics/t/messages"),
        ("PUT", "/topics/t/messages"),
        ("DELETE", "/topics/t/messages"),
        ("POST", "/topics/t/subscriptions"),
        ("DELETE", "/topics/t/subscriptions"),
        ("POST", "/topics/t/subscriptions/s"),
        ("PUT", "/queues"),
        ("POST", "/queues/q"),
        ("HEAD", "/queues/q"),
        ("OPTIONS", "/queues/q/messages"),
        ("GET", "/queues/q/messages/extra"),
        ("GET", "/queues/q/subscriptions"),
    ],
)
def test_every_other_path_and_method_is_invalid_request_url(env: Running, method: str, path: str) -> None:
    """Answered before any signature check, and nothing is created."""
    request = urllib.request.Request(env.mns_url + path, data=b"" if method in ("PUT", "POST") else None, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()

    assert status == 400
    if method != "HEAD":
        assert ET.fromstring(body).findtext("{*}Code") == "InvalidRequestURL"
    assert env.cloud.mns.topics() == [] and env.cloud.mns.queues() == []
