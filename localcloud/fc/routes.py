"""FC's two HTTP faces: the InvokeFunction API (what aliyun-fc2 calls) and the function's HTTP trigger.

Per request: route → injected fault → signature → function lookup → payload limits → invoke. The invoke API
checks FC 2.0's ``FC ak:sig``; the HTTP trigger checks FC 3.0's ACS3 signature (:mod:`localcloud.fc.trigger_gate`).
State and execution live in ``cloud.fc`` (:class:`~localcloud.fc.models.FcBackend`).
"""

from __future__ import annotations

import logging
from typing import Any

from werkzeug.exceptions import MethodNotAllowed as WerkzeugMethodNotAllowed
from werkzeug.exceptions import NotFound, RequestEntityTooLarge
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from localcloud.auth import AuthFailure, verify_fc, wire
from localcloud.faults import apply_latency, reset_connection
from localcloud.fc import errors, responses, trigger_gate
from localcloud.fc.models import FcBackend
from localcloud.fc.records import new_request_id
from localcloud.server import WsgiApp

log = logging.getLogger("localcloud.fc")

SYNC_PAYLOAD_LIMIT = 32 * 1024 * 1024
"""FC 3.0's request payload limit for synchronous invocations and HTTP triggers."""
ASYNC_PAYLOAD_LIMIT = 128 * 1024
"""FC's asynchronous-invocation payload limit (128 KB; FC 2.0 documented, FC 3.0 UNCONFIRMED)."""
OPERATION = "InvokeFunction"
_PROXY_PREFIX = "/2016-08-15/proxy/"

_INVOKE_ROUTES = Map(
    [
        Rule(
            "/2016-08-15/services/<service>/functions/<function>/invocations",
            endpoint="fc2",
            methods=["POST"],
        ),
        Rule("/2023-03-30/functions/<function>/invocations", endpoint="fc3", methods=["POST"]),
    ]
)


def _fault(cloud: Any, request: Request) -> Response | None:
    """Apply the injected fault for InvokeFunction: latency, a reset connection, or an error code."""
    decision = cloud.faults.decide("fc", OPERATION)
    apply_latency(decision)
    if decision.reset:
        reset_connection(request.environ)
        return Response(b"", status=500)
    if decision.error_code:
        raise errors.error_for_code(decision.error_code)
    return None


def _authenticate(cloud: Any, request: Request) -> str:
    try:
        return verify_fc(request, cloud.credentials)
    except AuthFailure as failure:
        raise errors.error_for_auth(failure) from None


def _read_body(request: Request, limit: int) -> bytes:
    request.max_content_length = limit
    try:
        return wire.body(request)
    except RequestEntityTooLarge:
        raise errors.EntityTooLarge(f"payload size exceeds maximum allowed size ({limit} bytes)") from None


def _invocation_type(request: Request) -> str:
    value = request.headers.get("x-fc-invocation-type", "Sync").strip() or "Sync"
    for known in ("Sync", "Async"):
        if value.lower() == known.lower():
            return known
    raise errors.InvalidArgument(f"invalid x-fc-invocation-type {value!r}: Sync or Async")


def _check_function(backend: FcBackend, service: str | None, function: str, qualifier: str | None) -> None:
    if service is not None and service != backend.service_name:
        raise errors.ServiceNotFound(f"service '{service}' does not exist")
    if function != backend.function_name:
        raise errors.FunctionNotFound(f"function '{function}' does not exist")
    if qualifier not in (None, "", "LATEST"):
        raise errors.AliasNotFound(f"alias '{qualifier}' of service '{backend.service_name}' does not exist")


