"""MNS topics and subscriptions through aliyun-mns-sdk: create/get/list/delete, publish, and their errors."""

from __future__ import annotations

import hashlib

import pytest
from mns.mns_exception import MNSServerException
from mns.subscription import SubscriptionMeta
from mns.topic import Base64TopicMessage, TopicMessage, TopicMeta
from svc_helpers import ACCOUNT_ID, Running, mns_account

QUEUE_ENDPOINT = f"acs:mns:cn-shanghai:{ACCOUNT_ID}:queues/sink"


@pytest.fixture
def env(services: Running) -> Running:
    services.cloud.reset()
    return services


def test_create_topic_then_again_is_201_then_204_with_location(env: Running) -> None:
    account, wire = mns_account(env.mns_url)
    topic = account.get_topic("results")

    assert topic.create(TopicMeta()) == f"{env.mns_url}/topics/results"
    assert wire.last_status == 201
    assert topic.create(TopicMeta()) == f"{env.mns_url}/topics/results"
    assert wire.last_status == 204
    assert env.cloud.mns.topics() == ["results"]


def test_create_topic_with_other_attributes_is_topic_already_exist(env: Running) -> None:
    account, wire = mns_account(env.mns_url)
    account.get_topic("results").create(TopicMeta())

    with pytest.raises(MNSServerException) as caught:
        account.get_topic("results").create(TopicMeta(maximum_message_size=2048))

    assert (caught.value.type, wire.last_status) == ("TopicAlreadyExist", 409)


def test_get_topic_attributes(env: Running) -> None:
    account, _ = mns_account(env.mns_url)
    topic = account.get_topic("results")
    topic.create(TopicMeta(maximum_message_size=4096))
    topic.publish_message(TopicMessage("one"))

    meta = topic.get_attributes()

    assert (meta.topic_name, meta.maximum_message_size, meta.message_count) == ("results", 4096, 1)
    assert meta.message_retention_period == 86400
    assert meta.logging_enabled is False


def test_publish_returns_201_id_and_upper_md5_with_lowercase_request_id_header(env: Running) -> None:
    account, wire = mns_account(env.mns_url)
    env.cloud.mns.create_topic("results")
    body = '{"Version":1,"Name":"中文 & <xml> \'q\' \\"dq\\""}'

    sent = account.get_topic("results").publish_message(TopicMessage(body, "ok"))

    assert wire.last_status == 201
    assert sent.message_body_md5 == hashlib.md5(body.encode()).hexdigest().upper()
    assert len(sent.message_id) == 32
    assert len(wire.last_headers["x-mns-request-id"]) == 24
    (published,) = env.cloud.mns.published("results")
    assert (published.body, published.tag, published.message_id) == (body, "ok", sent.message_id)
    assert published.attributes == {}
    assert abs(published.publish_time - env.cloud.clock.now() * 1000) < 5000


def test_publish_normalises_raw_carriage_returns_like_any_xml_server(env: Running) -> None:
    """The SDK puts a raw CR into the XML; XML end-of-line handling turns CRLF into LF (JSON-escaped is safe)."""
    account, _ = mns_account(env.mns_url)
    env.cloud.mns.create_topic("results")
    topic = account.get_topic("results")

    topic.publish_message(TopicMessage("line1\r\nline2\tend"))
    topic.publish_message(TopicMessage('{"s":"a\\r\\nb"}'))
    topic.publish_message(Base64TopicMessage("中文"))

    bodies = [m.body for m in env.cloud.mns.published("results")]
    assert bodies == ["line1\nline2\tend", '{"s":"a\\r\\nb"}', "5Lit5paH"]


def test_publish_to_missing_topic_is_topic_not_exist_404(env: Running) -> None:
    account, wire = mns_account(env.mns_url)

    with pytest.raises(MNSServerException) as caught:
        account.get_topic("missing").publish_message(TopicMessage("x"))

    assert (caught.value.type, wire.last_status) == ("TopicNotExist", 404)
    assert caught.value.message == "The topic you provided does not exist."
    assert caught.value.host_id == f"http://{ACCOUNT_ID}.mns.cn-shanghai.aliyuncs.com"
    assert caught.value.request_id == wire.last_headers["x-mns-request-id"]


def test_publish_enforces_64_kib_limit_in_utf8_bytes(env: Running) -> None:
    account, wire = mns_account(env.mns_url)
    env.cloud.mns.create_topic("results")
    topic = account.get_topic("results")

    topic.publish_message(TopicMessage("a" * 65536))
    with pytest.raises(MNSServerException) as caught:
        topic.publish_message(TopicMessage("中" * 21846))  # 65538 bytes

    assert (caught.value.type, wire.last_status) == ("InvalidArgument", 400)
    assert len(env.cloud.mns.published("results")) == 1


