"""FC's API faces as responses classes: the 2016-08-15 API's InvokeFunction, FC 3.0's own 2023-03-30 API, and
the function's HTTP trigger.

All run the core pipeline (route → injected fault → signature → authorization → action). The 2016-08-15 API and
the trigger check FC 2.0's ``FC ak:sig`` (the trigger: FC 3.0's ACS3 check off the proxy path) and answer errors as
``{"ErrorCode","ErrorMessage"}``, the trigger marking its own with ``x-fc-error-type: FcCommonError``; the
2023-03-30 API checks ACS3-HMAC-SHA256 (the OpenAPI V3 signature its SDK sends) and answers
``{"Code","Message","RequestId"}``. The payload limits are checked as the body is read: 32 MB for sync calls and
triggers, 128 KB for async calls.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, ClassVar

from werkzeug.exceptions import RequestEntityTooLarge as BodyTooLarge
from werkzeug.wrappers import Response

from localcloud.auth import AuthFailure, acs3, verify_fc, wire
from localcloud.core.errors import ServiceError
from localcloud.core.gateway import ANONYMOUS, Identity
from localcloud.core.responses import BaseResponse, action
from localcloud.fc import describe, errors, trigger_gate
from localcloud.fc import wire as fc_wire
from localcloud.fc.models import FcBackend

SYNC_PAYLOAD_LIMIT = 32 * 1024 * 1024
"""FC 3.0's request payload limit for synchronous invocations and HTTP triggers."""
PROXY_PREFIX = "/2016-08-15/proxy/"
"""aliyun-fc2's ``do_http_request`` path prefix: the 2016-08-15 API's route to an HTTP trigger."""
ASYNC_PAYLOAD_LIMIT = 128 * 1024
"""FC's asynchronous-invocation payload limit (128 KB; FC 2.0 documented, FC 3.0 UNCONFIRMED)."""
MAX_LIST_LIMIT = 100
"""ListFunctions: "The minimum value is 1 and the maximum value is 100" (also used as the undocumented default)."""


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

    def run_invocation(self) -> Response:
        """InvokeFunction once the function is known: Sync runs it and answers its result, Async answers 202."""
        invocation_type = self.invocation_type()
        body = self.payload(ASYNC_PAYLOAD_LIMIT if invocation_type == "Async" else SYNC_PAYLOAD_LIMIT)
        if invocation_type == "Async":
            self.backend.invoke_async(body, source="api", request_id=self.request_id)
            return fc_wire.accepted_response(self.request_id)
        record = self.backend.invoke(body, source="api", request_id=self.request_id)
        return fc_wire.invoke_response(record, log_tail=self.header("x-fc-log-type").lower() == "tail")

    def payload(self, limit: int) -> bytes:
        """The request body, refused with EntityTooLarge past ``limit`` bytes."""
        self.request.max_content_length = limit
        try:
            body = wire.body(self.request)  # the signature check may have read it already, unbounded
        except BodyTooLarge:
            body = None
        if body is None or len(body) > limit:
            raise errors.EntityTooLarge(f"payload size exceeds maximum allowed size ({limit} bytes)")
        return body


class FcInvokeResponse(FcResponse):
    """``POST /2016-08-15/services/{service}[.{qualifier}]/functions/{function}/invocations``."""

    @action
    def invoke_function(self) -> Response:
        service, qualifier = self.route.args.get("service"), self.request.args.get("qualifier")
        if service is not None and "." in service:
            service, qualifier = service.split(".", 1)
        check_function(self.backend, service, self.route.args["function"], qualifier)
        return self.run_invocation()


