"""MNS queues through aliyun-mns-sdk: send, (long-polling) receive, peek, delete, visibility, batch, errors."""

from __future__ import annotations

import threading

import pytest
from mns.mns_exception import MNSServerException
from mns.queue import Message, QueueMeta
from svc_helpers import Running, mns_account


@pytest.fixture
def env(services: Running) -> Running:
    services.cloud.reset()
    return services


def test_create_queue_get_attributes_and_delete(env: Running) -> None:
    account, wire = mns_account(env.mns_url)
    queue = account.get_queue("work")
    meta = QueueMeta()
    meta.set_visibilitytimeout(45)

    assert queue.create(meta) == f"{env.mns_url}/queues/work"
    assert wire.last_status == 201
    queue.create(meta)
    assert wire.last_status == 204
    attrs = queue.get_attributes()
    assert (attrs.queue_name, attrs.visibility_timeout, attrs.maximum_message_size) == ("work", 45, 65536)
    assert (attrs.delay_seconds, attrs.polling_wait_seconds, attrs.message_retention_period) == (0, 0, 345600)

    queue.delete()
    assert env.cloud.mns.queues() == []


def test_create_queue_with_different_attributes_is_queue_already_exist(env: Running) -> None:
    account, wire = mns_account(env.mns_url)
    env.cloud.mns.create_queue("work")
    meta = QueueMeta()
    meta.set_visibilitytimeout(99)

    with pytest.raises(MNSServerException) as caught:
        account.get_queue("work").create(meta)

    assert (caught.value.type, wire.last_status) == ("QueueAlreadyExist", 409)


def test_send_receive_delete_round_trip_with_default_base64(env: Running) -> None:
    account, wire = mns_account(env.mns_url)
    env.cloud.mns.create_queue("work")
    queue = account.get_queue("work")
    body = "中文 & <xml> body"

    sent = queue.send_message(Message(body))
    assert wire.last_status == 201
    received = queue.receive_message()

    assert received.message_body == body.encode("utf-8")
    assert received.message_id == sent.message_id
    assert (received.dequeue_count, received.priority) == (1, 8)
    assert received.next_visible_time - received.first_dequeue_time == 30_000
    queue.delete_message(received.receipt_handle)
    assert wire.last_status == 204
    assert env.cloud.mns.queue_messages("work") == []


def test_receive_on_empty_queue_is_message_not_exist_404(env: Running) -> None:
    account, wire = mns_account(env.mns_url)
    env.cloud.mns.create_queue("work")

    with pytest.raises(MNSServerException) as caught:
        account.get_queue("work").receive_message()

    assert (caught.value.type, caught.value.message, wire.last_status) == ("MessageNotExist", "Message not exist.", 404)


def test_missing_queue_is_queue_not_exist_404(env: Running) -> None:
    account, wire = mns_account(env.mns_url)

    with pytest.raises(MNSServerException) as caught:
        account.get_queue("nope").send_message(Message("x"))

    assert (caught.value.type, wire.last_status) == ("QueueNotExist", 404)


def test_long_poll_returns_as_soon_as_a_message_arrives(env: Running) -> None:
    account, _ = mns_account(env.mns_url)
    env.cloud.mns.create_queue("work")
    queue = account.get_queue("work")
    queue.set_encoding(False)
    timer = threading.Timer(0.3, env.cloud.mns.send_message, args=("work", "late"))
    timer.start()

    received = queue.receive_message(wait_seconds=5)

    assert received.message_body == "late"


def test_long_poll_times_out_after_wait_seconds(env: Running) -> None:
    account, _ = mns_account(env.mns_url)
    env.cloud.mns.create_queue("work")

    with pytest.raises(MNSServerException) as caught:
        account.get_queue("work").receive_message(wait_seconds=1)

    assert caught.value.type == "MessageNotExist"