def test_publish_respects_a_smaller_topic_maximum(env: Running) -> None:
    account, _ = mns_account(env.mns_url)
    topic = account.get_topic("small")
    topic.create(TopicMeta(maximum_message_size=1024))

    with pytest.raises(MNSServerException) as caught:
        topic.publish_message(TopicMessage("x" * 1025))

    assert caught.value.type == "InvalidArgument"


def test_list_topic_pages_with_prefix_and_marker(env: Running) -> None:
    account, _ = mns_account(env.mns_url)
    for name in ("a-1", "a-2", "a-3", "b-1"):
        env.cloud.mns.create_topic(name)

    first, marker = account.list_topic(prefix="a-", ret_number=2)  # the SDK always asks x-mns-with-meta
    second, end = account.list_topic(prefix="a-", ret_number=2, marker=marker)

    assert [url.rsplit("/", 1)[1] for url in first + second] == ["a-1", "a-2", "a-3"]
    assert (marker, end) == ("a-3", "")


def test_delete_topic_is_idempotent_and_keeps_history(env: Running) -> None:
    account, wire = mns_account(env.mns_url)
    env.cloud.mns.create_topic("gone")
    account.get_topic("gone").publish_message(TopicMessage("kept"))

    account.get_topic("gone").delete()
    account.get_topic("gone").delete()

    assert wire.last_status == 204
    assert env.cloud.mns.topics() == []
    assert [m.body for m in env.cloud.mns.published("gone")] == ["kept"]
    with pytest.raises(MNSServerException) as caught:
        account.get_topic("gone").get_attributes()
    assert caught.value.type == "TopicNotExist"


def test_subscribe_get_list_unsubscribe(env: Running) -> None:
    account, wire = mns_account(env.mns_url)
    env.cloud.mns.create_topic("results")
    sub = account.get_topic("results").get_subscription("to-sink")
    meta = SubscriptionMeta(QUEUE_ENDPOINT, "EXPONENTIAL_DECAY_RETRY", "JSON", "ok")

    url = sub.subscribe(meta)
    assert (url, wire.last_status) == (f"{env.mns_url}/topics/results/subscriptions/to-sink", 201)
    sub.subscribe(meta)
    assert wire.last_status == 204

    attrs = sub.get_attributes()
    assert (attrs.endpoint, attrs.notify_strategy, attrs.notify_content_format, attrs.filter_tag) == (
        QUEUE_ENDPOINT,
        "EXPONENTIAL_DECAY_RETRY",
        "JSON",
        "ok",
    )
    assert attrs.topic_owner == ACCOUNT_ID
    urls, _ = account.get_topic("results").list_subscription()
    assert urls == [url]

    sub.unsubscribe()
    assert env.cloud.mns.subscriptions("results") == []


def test_subscribe_conflict_missing_topic_and_bad_strategy(env: Running) -> None:
    account, wire = mns_account(env.mns_url)
    env.cloud.mns.create_topic("results")
    sub = account.get_topic("results").get_subscription("s")
    sub.subscribe(SubscriptionMeta(QUEUE_ENDPOINT, notify_content_format="JSON"))

    with pytest.raises(MNSServerException) as conflict:
        sub.subscribe(SubscriptionMeta(QUEUE_ENDPOINT, notify_content_format="XML"))
    assert (conflict.value.type, wire.last_status) == ("SubscriptionAlreadyExist", 409)

    with pytest.raises(MNSServerException) as missing:
        account.get_topic("nope").get_subscription("s").subscribe(SubscriptionMeta(QUEUE_ENDPOINT))
    assert (missing.value.type, wire.last_status) == ("TopicNotExist", 404)

    with pytest.raises(MNSServerException) as bad:
        account.get_topic("results").get_subscription("t").subscribe(SubscriptionMeta(QUEUE_ENDPOINT, "SOMETIMES"))
    assert (bad.value.type, wire.last_status) == ("InvalidArgument", 400)


def test_get_missing_subscription_is_subscription_not_exist(env: Running) -> None:
    account, wire = mns_account(env.mns_url)
    env.cloud.mns.create_topic("results")

    with pytest.raises(MNSServerException) as caught:
        account.get_topic("results").get_subscription("nope").get_attributes()

    assert (caught.value.type, wire.last_status) == ("SubscriptionNotExist", 404)
