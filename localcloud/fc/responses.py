"""FC's two API faces as responses classes: InvokeFunction on the API endpoint, and the function's HTTP trigger.

Both run the core pipeline (route → injected fault → signature → authorization → action) and answer
errors as ``{"ErrorCode","ErrorMessage"}``; the trigger marks its own with ``x-fc-error-type: FcCommonError``.
The payload limits are checked as the body is read: 32 MB for sync calls and triggers, 128 KB for async calls.
"""

from __future__ import annotations

from typing import ClassVar

from werkzeug.exceptions import RequestEntityTooLarge as BodyTooLarge
from werkzeug.wrappers import Response

from localcloud.auth import verify_fc, wire
from localcloud.core.errors import ServiceError
from localcloud.core.gateway import ANONYMOUS, Identity
from localcloud.core.responses import BaseResponse, action
from localcloud.fc import errors, trigger_gate
from localcloud.fc import wire as fc_wire
from localcloud.fc.models import FcBackend

SYNC_PAYLOAD_LIMIT = 32 * 1024 * 1024
"""FC 3.0's request payload limit for synchronous invocations and HTTP triggers."""
PROXY_PREFIX = "/2016-08-15/proxy/"
"""aliyun-fc2's ``do_http_request`` path prefix: the 2016-08-15 API's route to an HTTP trigger."""
ASYNC_PAYLOAD_LIMIT = 128 * 1024
"""FC's asynchronous-invocation payload limit (128 KB; FC 2.0 documented, FC 3.0 UNCONFIRMED)."""


def check_function(backend: FcBackend, service: str | None, function: str, qualifier: str | None) -> None:
    """The function a request names must be this one (its service is the s.yaml project; only LATEST exists)."""
    if service is not None and service != backend.service_name:
        raise errors.ServiceNotFound(f"service '{service}' does not exist")
    if function != backend.function_name:
        raise errors.FunctionNotFound(f"function '{function}' does not exist")
    if qualifier not in (None, "", "LATEST"):
        raise errors.AliasNotFound(f"alias '{qualifier}' of service '{backend.service_name}' does not exist")


class FcResponse(BaseResponse):
    """What both faces share: FC's signature, error format, request ids and payload limits."""

    service = "fc"
    errors = errors.ERRORS
    request_id_style = "fc"
    request_id_header = "x-fc-request-id"
    error_type: ClassVar[str | None] = None
    backend: FcBackend

    def verify(self) -> str:
        return verify_fc(self.request, self.gateway.credentials)

    def not_implemented(self) -> ServiceError:
        return errors.PathNotSupported(f"'{self.request.method}' against '{self.request.path}' is not supported")

    def render_error(self, error: ServiceError) -> Response:
        return fc_wire.error_response(error, self.request_id, error_type=self.error_type)

    def invocation_type(self) -> str:
        value = self.header("x-fc-invocation-type", "Sync").strip() or "Sync"
        for known in ("Sync", "Async"):
            if value.lower() == known.lower():
                return known
        raise errors.InvalidArgument(f"invalid x-fc-invocation-type {value!r}: Sync or Async")

    def payload(self, limit: int) -> bytes:
        """The request body, refused with EntityTooLarge past ``limit`` bytes."""
        self.request.max_content_length = limit
        try:
            return wire.body(self.request)
        except BodyTooLarge:
            raise errors.EntityTooLarge(f"payload size exceeds maximum allowed size ({limit} bytes)") from None


class FcInvokeResponse(FcResponse):
    """``POST /2016-08-15/services/{service}[.{qualifier}]/functions/{function}/invocations`` (+ FC 3.0's path)."""

    @action
    def invoke_function(self) -> Response:
        service, qualifier = self.route.args.get("service"), self.request.args.get("qualifier")
        if service is not None and "." in service:
            service, qualifier = service.split(".", 1)
        check_function(self.backend, service, self.route.args["function"], qualifier)
        invocation_type = self.invocation_type()
        body = self.payload(ASYNC_PAYLOAD_LIMIT if invocation_type == "Async" else SYNC_PAYLOAD_LIMIT)
        if invocation_type == "Async":
            self.backend.invoke_async(body, source="api", request_id=self.request_id)
            return fc_wire.accepted_response(self.request_id)
        record = self.backend.invoke(body, source="api", request_id=self.request_id)
        return fc_wire.invoke_response(record, log_tail=self.header("x-fc-log-type").lower() == "tail")


class FcTriggerResponse(FcResponse):
    """The HTTP trigger: any path, the FC 3.0 HTTP event in, the handler's HTTP reply out."""

    error_type = "FcCommonError"

    def authenticate(self) -> Identity:
        """``authType: anonymous`` takes unsigned requests; ``function`` (and ``jwt``, not emulated) is signed:
        FC 3.0's ACS3 signature, or FC 2.0's ``FC ak:sig`` on the 2016-08-15 API's ``/proxy/`` path."""
        trigger = self.backend.config.http_trigger
        if trigger is not None and trigger.auth_type == "anonymous":
            return ANONYMOUS
        if wire.raw_target(self.request)[0].startswith(PROXY_PREFIX):
            return super().authenticate()
        return Identity(trigger_gate.authenticate(self.request, self.gateway.credentials))

    @action
    def invoke_function(self) -> Response:
        trigger = self.route.args["trigger"]
        try:
            body = self.payload(SYNC_PAYLOAD_LIMIT)
        except errors.EntityTooLarge as exc:
            raise errors.RequestEntityTooLarge(exc.message) from None
        event = fc_wire.http_event(
            self.request,
            raw_path=self.route.args["raw_path"],
            body=body,
            request_id=self.request_id,
            account_id=self.gateway.account_id,
            now=self.gateway.clock.now(),
        )
        if self.invocation_type() == "Async":
            self.backend.invoke_async(event, source="http", trigger=trigger, request_id=self.request_id)
            return fc_wire.accepted_response(self.request_id)
        record = self.backend.invoke(event, source="http", trigger=trigger, request_id=self.request_id)
        return fc_wire.http_trigger_response(record)
