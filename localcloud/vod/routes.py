"""VOD's HTTP face: one RPC endpoint, ``/`` by GET or POST, that names the API action for the pipeline.

The OpenAPI gateway looks the API up before it checks the signature: another path or method is
``InvalidApi.NotFound``, a missing or other API version ``MissingParameter``/``InvalidVersion``, a missing action
``MissingParameter`` and an action VOD does not have (or this emulator does not emulate) ``InvalidAction.NotFound``.
After the signature come RAM (``forbidden_access_keys``) and the per-account quota (:class:`VodResponse`).
"""

from __future__ import annotations

from werkzeug.wrappers import Request

from localcloud.core.gateway import Gateway
from localcloud.core.responses import Route, ServiceApp
from localcloud.vod.errors import InvalidVersion, MissingParameter
from localcloud.vod.models import VodBackend
from localcloud.vod.responses import VodResponse
from localcloud.vod.wire import action_name, api_version

API_VERSION = "2017-03-21"


def route(request: Request) -> Route | None:
    if request.path != "/" or request.method not in ("GET", "POST"):
        return None
    version = api_version(request)
    if not version:
        raise MissingParameter.named("Version")
    if version != API_VERSION:
        raise InvalidVersion()
    action = action_name(request)
    if not action:
        raise MissingParameter.named("Action")
    return Route(action)


def make_app(backend: VodBackend, gateway: Gateway) -> ServiceApp:
    return ServiceApp(VodResponse, route, backend, gateway)
