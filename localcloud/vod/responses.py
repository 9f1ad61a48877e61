"""VOD wire layer: read RPC parameters, split and decode the comma lists, render JSON bodies and errors.

The SDK sends every API parameter in the query (ACS3 and legacy RPC alike); a form body is merged too, for
other clients. A list parameter is ONE value whose comma-separated items are each URL-encoded by the caller,
so items are split on ``,`` first and then decoded once with ``unquote`` (``+`` stays ``+``: only the
transport layer, already undone by werkzeug, turns ``+`` into a space).
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any
from urllib.parse import unquote

from werkzeug.wrappers import Request, Response

from localcloud.vod.errors import InvalidParameter, MissingParameter, VodError
from localcloud.vod.models import InfoResult, Item, JobInfo, VodBackend

CONTENT_TYPE = "application/json;charset=utf-8"
MAX_CANCEL_ITEMS = 10
MAX_INFO_ITEMS = 10
MAX_UPLOAD_URLS = 20
# Common RPC parameters (legacy signature); they are not API input and are left out of the call log.
COMMON_PARAMS = frozenset(
    {
        "Action",
        "Version",
        "Format",
        "Timestamp",
        "SignatureNonce",
        "SignatureMethod",
        "SignatureVersion",
        "SignatureType",
        "AccessKeyId",
        "SecurityToken",
        "BearerToken",
        "Signature",
    }
)


# -- request ---------------------------------------------------------------------------------------------
def action_name(request: Request) -> str | None:
    """ACS3 carries the action in ``x-acs-action``; legacy RPC in the ``Action`` query parameter."""
    return request.headers.get("x-acs-action") or request.args.get("Action")


def api_version(request: Request) -> str | None:
    return request.headers.get("x-acs-version") or request.args.get("Version")


def request_params(request: Request) -> dict[str, str]:
    """API parameters from the query and, if present, a form body (form wins), without the common ones."""
    params = {k: v for k, v in request.args.items() if k not in COMMON_PARAMS}
    if request.mimetype == "application/x-www-form-urlencoded":
        request.get_data()  # cache the raw body first: the signature check hashes it after form parsing
        params.update((k, v) for k, v in request.form.items() if k not in COMMON_PARAMS)
    return params


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


def new_request_id() -> str:
    return str(uuid.uuid4()).upper()


# -- operations ------------------------------------------------------------------------------------------
class VodResponses:
    """One method per API action (moto style): parameters in, JSON-ready dict out; errors raise VodError."""

    def __init__(self, backend: VodBackend) -> None:
        self.backend = backend

    def upload_media_by_url(self, params: dict[str, str]) -> dict[str, Any]:
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
        return {"UploadJobs": [{"JobId": job.job_id, "SourceURL": item.sent} for job, item in created]}

    def get_url_upload_infos(self, params: dict[str, str]) -> dict[str, Any]:
        job_ids, urls = self._targets(params, "UploadURLs", MAX_INFO_ITEMS)
        result: InfoResult = self.backend.get_url_upload_infos(job_ids, urls)
        return {
            "NonExists": self._echo(result.non_exists),
            "URLUploadInfoList": [_info(job) for job in result.jobs],
        }

    def cancel_url_upload_jobs(self, params: dict[str, str]) -> dict[str, Any]:
        job_ids, urls = self._targets(params, "UploadUrls", MAX_CANCEL_ITEMS)
        result = self.backend.cancel_url_upload_jobs(job_ids, urls)
        return {"CanceledJobs": result.canceled_jobs, "NonExists": self._echo(result.non_exists)}

    def _targets(
        self, params: dict[str, str], url_param: str, limit: int
    ) -> tuple[list[Item] | None, list[Item] | None]:
        """JobIds wins silently when both are given (the URLs are then not even validated)."""
        job_ids = split_items(params, "JobIds", limit, decode=False)
        if job_ids is not None:
            return job_ids, None
        urls = split_items(params, url_param, limit, decode=True)
        if urls is None:
            raise MissingParameter(
                f'The input parameter "JobIds" or "{url_param}" that is mandatory for processing this '
                "request is not supplied."
            )
        return None, urls

    def _echo(self, items: list[Item]) -> list[str]:
        decoded = self.backend.non_exists_url_form == "decoded"
        return [item.key if decoded else item.sent for item in items]


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


# -- rendering -------------------------------------------------------------------------------------------
def json_response(body: dict[str, Any], request_id: str, status: int = 200) -> Response:
    payload = json.dumps({"RequestId": request_id, **body}, ensure_ascii=False, separators=(",", ":"))
    response = Response(payload.encode("utf-8"), status=status, content_type=CONTENT_TYPE)
    response.headers["x-acs-request-id"] = request_id
    return response


def error_response(error: VodError, request_id: str, region: str, retry_after_ms: int | None = None) -> Response:
    body = {
        "HostId": f"vod.{region}.aliyuncs.com",
        "Code": error.code,
        "Message": error.text,
        "Recommend": f"https://api.aliyun.com/troubleshoot?q={error.code}&product=vod&requestId={request_id}",
    }
    response = json_response(body, request_id, status=error.status)
    if retry_after_ms:
        response.headers["x-acs-retry-after"] = str(retry_after_ms)
    return response
