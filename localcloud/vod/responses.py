"""VOD's API actions (:class:`VodResponse`): read RPC parameters, split and decode the comma lists, render.

Parameters and answers are read and written by :mod:`localcloud.vod.wire` (query and form body; JSON or XML). A
list parameter is ONE value whose comma-separated items are each URL-encoded by the caller, so items are split on
``,`` first and then decoded once with ``unquote`` (``+`` stays ``+``: only the transport layer, already undone by
werkzeug, turns ``+`` into a space).
"""

from __future__ import annotations

import functools
import json
import logging
import time
from typing import Any
from urllib.parse import unquote

from werkzeug.wrappers import Response

from localcloud.auth import AuthFailure, verify_vod
from localcloud.auth.vod import missing_parameter, server_string_to_sign
from localcloud.core.errors import ServiceError
from localcloud.core.gateway import Identity
from localcloud.core.responses import BaseResponse, action
from localcloud.vod import wire
from localcloud.vod.errors import (
    ERRORS,
    Forbidden,
    InvalidParameter,
    MissingParameter,
    SignatureDoesNotMatch,
    ThrottlingUser,
)
from localcloud.vod.models import InfoResult, Item, JobInfo, VodBackend, VodCall

log = logging.getLogger("localcloud")

MAX_CANCEL_ITEMS = 10
MAX_INFO_ITEMS = 10
MAX_UPLOAD_URLS = 20


# -- request ---------------------------------------------------------------------------------------------
def split_items(params: dict[str, str], name: str, limit: int, *, decode: bool) -> list[Item] | None:
    """The items of list parameter ``name`` (None if absent or empty); >limit or an empty item is invalid."""
    raw = params.get(name)
    if not raw:
        return None
    parts = raw.split(",")
    if len(parts) > limit:
        raise InvalidParameter.named(name, f"A maximum of {limit} items can be specified.")
    if not all(parts):
        raise InvalidParameter.named(name, "An item is empty.")
    return [Item(part, unquote(part) if decode else part) for part in parts]