class FcApiResponse(FcResponse):
    """FC 3.0's own API, ``/2023-03-30/...``: InvokeFunction, and the reads of the function s.yaml declares."""

    def verify(self) -> str:
        if not wire.header(self.request, "Authorization").strip():
            raise AuthFailure("missing", "the Authorization header is required")
        return acs3.verify(self.request, self.gateway.credentials)

    def render_error(self, error: ServiceError) -> Response:
        return fc_wire.api_error_response(error, self.request_id)

    def _function(self) -> str:
        """The function the path names, which must be this one (only ``LATEST`` exists)."""
        function = self.route.args["function"]
        check_function(self.backend, None, function, self.request.args.get("qualifier"))
        return function

    def _reply(self, document: dict[str, Any]) -> Response:
        return fc_wire.json_response(document, self.request_id)

    @action
    def invoke_function(self) -> Response:
        self._function()
        return self.run_invocation()

    @action
    def get_function(self) -> Response:
        self._function()
        return self._reply(describe.function_document(self.backend.deployment()))

    @action
    def list_functions(self) -> Response:
        deployment = self.backend.deployment()
        listed = describe.listed_function(deployment)
        wanted = {
            "prefix": lambda: listed["functionName"].startswith(self.query("prefix")),
            "functionName": lambda: listed["functionName"] == self.query("functionName"),
            "runtime": lambda: listed["runtime"] == self.query("runtime"),
            "description": lambda: listed["description"] == self.query("description"),
            "fcVersion": lambda: self._fc_version() == "v3",  # the local function is an FC 3.0 one
            "gpuType": lambda: (listed.get("gpuConfig") or {}).get("gpuType") == self.query("gpuType"),
            "resourceGroupId": lambda: listed.get("resourceGroupId") == self.query("resourceGroupId"),
            "tags": lambda: _has_tags(listed.get("tags"), self.query("tags")),
        }
        matches = all(test() for name, test in wanted.items() if name in self.request.args)
        return self._reply(self._page("functions", [listed] if matches else [], "functionName"))

    @action
    def list_triggers(self) -> Response:
        self._function()
        deployment = self.backend.deployment()
        prefix = self.query("prefix")
        triggers = [
            describe.trigger_document(deployment, trigger)
            for trigger in sorted(deployment.config.declared_triggers, key=lambda t: t.name)
            if trigger.name.startswith(prefix)
        ]
        return self._reply(self._page("triggers", triggers, "triggerName"))

    @action
    def get_trigger(self) -> Response:
        self._function()
        deployment = self.backend.deployment()
        name = self.route.args["trigger"]
        for trigger in deployment.config.declared_triggers:
            if trigger.name == name:
                return self._reply(describe.trigger_document(deployment, trigger))
        raise errors.TriggerNotFound(f"trigger '{name}' does not exist")

    @action
    def get_async_invoke_config(self) -> Response:
        function = self._function()
        deployment = self.backend.deployment()
        if not deployment.config.async_config.declared:
            raise errors.AsyncConfigNotExists(f"AsyncConfig for {function}:LATEST does not exist.")
        return self._reply(describe.async_config_document(deployment))

    @action
    def list_async_invoke_configs(self) -> Response:
        deployment = self.backend.deployment()
        named = self.query("functionName")
        listed = deployment.config.async_config.declared and named in ("", deployment.config.function_name)
        configs = [describe.async_config_document(deployment)] if listed else []
        return self._reply(self._page("configs", configs, "functionArn"))

    def _fc_version(self) -> str:
        version = self.query("fcVersion")
        if version not in ("v2", "v3"):
            raise errors.InvalidArgument(f"invalid fcVersion {version!r}: v2 or v3")
        return version

    def _page(self, field: str, items: list[dict[str, Any]], key: str) -> dict[str, Any]:
        """One page of ``items`` (sorted by ``key``) as ``{field: [...], "nextToken"?}``; the token is opaque (the
        base64 of the next page's first key) and absent on the last page."""
        limit = _bounded_int(self.query("limit", str(MAX_LIST_LIMIT)), "limit", 1, MAX_LIST_LIMIT)
        start = 0
        token = self.query("nextToken")
        if token:
            after = _decode_token(token)
            start = next((i for i, item in enumerate(items) if item[key] >= after), len(items))
        page: dict[str, Any] = {field: items[start : start + limit]}
        if start + limit < len(items):
            page["nextToken"] = base64.b64encode(items[start + limit][key].encode("utf-8")).decode("ascii")
        return page


def _bounded_int(text: str, name: str, low: int, high: int) -> int:
    try:
        value = int(text)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise errors.InvalidArgument(f"{name} must be an integer from {low} to {high}, got {text!r}")
    return value


def _has_tags(declared: Any, wanted: str) -> bool:
    """Whether the declared tags (``[{key, value}]``) include every tag of the filter (the SDK's JSON list)."""
    try:
        filters = json.loads(wanted)
    except ValueError:
        raise errors.InvalidArgument(f"invalid tags {wanted!r}: a JSON list of {{key, value}}") from None
    tags = {(str(t.get("key")), str(t.get("value"))) for t in declared or () if isinstance(t, dict)}
    if not isinstance(filters, list) or not all(isinstance(f, dict) for f in filters):
        raise errors.InvalidArgument(f"invalid tags {wanted!r}: a JSON list of {{key, value}}")
    return all((str(f.get("key")), str(f.get("value"))) in tags for f in filters)


def _decode_token(token: str) -> str:
    try:
        return base64.b64decode(token.encode("ascii"), validate=True).decode("utf-8")
    except (ValueError, binascii.Error, UnicodeError):
        raise errors.InvalidArgument(f"invalid nextToken {token!r}") from None


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
