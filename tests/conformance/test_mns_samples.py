"""MNS driven the way aliyun-mns-sdk's sample programs drive it: a queue's send / receive / delete loop (single and
batch, long polling, visibility changes) and a topic whose subscription pushes into a queue, in each notify format.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from mns.account import Account
from mns.message_property import MessagePropertyValue, MessageSystemPropertyValue
from mns.mns_common import TopicHelper
from mns.mns_exception import MNSServerException
from mns.queue import Message, QueueMeta
from mns.subscription import SubscriptionMeta
from mns.topic import TopicMessage, TopicMeta

from localcloud.cloud import LocalCloud
from localcloud.testing import mns_account


@pytest.fixture
def cloud(localcloud: LocalCloud) -> LocalCloud:
    return localcloud


@pytest.fixture
def account(cloud: LocalCloud) -> Account:
    return mns_account(cloud)


def test_queue_sample_send_receive_delete(account: Account) -> None:
    queue = account.get_queue("sample-queue")
    meta = QueueMeta()
    meta.set_visibilitytimeout(30)
    meta.set_polling_wait_seconds(1)
    queue.create(meta)
    queue.set_encoding(False)

    sent = [queue.send_message(Message(f"message-{n}")) for n in range(3)]
    received = []
    while True:
        try:
            message = queue.receive_message(1)
        except MNSServerException as error:
            assert error.type == "MessageNotExist"
            break
        received.append(message.message_body)
        queue.delete_message(message.receipt_handle)

    assert received == [f"message-{n}" for n in range(3)]
    assert len({m.message_id for m in sent}) == 3
    queue.delete()


def test_queue_sample_batch_and_visibility(account: Account) -> None:
    queue = account.get_queue("sample-batch")
    queue.create(QueueMeta())
    queue.set_encoding(False)
    message = Message("with properties")
    message.add_user_property("kind", MessagePropertyValue.create_string("report"))
    message.add_system_property("traceparent", MessageSystemPropertyValue.create_string("00-abc-def-01"))
    queue.batch_send_message([message, Message("second")])

    batch = queue.batch_receive_message(16, 1)
    assert sorted(m.message_body for m in batch) == ["second", "with properties"]
    first = next(m for m in batch if m.message_body == "with properties")
    assert set(first.get_system_properties()) == {"traceparent"}
    again = queue.change_message_visibility(first.receipt_handle, 10)
    queue.batch_delete_message([again.receipt_handle] + [m.receipt_handle for m in batch if m is not first])
    with pytest.raises(MNSServerException) as caught:
        queue.peek_message()
    assert caught.value.type == "MessageNotExist"


@pytest.mark.parametrize("notify_format", ["SIMPLIFIED", "JSON", "XML"])
def test_topic_sample_publish_to_a_subscribed_queue(account: Account, cloud: LocalCloud, notify_format: str) -> None:
    inbox = account.get_queue("sample-inbox")
    inbox.create(QueueMeta())
    inbox.set_encoding(False)
    topic = account.get_topic("sample-topic")
    topic.create(TopicMeta())
    endpoint = TopicHelper.generate_queue_endpoint(cloud.region, cloud.account_id, "sample-inbox")
    topic.get_subscription("sample-sub").subscribe(SubscriptionMeta(endpoint, notify_content_format=notify_format))

    published = topic.publish_message(TopicMessage("hello subscribers", "sample-tag"))
    body = inbox.receive_message(1).message_body

    if notify_format == "SIMPLIFIED":
        assert body == "hello subscribers"
    elif notify_format == "JSON":
        envelope = json.loads(body)
        assert (envelope["Message"], envelope["MessageId"], envelope["MessageTag"]) == (
            "hello subscribers",
            published.message_id,
            "sample-tag",
        )
    else:
        notification = ET.fromstring(body)
        assert notification.findtext("{*}Message") == "hello subscribers"
        assert notification.findtext("{*}TopicName") == "sample-topic"
    topic.get_subscription("sample-sub").unsubscribe()
    topic.delete()