def test_wait_seconds_over_30_is_invalid_argument(env: Running) -> None:
    account, wire = mns_account(env.mns_url)
    env.cloud.mns.create_queue("work")

    with pytest.raises(MNSServerException) as caught:
        account.get_queue("work").receive_message(wait_seconds=31)

    assert (caught.value.type, wire.last_status) == ("InvalidArgument", 400)


def test_visibility_timeout_hides_then_redelivers_and_old_handle_is_invalid(env: Running) -> None:
    account, wire = mns_account(env.mns_url)
    env.cloud.mns.create_queue("work")
    queue = account.get_queue("work")
    queue.send_message(Message("again"))
    first = queue.receive_message()

    with pytest.raises(MNSServerException):
        queue.receive_message()
    env.cloud.clock.advance(31)
    second = queue.receive_message()

    assert (second.message_id, second.dequeue_count) == (first.message_id, 2)
    with pytest.raises(MNSServerException) as caught:
        queue.delete_message(first.receipt_handle)
    assert (caught.value.type, wire.last_status) == ("ReceiptHandleError", 400)
    queue.delete_message(second.receipt_handle)


def test_change_message_visibility_issues_a_new_handle(env: Running) -> None:
    account, _ = mns_account(env.mns_url)
    env.cloud.mns.create_queue("work")
    queue = account.get_queue("work")
    queue.send_message(Message("hold"))
    received = queue.receive_message()

    changed = queue.change_message_visibility(received.receipt_handle, 120)

    assert changed.receipt_handle != received.receipt_handle
    assert int(changed.next_visible_time) > received.next_visible_time  # the SDK leaves this one a str
    env.cloud.clock.advance(60)
    with pytest.raises(MNSServerException):
        queue.receive_message()
    queue.delete_message(changed.receipt_handle)


def test_delete_with_garbage_handle_is_receipt_handle_error(env: Running) -> None:
    account, _ = mns_account(env.mns_url)
    env.cloud.mns.create_queue("work")

    with pytest.raises(MNSServerException) as caught:
        account.get_queue("work").delete_message("garbage")

    assert caught.value.type == "ReceiptHandleError"


def test_peek_does_not_consume(env: Running) -> None:
    account, _ = mns_account(env.mns_url)
    env.cloud.mns.create_queue("work")
    queue = account.get_queue("work")
    queue.send_message(Message("look"))

    peeked = queue.peek_message()

    assert (peeked.message_body, peeked.dequeue_count) == (b"look", 0)
    assert queue.receive_message().message_body == b"look"


def test_batch_send_receive_delete(env: Running) -> None:
    account, _ = mns_account(env.mns_url)
    env.cloud.mns.create_queue("work")
    queue = account.get_queue("work")

    sent = queue.batch_send_message([Message(f"m{i}") for i in range(5)])
    received = queue.batch_receive_message(16)

    assert len(sent) == 5
    assert [m.message_body for m in received] == [f"m{i}".encode() for i in range(5)]
    queue.batch_delete_message([m.receipt_handle for m in received])
    assert env.cloud.mns.queue_messages("work") == []


def test_priority_orders_delivery_and_delay_hides(env: Running) -> None:
    account, _ = mns_account(env.mns_url)
    env.cloud.mns.create_queue("work")
    queue = account.get_queue("work")
    queue.set_encoding(False)
    queue.send_message(Message("low", priority=16))
    queue.send_message(Message("high", priority=1))
    queue.send_message(Message("later", delay_seconds=60))

    received = queue.batch_receive_message(16)

    assert [m.message_body for m in received] == ["high", "low"]
    queue.batch_delete_message([m.receipt_handle for m in received])
    env.cloud.clock.advance(61)
    assert queue.receive_message().message_body == "later"


def test_queue_message_size_limit(env: Running) -> None:
    account, wire = mns_account(env.mns_url)
    env.cloud.mns.create_queue("work")
    queue = account.get_queue("work")
    queue.set_encoding(False)

    with pytest.raises(MNSServerException) as caught:
        queue.send_message(Message("x" * 65537))

    assert (caught.value.type, wire.last_status) == ("InvalidArgument", 400)