# -- actions -------------------------------------------------------------------------------------------
class VodResponse(BaseResponse):
    """One VOD request: the gateway's checks (RAM, per-account quota), then one method per API action."""

    service = "vod"
    errors = ERRORS
    request_id_style = "uuid"
    request_id_header = "x-acs-request-id"
    backend: VodBackend

    @functools.cached_property
    def params(self) -> dict[str, str]:
        return wire.api_parameters(self.request)

    def verify(self) -> str:
        return verify_vod(self.request, self.gateway.credentials)

    def auth_error(self, failure: AuthFailure) -> ServiceError:
        """The gateway's exact message: a missing parameter is named, a wrong signature echoes the string the
        gateway signed; the verifier's own explanation goes to the log only."""
        log.info("vod authentication failed: %s", failure)
        if failure.kind == "missing":
            return MissingParameter.named(missing_parameter(self.request))
        if failure.kind == "bad_signature":
            return SignatureDoesNotMatch.echoing(server_string_to_sign(self.request))
        return super().auth_error(failure)

    def authorize(self, identity: Identity) -> None:
        if identity.access_key_id in self.backend.forbidden_access_keys:
            raise Forbidden()
        super().authorize(identity)

    def admit(self, identity: Identity) -> None:
        if not self.backend.admit(self.route.action, self.gateway.account_id):
            raise ThrottlingUser()

    @action
    def upload_media_by_url(self) -> Response:
        params = self.params
        items = split_items(params, "UploadURLs", MAX_UPLOAD_URLS, decode=True)
        if items is None:
            raise MissingParameter.named("UploadURLs")
        for item in items:
            if not item.key.lower().startswith(("http://", "https://")):
                raise InvalidParameter.named("UploadURLs", f"Not an http(s) URL: {item.sent[:200]}")
        metadatas = _metadatas(params.get("UploadMetadatas"))
        user_data = params.get("UserData") or None
        if user_data is not None:
            _json_param("UserData", user_data)
        created = self.backend.upload_media_by_url(items, metadatas, user_data)
        return self.json({"UploadJobs": [{"JobId": job.job_id, "SourceURL": item.sent} for job, item in created]})

    @action
    def get_url_upload_infos(self) -> Response:
        job_ids, urls = self._targets("UploadURLs", MAX_INFO_ITEMS)
        result: InfoResult = self.backend.get_url_upload_infos(job_ids, urls)
        return self.json(
            {"NonExists": self._echo(result.non_exists), "URLUploadInfoList": [_info(job) for job in result.jobs]}
        )

    @action
    def cancel_url_upload_jobs(self) -> Response:
        job_ids, urls = self._targets("UploadUrls", MAX_CANCEL_ITEMS)
        result = self.backend.cancel_url_upload_jobs(job_ids, urls)
        return self.json({"CanceledJobs": result.canceled_jobs, "NonExists": self._echo(result.non_exists)})

    def _targets(self, url_param: str, limit: int) -> tuple[list[Item] | None, list[Item] | None]:
        """JobIds wins silently when both are given (the URLs are then not even validated)."""
        job_ids = split_items(self.params, "JobIds", limit, decode=False)
        if job_ids is not None:
            return job_ids, None
        urls = split_items(self.params, url_param, limit, decode=True)
        if urls is None:
            raise MissingParameter(
                f'The input parameter "JobIds" or "{url_param}" that is mandatory for processing this '
                "request is not supplied."
            )
        return None, urls

    def _echo(self, items: list[Item]) -> list[str]:
        decoded = self.backend.non_exists_url_form == "decoded"
        return [item.key if decoded else item.sent for item in items]

    # -- rendering and the call log ------------------------------------------------------------------------
    def json(self, body: dict[str, Any], status: int = 200) -> Response:
        """The answer in the requested format (JSON or XML, see :mod:`localcloud.vod.wire`), RequestId first."""
        payload, content_type = wire.render(
            f"{self.route.action}Response", {"RequestId": self.request_id, **body}, wire.response_format(self.request)
        )
        return Response(payload, status=status, content_type=content_type)

    def render_error(self, error: ServiceError) -> Response:
        """``{"RequestId","HostId","Code","Message","Recommend"}`` (XML: ``<Error>``); throttling may carry
        ``x-acs-retry-after``."""
        body = {
            "RequestId": self.request_id,
            "HostId": f"vod.{self.gateway.region}.aliyuncs.com",
            "Code": error.code,
            "Message": error.message,
            "Recommend": f"https://api.aliyun.com/troubleshoot?q={error.code}&product=vod&requestId={self.request_id}",
        }
        payload, content_type = wire.render("Error", body, wire.response_format(self.request))
        response = Response(payload, status=error.status, content_type=content_type)
        retry_after = self.backend.send_retry_after_ms
        if retry_after and error.code.startswith("Throttling"):
            response.headers["x-acs-retry-after"] = str(retry_after)
        return response

    def record(self, status: int, error_code: str | None) -> None:
        self.backend.record_call(
            VodCall(
                action=wire.action_name(self.request) or "",
                params=self.params,
                status=status,
                error_code=error_code,
                access_key_id=self.identity.access_key_id if self.identity else None,
                at=self.gateway.clock.now(),
            )
        )


def _info(job: JobInfo) -> dict[str, Any]:
    """A UrlUploadJobInfoDTO; fields without a value are left out, as the real service omits nulls."""
    info: dict[str, Any] = {
        "JobId": job.job_id,
        "UploadURL": job.upload_url,
        "Status": job.status,
        "CreationTime": _utc(job.created_at),
        "CompleteTime": _utc(job.completed_at) if job.completed_at is not None else None,
        "MediaId": job.media_id,
        "FileSize": str(job.file_size) if job.file_size is not None else None,
        "ErrorCode": job.error_code,
        "ErrorMessage": job.error_message,
        "UserData": job.user_data,
    }
    return {k: v for k, v in info.items() if v is not None}


def _metadatas(raw: str | None) -> dict[str, dict[str, Any]]:
    """UploadMetadatas: a JSON array of objects, each matched to its URL by ``SourceURL``."""
    if not raw:
        return {}
    value = _json_param("UploadMetadatas", raw)
    if not isinstance(value, list) or not all(isinstance(m, dict) for m in value):
        raise InvalidParameter.named("UploadMetadatas", "It must be a JSON array of objects.")
    return {str(m.get("SourceURL", "")): m for m in value}


def _json_param(name: str, raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        raise InvalidParameter.named(name, "It must be a JSON string.") from None


def _utc(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
