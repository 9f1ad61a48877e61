"""FC's HTTP faces, routed: the API endpoint and the function's HTTP trigger.

The API endpoint (``<account>.<region>.fc.aliyuncs.com`` on FC) serves three things, told apart by the path:
FC 3.0's own API ``/2023-03-30/...`` (what ``alibabacloud-fc20230330`` calls: InvokeFunction and the reads of
:data:`API_ROUTES`), the 2016-08-15 API's InvokeFunction (what ``aliyun-fc2`` calls), and the 2016-08-15 API's
``/2016-08-15/proxy/{service}/{function}/...`` route to the HTTP trigger (``aliyun-fc2``'s ``do_http_request``),
which behaves exactly as on the trigger's own port. Any other path or method is FC's ``PathNotSupported``, in the
error format of the API version the path names.

The trigger answers every path, but only the methods its ``s.yaml`` entry lists (``MethodNotAllowed`` otherwise),
and ``TriggerNotFound`` when the function has no HTTP trigger, or ``DomainNameNotFound`` for another
``*.fcapp.run`` host; the proxy prefix is stripped from the path the function sees. It checks FC 3.0's ACS3
signature (:mod:`.trigger_gate`), the proxy path FC 2.0's ``FC ak:sig``.

State and execution live in :class:`~localcloud.fc.models.FcBackend`; the actions in :mod:`.responses`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request

from localcloud.auth import wire
from localcloud.core.gateway import Gateway
from localcloud.core.responses import Route, ServiceApp
from localcloud.fc import errors, trigger_gate
from localcloud.fc.models import FcBackend
from localcloud.fc.responses import (
    PROXY_PREFIX,
    FcApiResponse,
    FcInvokeResponse,
    FcTriggerResponse,
    check_function,
)

ACTION = "InvokeFunction"
API_PREFIX = "/2023-03-30/"
API_ROUTES: dict[str, tuple[str, str, Callable[[dict[str, str]], str]]] = {
    "InvokeFunction": ("POST", "/functions/<function>/invocations", lambda a: f"functions/{a['function']}"),
    "GetFunction": ("GET", "/functions/<function>", lambda a: f"functions/{a['function']}"),
    "ListFunctions": ("GET", "/functions", lambda a: "*"),
    "ListTriggers": ("GET", "/functions/<function>/triggers", lambda a: f"functions/{a['function']}/triggers/*"),
    "GetTrigger": (
        "GET",
        "/functions/<function>/triggers/<trigger>",
        lambda a: f"functions/{a['function']}/triggers/{a['trigger']}",
    ),
    "GetAsyncInvokeConfig": (
        "GET",
        "/functions/<function>/async-invoke-config",
        lambda a: f"functions/{a['function']}",
    ),
    "ListAsyncInvokeConfigs": ("GET", "/async-invoke-configs", lambda a: "*"),
}
"""The 2023-03-30 operations the local FC emulates: action → (method, path below the version, RAM resource, the
tail of ``acs:fc:<region>:<account>:``). The action name is also the RAM action (``fc:<action>``)."""

_API_MAP = Map(
    [
        Rule(API_PREFIX.rstrip("/") + path, methods=[method], endpoint=name)
        for name, (method, path, _) in API_ROUTES.items()
    ]
)
_INVOKE_MAP = Map([Rule("/2016-08-15/services/<service>/functions/<function>/invocations", methods=["POST"])])


def _match(routes: Map, request: Request) -> tuple[str, dict[str, str]] | None:
    """The endpoint and path values of the rule ``request`` matches exactly (HEAD is not GET here)."""
    if request.method.upper() == "HEAD":
        return None
    try:
        endpoint, args = routes.bind_to_environ(request.environ).match()
    except HTTPException:
        return None
    return str(endpoint), args


def route_api(request: Request) -> Route | None:
    """FC 3.0's API: one of :data:`API_ROUTES`, or None (``PathNotSupported``)."""
    matched = _match(_API_MAP, request)
    if matched is None:
        return None
    action, args = matched
    return Route(action, API_ROUTES[action][2](args), args)


def route_invoke(request: Request) -> Route | None:
    """The 2016-08-15 API: InvokeFunction only."""
    matched = _match(_INVOKE_MAP, request)
    if matched is None:
        return None
    args = matched[1]
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


class FcApiApp:
    """The API endpoint's WSGI app: each request goes to the pipeline of the API its path names."""

    def __init__(self, backend: FcBackend, gateway: Gateway) -> None:
        self.api = ServiceApp(FcApiResponse, route_api, backend, gateway)
        self.proxy = ServiceApp(FcTriggerResponse, partial(route_trigger, backend), backend, gateway)
        self.invoke = ServiceApp(FcInvokeResponse, route_invoke, backend, gateway)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path, _ = wire.raw_target(Request(environ))
        if path.startswith(API_PREFIX):
            return self.api(environ, start_response)
        if path.startswith(PROXY_PREFIX):
            return self.proxy(environ, start_response)
        return self.invoke(environ, start_response)


def make_invoke_app(backend: FcBackend, gateway: Gateway) -> FcApiApp:
    """The API endpoint (the 2023-03-30 API, the 2016-08-15 API and its proxy path to the HTTP trigger)."""
    return FcApiApp(backend, gateway)


def make_http_trigger_app(backend: FcBackend, gateway: Gateway) -> ServiceApp:
    return ServiceApp(FcTriggerResponse, partial(route_trigger, backend), backend, gateway)