def make_invoke_app(cloud: Any) -> WsgiApp:
    """``POST /2016-08-15/services/{service}[.{qualifier}]/functions/{function}/invocations`` (+ FC 3.0)."""

    @Request.application  # type: ignore[misc]
    def app(request: Request) -> Response:
        request_id = new_request_id(cloud.clock.now())
        try:
            try:
                endpoint, args = _INVOKE_ROUTES.bind_to_environ(request.environ).match()
            except (NotFound, WerkzeugMethodNotAllowed):
                raise errors.PathNotSupported(f"'{request.method}' against '{request.path}' is not supported") from None
            reset = _fault(cloud, request)
            if reset is not None:
                return reset
            _authenticate(cloud, request)
            backend: FcBackend = cloud.fc
            service, qualifier = args.get("service"), request.args.get("qualifier")
            if service is not None and "." in service:
                service, qualifier = service.split(".", 1)
            _check_function(backend, service if endpoint == "fc2" else None, args["function"], qualifier)
            invocation_type = _invocation_type(request)
            limit = ASYNC_PAYLOAD_LIMIT if invocation_type == "Async" else SYNC_PAYLOAD_LIMIT
            body = _read_body(request, limit)
            if invocation_type == "Async":
                backend.invoke_async(body, source="api", request_id=request_id)
                return responses.accepted_response(request_id)
            record = backend.invoke(body, source="api", request_id=request_id)
            tail = request.headers.get("x-fc-log-type", "").lower() == "tail"
            return responses.invoke_response(record, log_tail=tail)
        except errors.FcApiError as error:
            return responses.error_response(error, request_id)
        except Exception:  # an emulator bug still answers in FC's format (aliyun-fc2 needs JSON on 5xx)
            log.exception("InvokeFunction failed")
            return responses.error_response(errors.InternalServerError(), request_id)

    return app


def _trigger_path(backend: FcBackend, request: Request) -> str:
    """The raw path the function sees; aliyun-fc2's ``/2016-08-15/proxy/{service}/{function}`` is stripped."""
    raw_path, _ = wire.raw_target(request)
    if not raw_path.startswith(_PROXY_PREFIX):
        return raw_path
    service, _, rest = raw_path[len(_PROXY_PREFIX) :].partition("/")
    function, _, rest = rest.partition("/")
    service = wire.unquote_path(service).split(".", 1)[0]
    _check_function(backend, service, wire.unquote_path(function), None)
    return "/" + rest


def make_http_trigger_app(cloud: Any) -> WsgiApp:
    """The function's HTTP trigger: any path and method, FC 3.0 event in, the handler's HTTP reply out."""

    @Request.application  # type: ignore[misc]
    def app(request: Request) -> Response:
        request_id = new_request_id(cloud.clock.now())
        try:
            backend: FcBackend = cloud.fc
            trigger = backend.config.http_trigger
            if trigger is None:
                raise errors.HttpTriggerNotFound(f"function '{backend.function_name}' has no HTTP trigger")
            trigger_gate.check_host(cloud, request)
            raw_path = _trigger_path(backend, request)
            reset = _fault(cloud, request)
            if reset is not None:
                return reset
            if request.method.upper() not in trigger.methods:
                allowed = ", ".join(trigger.methods)
                raise errors.MethodNotAllowed(f"method {request.method} is not allowed by the trigger ({allowed})")
            if trigger.auth_type != "anonymous":  # "function" (and "jwt", not emulated) need a signature
                if wire.raw_target(request)[0].startswith(_PROXY_PREFIX):
                    _authenticate(cloud, request)  # the 2016-08-15 API's FC scheme (aliyun-fc2 do_http_request)
                else:
                    trigger_gate.authenticate(cloud, request)  # FC 3.0: ACS3-HMAC-SHA256
            try:
                body = _read_body(request, SYNC_PAYLOAD_LIMIT)
            except errors.EntityTooLarge as exc:
                raise errors.RequestEntityTooLarge(exc.message) from None
            event = responses.http_event(
                request,
                raw_path=raw_path,
                body=body,
                request_id=request_id,
                account_id=cloud.account_id,
                now=cloud.clock.now(),
            )
            if _invocation_type(request) == "Async":
                backend.invoke_async(event, source="http", trigger=trigger.name, request_id=request_id)
                return responses.accepted_response(request_id)
            record = backend.invoke(event, source="http", trigger=trigger.name, request_id=request_id)
            return responses.http_trigger_response(record)
        except errors.FcApiError as error:
            return responses.error_response(error, request_id, error_type="FcCommonError")
        except Exception:
            log.exception("HTTP trigger invocation failed")
            return responses.error_response(errors.InternalServerError(), request_id, error_type="FcCommonError")

    return app
