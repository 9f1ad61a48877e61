"""MNS's API actions (:class:`MnsResponse`): one method per action, XML bodies in and out (:mod:`.wire`).

Every response carries ``x-mns-request-id`` (lower case: the SDK reads that exact key) and ``x-mns-version``.
"""

from __future__ import annotations

from collections.abc import Callable

from werkzeug.wrappers import Response

from localcloud.auth import AuthFailure, verify_mns
from localcloud.core.errors import ServiceError
from localcloud.core.responses import BaseResponse, action
from localcloud.mns import errors as e
from localcloud.mns import wire
from localcloud.mns.delivery import queue_arn_owner
from localcloud.mns.models import MAX_BATCH, MnsBackend
from localcloud.mns.records import QueueMessage

API_VERSION = "2015-06-06"
Entry = list[tuple[str, object]]


def _xml(body: bytes, status: int = 200) -> Response:
    return Response(body, status=status, content_type=wire.CONTENT_TYPE)


def _no_content() -> Response:
    return Response(status=204, content_type=wire.CONTENT_TYPE)


class MnsResponse(BaseResponse):
    """One MNS request: topics, subscriptions, queues and their messages."""

    service = "mns"
    errors = e.ERRORS
    request_id_style = "hex24"
    request_id_header = "x-mns-request-id"
    backend: MnsBackend

    def verify(self) -> str:
        return verify_mns(self.request, self.gateway.credentials)

    def auth_error(self, failure: AuthFailure) -> ServiceError:
        """MNS names the date header's problems apart from the Authorization header's."""
        if failure.kind == "missing" and self.request.headers.get("Authorization"):
            return e.MissingDateHeader()
        if failure.kind == "malformed" and "date" in failure.detail.lower():
            return e.InvalidDateHeader()
        return super().auth_error(failure)

    def render_error(self, error: ServiceError) -> Response:
        host_id = f"http://{self.gateway.account_id}.mns.{self.gateway.region}.aliyuncs.com"
        return _xml(wire.error(error.code, error.message, self.request_id, host_id), error.status)

    def finish(self, response: Response) -> Response:
        response.headers["x-mns-version"] = API_VERSION
        return super().finish(response)

    # -- request helpers -----------------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """The topic or queue the path names."""
        return self.route.args["name"]

    @property
    def subscription(self) -> str:
        return self.route.args["sub"]

    def _url(self, path: str) -> str:
        return f"{self.request.scheme}://{self.request.host}/{path}"

    def _created(self, path: str, created: bool) -> Response:
        response = Response(b"", status=201 if created else 204, content_type=wire.CONTENT_TYPE)
        response.headers["Location"] = self._url(path)
        return response

    def _int_query(self, name: str) -> int | None:
        return wire.parse_int(self.request.args.get(name), name)

    def _page(self, names: list[str]) -> tuple[list[str], str]:
        """Apply x-mns-prefix / x-mns-marker / x-mns-ret-number (1..1000, default 1000) to sorted names."""
        prefix, marker = self.header("x-mns-prefix"), self.header("x-mns-marker")
        count = wire.parse_int(self.header("x-mns-ret-number", "1000"), "x-mns-ret-number") or 0
        if not 1 <= count <= 1000:
            raise e.InvalidArgument("The value of x-mns-ret-number should between 1 and 1000.")
        selected = [n for n in names if n.startswith(prefix) and n >= marker]
        return selected[:count], (selected[count] if len(selected) > count else "")

    def _listing(
        self, root: str, item: str, names: list[str], url: Callable[[str], str], meta: Callable[[str], Entry]
    ) -> Response:
        """ListTopic / ListQueue / ListSubscriptionByTopic; ``meta`` adds an entry's attributes on request."""
        page, next_marker = self._page(names)
        with_meta = self.header("x-mns-with-meta").lower() == "true"
        entries: list[Entry] = [[(f"{item}URL", url(n)), *(meta(n) if with_meta else [])] for n in page]
        return _xml(wire.listing(root, item, entries, next_marker))

    # -- account -------------------------------------------------------------------------------------------------
    @action
    def get_account_attributes(self) -> Response:
        return _xml(wire.account_attributes(self.backend.logging_bucket))

    @action
    def set_account_attributes(self) -> Response:
        self.backend.set_account_attributes(wire.parse_account_attributes(self.body))
        return _no_content()

    # -- topics --------------------------------------------------------------------------------------------------
    @action
    def create_topic(self) -> Response:
        size, logging_enabled = wire.parse_topic_attributes(self.body)
        created = self.backend.put_topic(self.name, size, logging_enabled)
        return self._created(f"topics/{self.name}", created)

    @action
    def set_topic_attributes(self) -> Response:
        size, logging_enabled = wire.parse_topic_attributes(self.body)
        self.backend.set_topic_attributes(self.name, size, logging_enabled)
        return _no_content()

    @action
    def get_topic_attributes(self) -> Response:
        return _xml(wire.topic_attributes(self.backend.get_topic(self.name)))

    @action
    def delete_topic(self) -> Response:
        self.backend.delete_topic(self.name)
        return _no_content()

    @action
    def list_topic(self) -> Response:
        names, meta = self.backend.topics(), lambda n: wire.topic_meta(self.backend.get_topic(n))
        return self._listing("Topics", "Topic", names, lambda n: self._url(f"topics/{n}"), meta)

    @action
    def publish_message(self) -> Response:
        message = wire.parse_messages(self.body)[1][0]
        published = self.backend.publish(
            self.name,
            message.body,
            message.tag,
            message.user_properties,
            system_properties=message.system_properties,
        )
        return _xml(wire.sent_message(published.message_id, published.body_md5), 201)

    # -- subscriptions -------------------------------------------------------------------------------------------
    @action
    def subscribe(self) -> Response:
        fields = wire.parse_subscription(self.body)
        self._check_queue_endpoint(fields["endpoint"] or "")
        created = self.backend.put_subscription(
            self.name,
            self.subscription,
            fields["endpoint"] or "",
            fields["notify_content_format"],
            fields["filter_tag"],
            fields["notify_strategy"],
        )
        return self._created(f"topics/{self.name}/subscriptions/{self.subscription}", created)

    def _check_queue_endpoint(self, endpoint: str) -> None:
        """A queue ARN must name this account and region (an empty field means them): MNS pushes only to the
        topic owner's own queues, and refuses another owner's as it refuses any other owner's resource."""
        owner = queue_arn_owner(endpoint)
        if owner is None:
            return
        region, account = owner
        if account not in ("", self.gateway.account_id) or region not in ("", self.gateway.region):
            raise e.AccessDenied()

    @action
    def set_subscription_attributes(self) -> Response:
        fields = wire.parse_subscription(self.body)
        self.backend.set_subscription_attributes(self.name, self.subscription, fields["notify_strategy"])
        return _no_content()

    @action
    def get_subscription_attributes(self) -> Response:
        sub = self.backend.get_subscription(self.name, self.subscription)
        return _xml(wire.subscription_attributes(sub, self.backend.owner))

    @action
    def unsubscribe(self) -> Response:
        self.backend.unsubscribe(self.name, self.subscription)
        return _no_content()

    @action
    def list_subscription_by_topic(self) -> Response:
        names = [s.name for s in self.backend.subscriptions(self.name)]
        url = lambda n: self._url(f"topics/{self.name}/subscriptions/{n}")  # noqa: E731
        return self._listing("Subscriptions", "Subscription", names, url, lambda n: [])

    # -- queues --------------------------------------------------------------------------------------------------
    @action
    def create_queue(self) -> Response:
        created = self.backend.put_queue(self.name, **wire.parse_queue_attributes(self.body))
        return self._created(f"queues/{self.name}", created)

    @action
    def set_queue_attributes(self) -> Response:
        self.backend.set_queue_attributes(self.name, **wire.parse_queue_attributes(self.body))
        return _no_content()

    @action
    def get_queue_attributes(self) -> Response:
        return _xml(wire.queue_attributes(self.backend.get_queue(self.name), self.backend.queue_counts(self.name)))

    @action
    def delete_queue(self) -> Response:
        self.backend.delete_queue(self.name)
        return _no_content()

    @action
    def list_queue(self) -> Response:
        names, meta = self.backend.queues(), lambda n: wire.queue_meta(self.backend.get_queue(n))
        return self._listing("Queues", "Queue", names, lambda n: self._url(f"queues/{n}"), meta)

    # -- messages ------------------------------------------------------------------------------------------------
    @action
    def send_message(self) -> Response:
        m = wire.parse_messages(self.body)[1][0]
        sent = self._send(m)
        return _xml(wire.sent_message(sent.message_id, sent.body_md5), 201)

    def _send(self, m: wire.MessageInput) -> QueueMessage:
        return self.backend.send_message(
            self.name, m.body, m.delay_seconds, m.priority, m.user_properties, m.system_properties
        )

    @action
    def batch_send_message(self) -> Response:
        messages = wire.parse_messages(self.body)[1]
        if not 1 <= len(messages) <= MAX_BATCH:
            raise e.InvalidArgument(f"The count of message should between 1 and {MAX_BATCH}.")
        results: list[tuple[str, str] | ServiceError] = []
        for m in messages:
            try:
                sent = self._send(m)
                results.append((sent.message_id, sent.body_md5))
            except e.QueueNotExist:
                raise
            except ServiceError as err:
                results.append(err)
        failed = any(isinstance(x, ServiceError) for x in results)
        return _xml(wire.batch_sent(results), 400 if failed else 201)

    def _receive(self, *, batch: bool, peek: bool) -> Response:
        batch_size = self._int_query("numOfMessages")
        taken = self.backend.receive(self.name, batch_size or 1, self._int_query("waitseconds"), peek)
        if not taken:
            raise e.MessageNotExist()
        return _xml(wire.received(taken, batch=batch, peek=peek))

    @action
    def receive_message(self) -> Response:
        return self._receive(batch=False, peek=False)

    @action
    def batch_receive_message(self) -> Response:
        return self._receive(batch=True, peek=False)

    @action
    def peek_message(self) -> Response:
        return self._receive(batch=False, peek=True)

    @action
    def batch_peek_message(self) -> Response:
        return self._receive(batch=True, peek=True)

    @action
    def delete_message(self) -> Response:
        self.backend.delete_message(self.name, self.query("ReceiptHandle"))
        return _no_content()

    @action
    def batch_delete_message(self) -> Response:
        failures: list[tuple[str, ServiceError]] = []
        for receipt in wire.parse_receipt_handles(self.body):
            try:
                self.backend.delete_message(self.name, receipt)
            except e.QueueNotExist:
                raise
            except ServiceError as err:
                failures.append((receipt, err))
        if failures:
            return _xml(wire.delete_errors(failures), 404)
        return _no_content()

    @action
    def change_message_visibility(self) -> Response:
        timeout = self._int_query("VisibilityTimeout")
        if timeout is None:
            raise e.MissingVisibilityTimeout()
        message = self.backend.change_visibility(self.name, self.query("ReceiptHandle"), timeout)
        return _xml(wire.changed_visibility(message.receipt_handle, message.next_visible_time))
