"""MNS HTTP face: URL + method (+ query/body shape) -> operation name -> fault check -> signature -> handler.

Every response carries ``x-mns-request-id`` (lower case: the SDK reads that exact key) and ``x-mns-version``.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from localcloud.auth import AuthFailure, verify_mns
from localcloud.faults import apply_latency, reset_connection
from localcloud.mns import errors as e
from localcloud.mns import responses as r
from localcloud.mns.models import MAX_BATCH, MnsBackend

log = logging.getLogger(__name__)

URLS = Map(
    [
        Rule("/topics", endpoint="topics"),
        Rule("/topics/<name>", endpoint="topic"),
        Rule("/topics/<name>/messages", endpoint="topic_messages"),
        Rule("/topics/<name>/subscriptions", endpoint="subscriptions"),
        Rule("/topics/<name>/subscriptions/<sub>", endpoint="subscription"),
        Rule("/queues", endpoint="queues"),
        Rule("/queues/<name>", endpoint="queue"),
        Rule("/queues/<name>/messages", endpoint="queue_messages"),
    ],
    strict_slashes=False,
)


@dataclass
class Call:
    """One routed request: what the handlers need and nothing else."""

    request: Request
    backend: MnsBackend
    args: dict[str, str]
    request_id: str

    @property
    def body(self) -> bytes:
        return self.request.get_data(cache=True)

    @property
    def base_url(self) -> str:
        return f"{self.request.scheme}://{self.request.host}"

    def query(self, name: str) -> str | None:
        return self.request.args.get(name)


def new_request_id() -> str:
    """24 upper-case hex digits like ``6ABABA443736370F00033EDC`` (time prefix, then random)."""
    return f"{int(time.time()) & 0xFFFFFFFF:08X}{uuid.uuid4().hex[:16].upper()}"


def _xml(body: bytes, status: int = 200) -> Response:
    return Response(body, status=status, content_type=r.CONTENT_TYPE)


def _created(location: str, created: bool) -> Response:
    response = Response(b"", status=201 if created else 204, content_type=r.CONTENT_TYPE)
    response.headers["Location"] = location
    return response


def _no_content() -> Response:
    return Response(status=204, content_type=r.CONTENT_TYPE)


def _int_query(call: Call, name: str) -> int | None:
    raw = call.query(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError as exc:
        raise e.InvalidArgument(f"The value of {name} is not an integer: {raw!r}.") from exc


# -- topics --------------------------------------------------------------------------------------------------
def create_topic(call: Call) -> Response:
    size, logging_enabled = r.parse_topic_attributes(call.body)
    created = call.backend.put_topic(call.args["name"], size, logging_enabled)
    return _created(f"{call.base_url}/topics/{call.args['name']}", created)


def set_topic_attributes(call: Call) -> Response:
    size, logging_enabled = r.parse_topic_attributes(call.body)
    call.backend.set_topic_attributes(call.args["name"], size, logging_enabled)
    return _no_content()


def get_topic_attributes(call: Call) -> Response:
    return _xml(r.topic_attributes(call.backend.get_topic(call.args["name"])))


def delete_topic(call: Call) -> Response:
    call.backend.delete_topic(call.args["name"])
    return _no_content()


def _page(call: Call, names: list[str]) -> tuple[list[str], str]:
    """Apply x-mns-prefix / x-mns-marker / x-mns-ret-number (1..1000, default 1000) to sorted names."""
    headers = call.request.headers
    prefix = headers.get("x-mns-prefix", "")
    marker = headers.get("x-mns-marker", "")
    raw_count = headers.get("x-mns-ret-number", "1000")
    try:
        count = int(raw_count)
    except ValueError as exc:
        raise e.InvalidArgument(f"The value of x-mns-ret-number is not an integer: {raw_count!r}.") from exc
    if not 1 <= count <= 1000:
        raise e.InvalidArgument("The value of x-mns-ret-number should between 1 and 1000.")
    selected = [n for n in names if n.startswith(prefix) and n >= marker]
    return selected[:count], (selected[count] if len(selected) > count else "")


def _with_meta(call: Call) -> bool:
    return call.request.headers.get("x-mns-with-meta", "").lower() == "true"


def list_topic(call: Call) -> Response:
    names, next_marker = _page(call, call.backend.topics())
    entries = []
    for name in names:
        pairs: list[tuple[str, object]] = [("TopicURL", f"{call.base_url}/topics/{name}")]
        if _with_meta(call):
            topic = call.backend.get_topic(name)
            pairs += [
                ("TopicName", name),
                ("CreateTime", topic.create_time),
                ("LastModifyTime", topic.last_modify_time),
                ("MaximumMessageSize", topic.maximum_message_size),
                ("MessageRetentionPeriod", topic.message_retention_period),
                ("MessageCount", topic.message_count),
            ]
        entries.append(pairs)
    return _xml(r.listing("Topics", "Topic", entries, next_marker))


def publish_message(call: Call) -> Response:
    _, messages = r.parse_messages(call.body)
    message = messages[0]
    published = call.backend.publish(call.args["name"], message.body, message.tag, message.user_properties)
    return _xml(r.sent_message(published.message_id, published.body_md5), 201)


# -- subscriptions -------------------------------------------------------------------------------------------
def subscribe(call: Call) -> Response:
    fields = r.parse_subscription(call.body)
    created = call.backend.put_subscription(
        call.args["name"],
        call.args["sub"],
        fields["endpoint"] or "",
        fields["notify_content_format"],
        fields["filter_tag"],
        fields["notify_strategy"],
    )
    return _created(f"{call.base_url}/topics/{call.args['name']}/subscriptions/{call.args['sub']}", created)


def set_subscription_attributes(call: Call) -> Response:
    fields = r.parse_subscription(call.body)
    call.backend.set_subscription_attributes(call.args["name"], call.args["sub"], fields["notify_strategy"])
    return _no_content()


def get_subscription_attributes(call: Call) -> Response:
    sub = call.backend.get_subscription(call.args["name"], call.args["sub"])
    return _xml(r.subscription_attributes(sub, call.backend.owner))


def unsubscribe(call: Call) -> Response:
    call.backend.unsubscribe(call.args["name"], call.args["sub"])
    return _no_content()


def list_subscriptions(call: Call) -> Response:
    topic = call.args["name"]
    names, next_marker = _page(call, [s.name for s in call.backend.subscriptions(topic)])
    entries = [[("SubscriptionURL", f"{call.base_url}/topics/{topic}/subscriptions/{n}")] for n in names]
    return _xml(r.listing("Subscriptions", "Subscription", entries, next_marker))


# -- queues --------------------------------------------------------------------------------------------------
def create_queue(call: Call) -> Response:
    created = call.backend.put_queue(call.args["name"], **r.parse_queue_attributes(call.body))
    return _created(f"{call.base_url}/queues/{call.args['name']}", created)


def set_queue_attributes(call: Call) -> Response:
    call.backend.set_queue_attributes(call.args["name"], **r.parse_queue_attributes(call.body))
    return _no_content()


def get_queue_attributes(call: Call) -> Response:
    name = call.args["name"]
    return _xml(r.queue_attributes(call.backend.get_queue(name), call.backend.queue_counts(name)))


def delete_queue(call: Call) -> Response:
    call.backend.delete_queue(call.args["name"])
    return _no_content()


def list_queue(call: Call) -> Response:
    names, next_marker = _page(call, call.backend.queues())
    entries = []
    for name in names:
        pairs: list[tuple[str, object]] = [("QueueURL", f"{call.base_url}/queues/{name}")]
        if _with_meta(call):
            queue = call.backend.get_queue(name)
            pairs += [
                ("QueueName", name),
                ("CreateTime", queue.create_time),
                ("LastModifyTime", queue.last_modify_time),
                ("VisibilityTimeout", queue.visibility_timeout),
                ("MaximumMessageSize", queue.maximum_message_size),
                ("MessageRetentionPeriod", queue.message_retention_period),
                ("DelaySeconds", queue.delay_seconds),
                ("PollingWaitSeconds", queue.polling_wait_seconds),
            ]
        entries.append(pairs)
    return _xml(r.listing("Queues", "Queue", entries, next_marker))


def send_message(call: Call) -> Response:
    batch, messages = r.parse_messages(call.body)
    if not batch:
        m = messages[0]
        sent = call.backend.send_message(call.args["name"], m.body, m.delay_seconds, m.priority, m.user_properties)
        return _xml(r.sent_message(sent.message_id, sent.body_md5), 201)
    if not 1 <= len(messages) <= MAX_BATCH:
        raise e.InvalidArgument(f"The count of message should between 1 and {MAX_BATCH}.")
    results: list[tuple[str, str] | e.MnsError] = []
    for m in messages:
        try:
            sent = call.backend.send_message(call.args["name"], m.body, m.delay_seconds, m.priority, m.user_properties)
            results.append((sent.message_id, sent.body_md5))
        except e.QueueNotExist:
            raise
        except e.MnsError as err:
            results.append(err)
    failed = any(isinstance(x, e.MnsError) for x in results)
    return _xml(r.batch_sent(results), 400 if failed else 201)


def receive_message(call: Call) -> Response:
    batch_size = _int_query(call, "numOfMessages")
    peek = (call.query("peekonly") or "").lower() == "true"
    taken = call.backend.receive(call.args["name"], batch_size or 1, _int_query(call, "waitseconds"), peek)
    if not taken:
        raise e.MessageNotExist()
    return _xml(r.received(taken, batch=batch_size is not None, peek=peek))


def delete_message(call: Call) -> Response:
    handle = call.query("ReceiptHandle")
    if handle is not None:
        call.backend.delete_message(call.args["name"], handle)
        return _no_content()
    failures: list[tuple[str, e.MnsError]] = []
    for receipt in r.parse_receipt_handles(call.body):
        try:
            call.backend.delete_message(call.args["name"], receipt)
        except e.QueueNotExist:
            raise
        except e.MnsError as err:
            failures.append((receipt, err))
    if failures:
        return _xml(r.delete_errors(failures), 404)
    return _no_content()


def change_visibility(call: Call) -> Response:
    handle = call.query("ReceiptHandle") or ""
    timeout = _int_query(call, "VisibilityTimeout")
    if timeout is None:
        raise e.MissingVisibilityTimeout()
    message = call.backend.change_visibility(call.args["name"], handle, timeout)
    return _xml(r.changed_visibility(message.receipt_handle, message.next_visible_time))


# -- dispatch ------------------------------------------------------------------------------------------------
Handler = Callable[[Call], Response]


def _operation(endpoint: str, request: Request) -> tuple[str, Handler]:
    """The API action name (used for faults) and its handler; InvalidRequestURL if there is none."""
    method = request.method
    override = request.args.get("metaoverride", "").lower() == "true"
    table: dict[tuple[str, str], tuple[str, Handler]] = {
        ("topics", "GET"): ("ListTopic", list_topic),
        ("topic", "PUT"): (("SetTopicAttributes", set_topic_attributes) if override else ("CreateTopic", create_topic)),
        ("topic", "GET"): ("GetTopicAttributes", get_topic_attributes),
        ("topic", "DELETE"): ("DeleteTopic", delete_topic),
        ("topic_messages", "POST"): ("PublishMessage", publish_message),
        ("subscriptions", "GET"): ("ListSubscriptionByTopic", list_subscriptions),
        ("subscription", "PUT"): (
            ("SetSubscriptionAttributes", set_subscription_attributes) if override else ("Subscribe", subscribe)
        ),
        ("subscription", "GET"): ("GetSubscriptionAttributes", get_subscription_attributes),
        ("subscription", "DELETE"): ("Unsubscribe", unsubscribe),
        ("queues", "GET"): ("ListQueue", list_queue),
        ("queue", "PUT"): (("SetQueueAttributes", set_queue_attributes) if override else ("CreateQueue", create_queue)),
        ("queue", "GET"): ("GetQueueAttributes", get_queue_attributes),
        ("queue", "DELETE"): ("DeleteQueue", delete_queue),
        ("queue_messages", "PUT"): ("ChangeMessageVisibility", change_visibility),
    }
    if (endpoint, method) in table:
        return table[(endpoint, method)]
    if endpoint == "queue_messages":
        if method == "POST":
            batch = r.root_name(request.get_data(cache=True)) == "Messages"
            return ("BatchSendMessage" if batch else "SendMessage"), send_message
        if method == "GET":
            peek = request.args.get("peekonly", "").lower() == "true"
            batch = "numOfMessages" in request.args
            name = ("Batch" if batch else "") + ("PeekMessage" if peek else "ReceiveMessage")
            return name, receive_message
        if method == "DELETE":
            single = "ReceiptHandle" in request.args
            return ("DeleteMessage" if single else "BatchDeleteMessage"), delete_message
    raise e.InvalidRequestURL()


def _auth_error(failure: AuthFailure, request: Request) -> e.MnsError:
    if failure.kind == "missing" and request.headers.get("Authorization"):
        return e.MissingDateHeader()
    if failure.kind == "malformed" and "date" in failure.detail.lower():
        return e.InvalidDateHeader()
    return e.AUTH_FAILURES.get(failure.kind, e.AccessDenied)()


def make_app(cloud: Any) -> Callable[..., Any]:
    """The MNS WSGI app over ``cloud.mns`` (faults from ``cloud.faults``, keys from ``cloud.credentials``)."""
    host_id = f"http://{cloud.account_id}.mns.{cloud.region}.aliyuncs.com"

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        request_id = new_request_id()
        try:
            response = _handle(request, request_id)
        except e.MnsError as err:
            response = _xml(r.error(err.code, err.message, request_id, host_id), err.status)
        if response is None:  # connection reset by an injected fault
            return Response(b"")(environ, start_response)
        response.headers["x-mns-request-id"] = request_id
        response.headers["x-mns-version"] = "2015-06-06"
        return response(environ, start_response)

    def _handle(request: Request, request_id: str) -> Response | None:
        try:
            endpoint, args = URLS.bind_to_environ(request.environ).match(method=request.method)
        except HTTPException as exc:
            raise e.InvalidRequestURL() from exc
        operation, handler = _operation(str(endpoint), request)
        decision = cloud.faults.decide("mns", operation)
        apply_latency(decision)
        if decision.reset:
            reset_connection(request.environ)
            return None
        if decision.error_code:
            raise e.error_for_code(decision.error_code)
        try:
            verify_mns(request, cloud.credentials)
        except AuthFailure as failure:
            raise _auth_error(failure, request) from failure
        try:
            return handler(Call(request, cloud.mns, dict(args), request_id))
        except e.MnsError:
            raise
        except Exception:
            log.exception("MNS %s failed", operation)
            raise e.InternalError() from None

    return app
