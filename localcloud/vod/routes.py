"""VOD's HTTP face: one RPC endpoint ``/`` (GET or POST) that runs faults, auth, quota, then the action.

Order per request, as the OpenAPI gateway does it: injected fault → API lookup (version, action) → signature →
RAM (``forbidden_access_keys``) → per-account flow control → parameter checks and the operation itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.wrappers import Request, Response

from localcloud.auth import AuthFailure, verify_vod
from localcloud.faults import apply_latency, reset_connection
from localcloud.vod import responses
from localcloud.vod.errors import (
    Forbidden,
    InternalError,
    InvalidActionNotFound,
    InvalidVersion,
    MissingParameter,
    ThrottlingUser,
    VodError,
    error_for_auth_failure,
    error_for_code,
)
from localcloud.vod.models import VodCall

API_VERSION = "2017-03-21"
ACTIONS = {
    "UploadMediaByURL": "upload_media_by_url",
    "GetURLUploadInfos": "get_url_upload_infos",
    "CancelUrlUploadJobs": "cancel_url_upload_jobs",
}
log = logging.getLogger("localcloud.vod")


class VodApp:
    """The WSGI app; state lives in ``cloud.vod`` (a :class:`~localcloud.vod.models.VodBackend`)."""

    def __init__(self, cloud: Any) -> None:
        self.cloud = cloud
        self.backend = cloud.vod
        self.operations = responses.VodResponses(self.backend)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        return self.handle(request)(environ, start_response)

    def handle(self, request: Request) -> Response:
        request_id = responses.new_request_id()
        action = responses.action_name(request) or ""
        params = responses.request_params(request)
        decision = self.cloud.faults.decide("vod", action)
        apply_latency(decision)
        if decision.reset:
            # Record first: the client sees the reset at once and may look at ``calls`` straight away.
            self._record(action, params, 0, "ConnectionReset", None)
            reset_connection(request.environ)
            return Response(b"", status=500)
        access_key_id: str | None = None
        try:
            if decision.error_code:
                raise error_for_code(decision.error_code)
            method = self._lookup(request, action)
            access_key_id = self._authenticate(request)
            if access_key_id in self.backend.forbidden_access_keys:
                raise Forbidden()
            if not self.backend.admit(action, self.cloud.account_id):
                raise ThrottlingUser()
            body = getattr(self.operations, method)(params)
            response = responses.json_response(body, request_id)
            error_code = None
        except VodError as error:
            response = self._error(error, request_id)
            error_code = error.code
        except Exception:  # an emulator bug must still answer like the service would, and be visible in logs
            log.exception("VOD %s failed", action)
            response = self._error(InternalError(), request_id)
            error_code = InternalError.code
        self._record(action, params, response.status_code, error_code, access_key_id)
        return response

    def _lookup(self, request: Request, action: str) -> str:
        if request.path != "/" or request.method not in ("GET", "POST"):
            raise InvalidActionNotFound()
        version = responses.api_version(request)
        if not version:
            raise MissingParameter.named("Version")
        if version != API_VERSION:
            raise InvalidVersion()
        if not action:
            raise MissingParameter.named("Action")
        method = ACTIONS.get(action)
        if method is None:
            raise InvalidActionNotFound()
        return method

    def _authenticate(self, request: Request) -> str:
        try:
            return verify_vod(request, self.cloud.credentials)
        except AuthFailure as failure:
            error = error_for_auth_failure(failure.kind)
            raise type(error)(f"{error.text} ({failure.detail})") from None

    def _error(self, error: VodError, request_id: str) -> Response:
        retry_after = self.backend.send_retry_after_ms if error.code.startswith("Throttling") else None
        return responses.error_response(error, request_id, self.cloud.region, retry_after)

    def _record(
        self,
        action: str,
        params: dict[str, str],
        status: int,
        error_code: str | None,
        access_key_id: str | None,
    ) -> None:
        self.backend.record_call(
            VodCall(
                action=action,
                params=params,
                status=status,
                error_code=error_code,
                access_key_id=access_key_id,
                at=self.cloud.clock.now(),
            )
        )


def make_app(cloud: Any) -> VodApp:
    """``cloud`` needs ``vod``, ``clock``, ``faults``, ``credentials``, ``region`` and ``account_id``."""
    return VodApp(cloud)
