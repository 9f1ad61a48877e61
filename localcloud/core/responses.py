"""The request pipeline every local service runs, and the WSGI app that runs it (moto's ``BaseResponse``).

Per request, in this order:

1. **route**: the service's router names the API action (and the resource it acts on) from the path, method,
   sub-resources or headers; a request it does not emulate gets the service's not-implemented error, an
   action name the responses class has no method for gets its unknown-action error;
2. **injected fault** (:mod:`localcloud.faults`): latency, a dropped connection, or an error code;
3. **authentication**: the service's signature check gives the caller's :class:`~localcloud.core.gateway.Identity`;
4. **authorization**: ``gateway.authorize(identity, service, RAM action, resource)``;
5. **admission**: service limits checked once the caller is known (VOD's per-account quota);
6. **action**: the responses method named after the action (``CancelUrlUploadJobs`` → ``cancel_url_upload_jobs``);
7. **error rendering**: a :class:`~localcloud.core.errors.ServiceError` in the service's own format, anything
   else logged and answered as the service's internal error;
8. **finish and record**: the request-id header, then the call log of services that keep one.

Each service subclasses :class:`BaseResponse`, sets its error table and wire details, and overrides the hooks
where it differs.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from werkzeug.wrappers import Request, Response

from localcloud.auth.errors import AuthFailure
from localcloud.core.errors import ErrorTable, ServiceError
from localcloud.core.gateway import AuthorizationDenied, Gateway, Identity
from localcloud.core.ids import RequestIdStyle, new_request_id
from localcloud.faults import apply_latency, reset_connection

log = logging.getLogger("localcloud")

Action = TypeVar("Action", bound=Callable[..., Response])


@dataclass(frozen=True)
class Route:
    """What a request asks for: the API ``action``, the ``resource`` it acts on (the tail of its ACS ARN), the
    values the router read from the path (``args``), and the RAM action a policy must allow when it is not the API
    action's own name (OSS: ``HeadObject`` needs ``oss:GetObject``)."""

    action: str
    resource: str = "*"
    args: Mapping[str, str] = field(default_factory=dict)
    ram_action: str = ""

    @property
    def permission(self) -> str:
        """The action name RAM checks, without the service prefix."""
        return self.ram_action or self.action


Router = Callable[[Request], Route | None]
"""Names the route of a request, or None when the service does not emulate what it asks for."""


def action(method: Action) -> Action:
    """Mark a responses method as an API action (only marked methods can be reached by an action name)."""
    method.is_action = True  # type: ignore[attr-defined]
    return method


@functools.lru_cache(maxsize=256)
def method_name(action_name: str) -> str:
    """``GetURLUploadInfos`` → ``get_url_upload_infos``, ``ListObjectsV2`` → ``list_objects_v2``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", action_name).lower()


class BaseResponse:
    """One request to one service: the pipeline, with hooks for what each service does its own way."""

    service: ClassVar[str]
    """The service name faults, ARNs and logs use (``vod``, ``mns``, ``oss``, ``fc``)."""
    errors: ClassVar[ErrorTable]
    request_id_style: ClassVar[RequestIdStyle]
    request_id_header: ClassVar[str]
    actions: ClassVar[frozenset[str]] = frozenset()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.actions = frozenset(name for name in dir(cls) if getattr(getattr(cls, name), "is_action", False))

    def __init__(self, request: Request, backend: Any, gateway: Gateway) -> None:
        self.request = request
        self.backend = backend
        self.gateway = gateway
        self.request_id = new_request_id(self.request_id_style, gateway.clock.now())
        self.route = Route("")
        self.identity: Identity | None = None

    # -- the pipeline --------------------------------------------------------------------------------------------
    def respond(self, router: Router) -> Response:
        error_code: str | None = None
        try:
            self.route = self._resolve(router)
            handler = getattr(self, method_name(self.route.action))
            decision = self.gateway.faults.decide(self.service, self.route.action)
            apply_latency(decision)
            if decision.reset:
                return self._drop_connection()
            if decision.error_code:
                raise self.errors.from_code(decision.error_code)
            self.identity = self.authenticate()
            self.authorize(self.identity)
            self.admit(self.identity)
            response = handler()
        except ServiceError as error:
            response, error_code = self.render_error(error), error.code
        except Exception:  # an emulator bug still answers as the service would, and shows in the log
            log.exception("%s %s failed", self.service, self.route.action or self.request.path)
            error = self.errors.internal()
            response, error_code = self.render_error(error), error.code
        response = self.finish(response)
        self.record(response.status_code, error_code)
        return response

    def _resolve(self, router: Router) -> Route:
        route = router(self.request)
        if route is None:
            raise self.not_implemented()
        if method_name(route.action) not in self.actions:
            raise self.errors.unknown_action()
        return route

    def _drop_connection(self) -> Response:
        self.record(0, "ConnectionReset")  # first: the client sees the reset at once and may read the log
        reset_connection(self.request.environ)
        return Response(b"", status=500)

    # -- hooks ---------------------------------------------------------------------------------------------------
    def not_implemented(self) -> ServiceError:
        """The answer to a request the service does not emulate."""
        return self.errors.not_implemented()

    def verify(self) -> str:
        """Check the request's signature; return its AccessKeyId or raise AuthFailure."""
        raise NotImplementedError

    def authenticate(self) -> Identity:
        try:
            return Identity(self.verify())
        except AuthFailure as failure:
            raise self.auth_error(failure) from None

    def auth_error(self, failure: AuthFailure) -> ServiceError:
        return self.errors.from_auth(failure)

    def authorize(self, identity: Identity) -> None:
        """Ask the gateway's authorizer; a refusal is the service's access-denied error, its message followed by
        the reason (what was asked and which policy refused it) so that a caller's log says what to grant."""
        resource = self.gateway.arn(self.service, self.route.resource)
        try:
            self.gateway.authorize(identity, self.service, self.route.permission, resource)
        except AuthorizationDenied as denied:
            cls = self.errors.explicitly_denied if denied.explicit else self.errors.denied
            raise cls(f"{cls.message} ({denied.reason})") from None

    def admit(self, identity: Identity) -> None:
        """Limits checked once the caller is known (quotas); none by default."""

    def render_error(self, error: ServiceError) -> Response:
        raise NotImplementedError

    def finish(self, response: Response) -> Response:
        response.headers[self.request_id_header] = self.request_id
        return response

    def record(self, status: int, error_code: str | None) -> None:
        """Log the handled call (services that keep a call log); status 0 is a dropped connection."""

    # -- request helpers -----------------------------------------------------------------------------------------
    @property
    def body(self) -> bytes:
        """The whole request body (cached: the signature check may have read it already)."""
        return self.request.get_data(cache=True)

    def query(self, name: str, default: str = "") -> str:
        return self.request.args.get(name, default)

    def header(self, name: str, default: str = "") -> str:
        return self.request.headers.get(name, default)


class ServiceApp:
    """The WSGI app of one service: each request runs a fresh ``responses`` object's pipeline."""

    def __init__(self, responses: type[BaseResponse], router: Router, backend: Any, gateway: Gateway) -> None:
        self.responses = responses
        self.router = router
        self.backend = backend
        self.gateway = gateway

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        handler = self.responses(Request(environ), self.backend, self.gateway)
        return handler.respond(self.router)(environ, start_response)
