"""OSS's API actions (:class:`OssResponse`): one method per action, headers and XML in and out (:mod:`.wire`).

Errors: XML body ``<Error><Code/><Message/><RequestId/><HostId/>...</Error>``; for HEAD, where there is no body,
the same XML base64-encoded in ``x-oss-err`` (both SDKs read it from there); a known EC also in ``x-oss-ec``.
Notifications a write triggers are delivered once the response has been sent.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Iterator
from email.utils import parsedate_to_datetime
from functools import partial
from typing import Any
from urllib.parse import quote

from werkzeug.wrappers import Response

from localcloud.auth import verify_oss
from localcloud.core.errors import ServiceError
from localcloud.core.responses import BaseResponse, action
from localcloud.oss import errors as e
from localcloud.oss import wire
from localcloud.oss.addressing import locate
from localcloud.oss.models import ObjectInput, OssBackend, StoredObject

CHUNK = 1 << 20
MAX_LIST_KEYS = 1000


def _xml(body: bytes, status: int = 200) -> Response:
    return Response(body, status=status, content_type=wire.XML_TYPE)


def _empty(status: int = 200, headers: dict[str, str] | None = None) -> Response:
    response = Response(b"", status=status)
    response.headers.pop("Content-Type", None)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _written_headers(stored: StoredObject) -> dict[str, str]:
    headers = {"ETag": f'"{stored.etag}"', "x-oss-hash-crc64ecma": str(stored.crc64)}
    if stored.content_md5:
        headers["Content-MD5"] = stored.content_md5
    return headers


def _parse_date(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return int(parsedate_to_datetime(value).timestamp())
    except (TypeError, ValueError):
        return None


def _chunks(data: bytes, first: int, last: int) -> Iterable[bytes]:
    """The bytes [first, last] without copying the whole object: slices of a memoryview, 1 MiB at a time."""
    if first == 0 and last == len(data) - 1:
        return [data]

    def generate() -> Iterator[bytes]:
        view = memoryview(data)
        for start in range(first, last + 1, CHUNK):
            yield bytes(view[start : min(start + CHUNK, last + 1)])

    return generate()


class OssResponse(BaseResponse):
    """One OSS request, addressed to the service, a bucket or an object."""

    service = "oss"
    errors = e.ERRORS
    request_id_style = "hex24"
    request_id_header = "x-oss-request-id"
    backend: OssBackend

    @property
    def bucket(self) -> str:
        return self.route.args.get("bucket", "")

    @property
    def key(self) -> str:
        return self.route.args.get("key", "")

    @property
    def url_encoding(self) -> bool:
        return self.query("encoding-type").lower() == "url"

    @property
    def source_ip(self) -> str:
        return self.request.remote_addr or "127.0.0.1"

    def verify(self) -> str:
        return verify_oss(self.request, self.gateway.credentials, self.bucket, self.key, region=self.gateway.region)

    def render_error(self, error: ServiceError) -> Response:
        endpoint = f"oss-{self.gateway.region}.aliyuncs.com"
        bucket = self.bucket or self._addressed_bucket()
        body = wire.error(error, self.request_id, f"{bucket}.{endpoint}" if bucket else endpoint)
        if self.request.method == "HEAD":
            response = _empty(error.status, {"x-oss-err": base64.b64encode(body).decode("ascii")})
            response.headers["Content-Type"] = wire.XML_TYPE
        else:
            response = _xml(body, error.status)
        if wire.error_ec(error):
            response.headers["x-oss-ec"] = wire.error_ec(error)
        return response

    def _addressed_bucket(self) -> str:
        """The bucket of a request that failed before it was routed ('' if even that cannot be read)."""
        try:
            return locate(self.request)[0]
        except ServiceError:
            return ""

    def _after_response(self, response: Response, pending: list[Any]) -> Response:
        """Deliver notifications once the response has been written (werkzeug closes the body iterable then)."""
        if pending:
            response.call_on_close(partial(self.backend.dispatch, pending))
        return response

    def _object_input(self) -> ObjectInput:
        headers = self.request.headers
        user_meta = tuple(
            (name.lower()[len("x-oss-meta-") :], value)
            for name, value in headers.items()
            if name.lower().startswith("x-oss-meta-")
        )
        stored = tuple((name, headers[name]) for name in wire.STORED_HEADERS if name in headers)
        return ObjectInput(headers.get("Content-Type") or None, user_meta, stored, headers.get("Content-MD5"))

    def _max_keys(self) -> int:
        raw = self.query("max-keys", "100")
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIST_KEYS:
            raise e.InvalidArgument(f"max-keys must be an integer between 1 and {MAX_LIST_KEYS}.")
        return int(raw)

    # -- service and bucket actions ------------------------------------------------------------------------------
    @action
    def list_buckets(self) -> Response:
        return _xml(wire.list_buckets(self.backend.buckets(), self.gateway.account_id, self.gateway.region))

    @action
    def put_bucket(self) -> Response:
        self.backend.put_bucket(self.bucket)
        return _empty(200, {"Location": f"/{self.bucket}"})

    @action
    def delete_bucket(self) -> Response:
        self.backend.delete_bucket(self.bucket)
        return _empty(204)

    @action
    def get_bucket_location(self) -> Response:
        if not self.backend.bucket_exists(self.bucket):
            raise e.NoSuchBucket(BucketName=self.bucket)
        return _xml(wire.location(self.gateway.region))

    @action
    def list_objects(self) -> Response:
        prefix, marker, delimiter = self.query("prefix"), self.query("marker"), self.query("delimiter")
        max_keys = self._max_keys()
        listing = self.backend.list_objects(self.bucket, prefix, marker, delimiter, max_keys)
        owner = self.gateway.account_id
        return _xml(
            wire.list_objects(self.bucket, listing, prefix, marker, delimiter, max_keys, owner, self.url_encoding)
        )

    @action
    def list_objects_v2(self) -> Response:
        prefix, delimiter, start_after = self.query("prefix"), self.query("delimiter"), self.query("start-after")
        token = self.query("continuation-token")
        marker = start_after
        if token:
            try:
                marker = base64.urlsafe_b64decode(token.encode("ascii")).decode("utf-8")
            except (binascii.Error, UnicodeError, ValueError) as exc:
                raise e.InvalidArgument("The continuation token provided is incorrect.") from exc
        max_keys = self._max_keys()
        listing = self.backend.list_objects(self.bucket, prefix, marker, delimiter, max_keys)
        next_token = base64.urlsafe_b64encode(listing.next_marker.encode("utf-8")).decode("ascii")
        owner = self.gateway.account_id if self.query("fetch-owner").lower() == "true" else None
        body = wire.list_objects_v2(
            self.bucket, listing, prefix, start_after, token, next_token, delimiter, max_keys, owner, self.url_encoding
        )
        return _xml(body)

    # -- object actions ------------------------------------------------------------------------------------------
    @action
    def put_object(self) -> Response:
        stored, pending = self.backend.store(
            self.bucket,
            self.key,
            self.body,
            self._object_input(),
            forbid_overwrite=self.header("x-oss-forbid-overwrite").lower() == "true",
            request_id=self.request_id,
            source_ip=self.source_ip,
        )
        return self._after_response(_empty(200, _written_headers(stored)), pending)

    def _fresh(self, obj: StoredObject) -> bool:
        """False when the client's cached copy is current (304); PreconditionFailed when a condition fails."""
        etag = f'"{obj.etag}"'
        if_match = self.header("If-Match")
        if if_match and etag not in [v.strip() for v in if_match.split(",")] and if_match.strip() != "*":
            raise e.PreconditionFailed()
        since = _parse_date(self.header("If-Unmodified-Since"))
        if since is not None and int(obj.last_modified) > since:
            raise e.PreconditionFailed()
        if_none_match = self.header("If-None-Match")
        if if_none_match and (etag in [v.strip() for v in if_none_match.split(",")] or if_none_match.strip() == "*"):
            return False
        modified_since = _parse_date(self.header("If-Modified-Since"))
        return not (modified_since is not None and int(obj.last_modified) <= modified_since)

    def _serve(self, *, head: bool) -> Response:
        obj = self.backend.head(self.bucket, self.key)
        headers = wire.object_headers(obj)
        if not self._fresh(obj):
            return _empty(304, {"ETag": headers["ETag"], "Last-Modified": headers["Last-Modified"]})
        for query, header in wire.RESPONSE_OVERRIDES.items():
            if self.query(query):
                headers[header] = self.query(query)
        status, first, last = 200, 0, obj.size - 1
        if not head:
            wanted = wire.parse_range(self.request.headers.get("Range"), obj.size)
            if wanted is not None:
                status, (first, last) = 206, wanted
                headers["Content-Range"] = f"bytes {first}-{last}/{obj.size}"
        length = max(last - first + 1, 0)
        body: Iterable[bytes] = [] if head or length == 0 else _chunks(obj.data, first, last)
        response = Response(body, status=status, direct_passthrough=True)
        for name, value in headers.items():
            response.headers[name] = value
        response.headers["Content-Length"] = str(length if not head else obj.size)
        return response

    @action
    def get_object(self) -> Response:
        return self._serve(head=False)

    @action
    def head_object(self) -> Response:
        return self._serve(head=True)

    @action
    def get_object_meta(self) -> Response:
        obj = self.backend.head(self.bucket, self.key)
        headers = {
            "ETag": f'"{obj.etag}"',
            "Last-Modified": wire.http_date(obj.last_modified),
            "x-oss-hash-crc64ecma": str(obj.crc64),
            "Content-Length": str(obj.size),
        }
        return _empty(200, headers)

    @action
    def delete_object(self) -> Response:
        pending = self.backend.delete(self.bucket, self.key, self.request_id, self.source_ip)
        return self._after_response(_empty(204), pending)

    # -- multipart actions ---------------------------------------------------------------------------------------
    @action
    def initiate_multipart_upload(self) -> Response:
        upload = self.backend.initiate_upload(self.bucket, self.key, self._object_input())
        return _xml(wire.initiate_result(self.bucket, self.key, upload.upload_id, self.url_encoding))

    @action
    def upload_part(self) -> Response:
        raw = self.query("partNumber")
        if not raw.isdigit():
            raise e.InvalidArgument("Part number must be an integer between 1 and 10000, inclusive.")
        part = self.backend.upload_part(
            self.bucket, self.key, self.query("uploadId"), int(raw), self.body, self.request.headers.get("Content-MD5")
        )
        return _empty(200, {"ETag": f'"{part.etag}"', "x-oss-hash-crc64ecma": str(part.crc64)})

    @action
    def complete_multipart_upload(self) -> Response:
        complete_all = self.header("x-oss-complete-all").lower() == "yes"
        parts = None if complete_all else wire.parse_complete(self.body)
        stored, pending = self.backend.complete_upload(
            self.bucket, self.key, self.query("uploadId"), parts, self.request_id, self.source_ip
        )
        location = f"{self.request.scheme}://{self.request.host}/{self.bucket}/{quote(self.key)}"
        response = _xml(wire.complete_result(location, self.bucket, self.key, stored.etag, self.url_encoding))
        response.headers["ETag"] = f'"{stored.etag}"'
        response.headers["x-oss-hash-crc64ecma"] = str(stored.crc64)
        return self._after_response(response, pending)

    @action
    def abort_multipart_upload(self) -> Response:
        self.backend.abort_upload(self.bucket, self.key, self.query("uploadId"))
        return _empty(204)
