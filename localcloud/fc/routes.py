"""FC's two HTTP faces, routed: the InvokeFunction API (what aliyun-fc2 calls) and the function's HTTP trigger.

State and execution live in :class:`~localcloud.fc.models.FcBackend`; the actions in :mod:`.responses`. On the
API endpoint any other path or method is FC's ``PathNotSupported``. The trigger answers every path, but only
the methods its ``s.yaml`` entry lists (``MethodNotAllowed`` otherwise), and ``TriggerNotFound`` when the function
has no HTTP trigger, or ``DomainNameNotFound`` for another ``*.fcapp.run`` host; aliyun-fc2's ``do_http_request``
prefix ``/2016-08-15/proxy/{service}/{function}`` is stripped from the path the function sees. The trigger checks
FC 3.0's ACS3 signature (:mod:`.trigger_gate`), the API and the proxy path FC 2.0's ``FC ak:sig``.
"""

from __future__ import annotations

from functools import partial

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request

from localcloud.auth import wire
from localcloud.core.gateway import Gateway
from localcloud.core.responses import Route, ServiceApp
from localcloud.fc import errors, trigger_gate
from localcloud.fc.models import FcBackend
from localcloud.fc.responses import PROXY_PREFIX, FcInvokeResponse, FcTriggerResponse, check_function

ACTION = "InvokeFunction"
_INVOKE_ROUTES = Map(
    [
        Rule("/2016-08-15/services/<service>/functions/<function>/invocations", methods=["POST"]),
        Rule("/2023-03-30/functions/<function>/invocations", methods=["POST"]),
    ]
)


def route_invoke(request: Request) -> Route | None:
    try:
        _, args = _INVOKE_ROUTES.bind_to_environ(request.environ).match()
    except HTTPException:
        return None
    return Route(ACTION, f"functions/{args['function']}", args)


def _trigger_path(backend: FcBackend, request: Request) -> str:
    """The raw path the function sees; aliyun-fc2's ``/2016-08-15/proxy/{service}/{function}`` is stripped."""
    raw_path, _ = wire.raw_target(request)
    if not raw_path.startswith(PROXY_PREFIX):
        return raw_path
    service, _, rest = raw_path[len(PROXY_PREFIX) :].partition("/")
    function, _, rest = rest.partition("/")
    service = wire.unquote_path(service).split(".", 1)[0]
    check_function(backend, service, wire.unquote_path(function), None)
    return "/" + rest


def route_trigger(backend: FcBackend, request: Request) -> Route:
    trigger = backend.config.http_trigger
    if trigger is None:
        raise errors.HttpTriggerNotFound(f"function '{backend.function_name}' has no HTTP trigger")
    trigger_gate.check_host(
        request, account_id=backend.account_id, region=backend.region, function_name=backend.function_name
    )
    raw_path = _trigger_path(backend, request)
    if request.method.upper() not in trigger.methods:
        allowed = ", ".join(trigger.methods)
        raise errors.MethodNotAllowed(f"method {request.method} is not allowed by the trigger ({allowed})")
    return Route(ACTION, f"functions/{backend.function_name}", {"raw_path": raw_path, "trigger": trigger.name})


def make_invoke_app(backend: FcBackend, gateway: Gateway) -> ServiceApp:
    return ServiceApp(FcInvokeResponse, route_invoke, backend, gateway)


def make_http_trigger_app(backend: FcBackend, gateway: Gateway) -> ServiceApp:
    return ServiceApp(FcTriggerResponse, partial(route_trigger, backend), backend, gateway)
