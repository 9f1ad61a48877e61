"""OSS HTTP face: addressing (path style or virtual host) -> operation -> fault check -> signature -> handler.

Addressing: ``Host: <bucket>.<endpoint>`` is virtual-host style when the endpoint part is ``localhost``, an IP
address, or an ``oss-*`` domain (``bucket.oss-cn-shanghai.aliyuncs.com``, e.g. reached through a proxy);
otherwise the first path segment is the bucket. The key is the rest of the path, percent-decoded once from the
raw request target (so ``%2F``, ``+``, ``%25`` and non-ASCII keys round-trip exactly).

Errors: XML body ``<Error><Code/><Message/><RequestId/><HostId/>...</Error>``; for HEAD, where there is no body,
the same XML base64-encoded in ``x-oss-err`` (both SDKs read it from there).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import logging
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from functools import partial
from typing import Any
from urllib.parse import quote, unquote_to_bytes, urlsplit

from werkzeug.wrappers import Request, Response

from localcloud.auth import AuthFailure, verify_oss
from localcloud.faults import apply_latency, reset_connection
from localcloud.oss import errors as e
from localcloud.oss import responses as r
from localcloud.oss.models import ObjectInput, OssBackend, StoredObject

log = logging.getLogger(__name__)

CHUNK = 1 << 20
MAX_LIST_KEYS = 1000
# Sub-resources of real OSS that this emulator does not implement: answered with NotImplemented (400).
_UNSUPPORTED_NAMES = """acl tagging symlink append position restore cors lifecycle logging website referer policy
versioning versions versionId x-oss-process bucketInfo stat delete worm encryption inventory replication qos
objectInfo"""
UNSUPPORTED = frozenset(_UNSUPPORTED_NAMES.split())


@dataclass
class Call:
    request: Request
    backend: OssBackend
    cloud: Any
    bucket: str
    key: str
    request_id: str

    @property
    def body(self) -> bytes:
        return self.request.get_data(cache=True)

    def arg(self, name: str, default: str = "") -> str:
        return self.request.args.get(name, default)

    @property
    def url_encoding(self) -> bool:
        return self.arg("encoding-type").lower() == "url"

    @property
    def source_ip(self) -> str:
        return self.request.remote_addr or "127.0.0.1"


def new_request_id() -> str:
    return uuid.uuid4().hex[:24].upper()


# -- addressing ----------------------------------------------------------------------------------------------
def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def virtual_host_bucket(host: str) -> str | None:
    """The bucket named by a virtual-host style Host header, or None for path style."""
    hostname = host if host.startswith("[") else host.rsplit(":", 1)[0]
    if _is_ip(hostname) or "." not in hostname:
        return None
    first, rest = hostname.split(".", 1)
    if first.startswith("oss-"):
        return None
    if rest == "localhost" or _is_ip(rest) or rest.startswith("oss-"):
        return first
    return None


def _raw_path(environ: dict[str, Any]) -> str:
    target = environ.get("RAW_URI") or environ.get("REQUEST_URI") or quote(environ.get("PATH_INFO", "/"))
    path = target.split("?", 1)[0]
    if "://" in path:  # absolute-form target: the client talked to us as its HTTP proxy
        path = urlsplit(path).path or "/"
    return path


def _decode(text: str) -> str:
    try:
        return unquote_to_bytes(text.encode("latin-1")).decode("utf-8")
    except (UnicodeDecodeError, UnicodeEncodeError) as exc:
        raise e.InvalidArgument("The request path is not valid percent-encoded UTF-8.") from exc


def locate(request: Request) -> tuple[str, str]:
    """(bucket, key) addressed by the request; either may be '' (service / bucket level)."""
    path = _raw_path(request.environ)
    bucket = virtual_host_bucket(request.host)
    if bucket is not None:
        return bucket, _decode(path[1:])
    raw_bucket, _, raw_key = path[1:].partition("/")
    return _decode(raw_bucket), _decode(raw_key)


# -- responses -----------------------------------------------------------------------------------------------
def _xml(body: bytes, status: int = 200) -> Response:
    return Response(body, status=status, content_type=r.XML_TYPE)


def _empty(status: int = 200, headers: dict[str, str] | None = None) -> Response:
    response = Response(b"", status=status)
    response.headers.pop("Content-Type", None)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _object_input(request: Request) -> ObjectInput:
    user_meta = tuple(
        (name.lower()[len("x-oss-meta-") :], value)
        for name, value in request.headers.items()
        if name.lower().startswith("x-oss-meta-")
    )
    stored = tuple((name, request.headers[name]) for name in r.STORED_HEADERS if name in request.headers)
    content_type = request.headers.get("Content-Type") or None
    return ObjectInput(content_type, user_meta, stored, request.headers.get("Content-MD5"))


def _written_headers(stored: StoredObject) -> dict[str, str]:
    headers = {"ETag": f'"{stored.etag}"', "x-oss-hash-crc64ecma": str(stored.crc64)}
    if stored.content_md5:
        headers["Content-MD5"] = stored.content_md5
    return headers


def _after_response(response: Response, backend: OssBackend, pending: list[Any]) -> Response:
    """Deliver notifications once the response has been written (werkzeug closes the body iterable then)."""
    if pending:
        response.call_on_close(partial(backend.dispatch, pending))
    return response


# -- service and bucket operations ---------------------------------------------------------------------------
def list_buckets(call: Call) -> Response:
    owner = str(call.cloud.account_id)
    return _xml(r.list_buckets(call.backend.buckets(), owner, str(call.cloud.region)))


def put_bucket(call: Call) -> Response:
    call.backend.put_bucket(call.bucket)
    return _empty(200, {"Location": f"/{call.bucket}"})


def delete_bucket(call: Call) -> Response:
    call.backend.delete_bucket(call.bucket)
    return _empty(204)


def get_bucket_location(call: Call) -> Response:
    if not call.backend.bucket_exists(call.bucket):
        raise e.NoSuchBucket(BucketName=call.bucket)
    return _xml(r.location(str(call.cloud.region)))


def _max_keys(call: Call) -> int:
    raw = call.arg("max-keys", "100")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIST_KEYS:
        raise e.InvalidArgument(f"max-keys must be an integer between 1 and {MAX_LIST_KEYS}.")
    return int(raw)


def list_objects(call: Call) -> Response:
    prefix, marker, delimiter = call.arg("prefix"), call.arg("marker"), call.arg("delimiter")
    max_keys = _max_keys(call)
    listing = call.backend.list_objects(call.bucket, prefix, marker, delimiter, max_keys)
    owner = str(call.cloud.account_id)
    body = r.list_objects(call.bucket, listing, prefix, marker, delimiter, max_keys, owner, call.url_encoding)
    return _xml(body)


def list_objects_v2(call: Call) -> Response:
    prefix, delimiter, start_after = call.arg("prefix"), call.arg("delimiter"), call.arg("start-after")
    token = call.arg("continuation-token")
    marker = start_after
    if token:
        try:
            marker = base64.urlsafe_b64decode(token.encode("ascii")).decode("utf-8")
        except (binascii.Error, UnicodeError, ValueError) as exc:
            raise e.InvalidArgument("The continuation token provided is incorrect.") from exc
    max_keys = _max_keys(call)
    listing = call.backend.list_objects(call.bucket, prefix, marker, delimiter, max_keys)
    next_token = base64.urlsafe_b64encode(listing.next_marker.encode("utf-8")).decode("ascii")
    owner = str(call.cloud.account_id) if call.arg("fetch-owner").lower() == "true" else None
    body = r.list_objects_v2(
        call.bucket, listing, prefix, start_after, token, next_token, delimiter, max_keys, owner, call.url_encoding
    )
    return _xml(body)


# -- object operations ---------------------------------------------------------------------------------------
def put_object(call: Call) -> Response:
    forbid = call.request.headers.get("x-oss-forbid-overwrite", "").lower() == "true"
    stored, pending = call.backend.store(
        call.bucket,
        call.key,
        call.body,
        _object_input(call.request),
        forbid_overwrite=forbid,
        request_id=call.request_id,
        source_ip=call.source_ip,
    )
    return _after_response(_empty(200, _written_headers(stored)), call.backend, pending)


def _check_preconditions(request: Request, obj: StoredObject) -> bool:
    """False when the client's cached copy is current (304); PreconditionFailed when a condition fails."""
    etag = f'"{obj.etag}"'
    if_match = request.headers.get("If-Match")
    if if_match and etag not in [v.strip() for v in if_match.split(",")] and if_match.strip() != "*":
        raise e.PreconditionFailed()
    since = _parse_date(request.headers.get("If-Unmodified-Since"))
    if since is not None and int(obj.last_modified) > since:
        raise e.PreconditionFailed()
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match and (etag in [v.strip() for v in if_none_match.split(",")] or if_none_match.strip() == "*"):
        return False
    modified_since = _parse_date(request.headers.get("If-Modified-Since"))
    return not (modified_since is not None and int(obj.last_modified) <= modified_since)


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


def get_object(call: Call, head: bool = False) -> Response:
    obj = call.backend.head(call.bucket, call.key)
    headers = r.object_headers(obj)
    if not _check_preconditions(call.request, obj):
        return _empty(304, {"ETag": headers["ETag"], "Last-Modified": headers["Last-Modified"]})
    for query, header in r.RESPONSE_OVERRIDES.items():
        if call.arg(query):
            headers[header] = call.arg(query)
    status, first, last = 200, 0, obj.size - 1
    if not head:
        wanted = r.parse_range(call.request.headers.get("Range"), obj.size)
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


def head_object(call: Call) -> Response:
    return get_object(call, head=True)


def get_object_meta(call: Call) -> Response:
    obj = call.backend.head(call.bucket, call.key)
    headers = {
        "ETag": f'"{obj.etag}"',
        "Last-Modified": r.http_date(obj.last_modified),
        "x-oss-hash-crc64ecma": str(obj.crc64),
        "Content-Length": str(obj.size),
    }
    return _empty(200, headers)


def delete_object(call: Call) -> Response:
    pending = call.backend.delete(call.bucket, call.key, call.request_id, call.source_ip)
    return _after_response(_empty(204), call.backend, pending)


def initiate_upload(call: Call) -> Response:
    upload = call.backend.initiate_upload(call.bucket, call.key, _object_input(call.request))
    return _xml(r.initiate_result(call.bucket, call.key, upload.upload_id, call.url_encoding))


def upload_part(call: Call) -> Response:
    raw = call.arg("partNumber")
    if not raw.isdigit():
        raise e.InvalidArgument("Part number must be an integer between 1 and 10000, inclusive.")
    part = call.backend.upload_part(
        call.bucket, call.key, call.arg("uploadId"), int(raw), call.body, call.request.headers.get("Content-MD5")
    )
    return _empty(200, {"ETag": f'"{part.etag}"', "x-oss-hash-crc64ecma": str(part.crc64)})


def complete_upload(call: Call) -> Response:
    complete_all = call.request.headers.get("x-oss-complete-all", "").lower() == "yes"
    parts = None if complete_all else r.parse_complete(call.body)
    stored, pending = call.backend.complete_upload(
        call.bucket, call.key, call.arg("uploadId"), parts, call.request_id, call.source_ip
    )
    location = f"{call.request.scheme}://{call.request.host}/{call.bucket}/{quote(call.key)}"
    body = r.complete_result(location, call.bucket, call.key, stored.etag, call.url_encoding)
    response = _xml(body)
    response.headers["ETag"] = f'"{stored.etag}"'
    response.headers["x-oss-hash-crc64ecma"] = str(stored.crc64)
    return _after_response(response, call.backend, pending)


def abort_upload(call: Call) -> Response:
    call.backend.abort_upload(call.bucket, call.key, call.arg("uploadId"))
    return _empty(204)


def not_implemented(call: Call) -> Response:
    raise e.NotImplementedOss()


# -- dispatch ------------------------------------------------------------------------------------------------
Handler = Callable[[Call], Response]


def operation(request: Request, bucket: str, key: str) -> tuple[str, Handler]:
    """The API action name (used for faults) and its handler."""
    method, args = request.method, request.args
    if any(name in UNSUPPORTED for name in args) or "x-oss-copy-source" in request.headers:
        return "Unsupported", not_implemented
    if not bucket:
        if method == "GET":
            return "ListBuckets", list_buckets
        raise e.MethodNotAllowed()
    if not key:
        bucket_ops: dict[str, tuple[str, Handler]] = {
            "PUT": ("PutBucket", put_bucket),
            "DELETE": ("DeleteBucket", delete_bucket),
        }
        if method == "GET" and "location" in args:
            return "GetBucketLocation", get_bucket_location
        if method == "GET" and "uploads" not in args:
            v2 = args.get("list-type") == "2"
            return ("ListObjectsV2", list_objects_v2) if v2 else ("ListObjects", list_objects)
        if method in bucket_ops:
            return bucket_ops[method]
        if method == "POST":
            return "PostObject", not_implemented
        raise e.MethodNotAllowed()
    if "uploadId" in args:
        upload_ops: dict[str, tuple[str, Handler]] = {
            "PUT": ("UploadPart", upload_part),
            "POST": ("CompleteMultipartUpload", complete_upload),
            "DELETE": ("AbortMultipartUpload", abort_upload),
            "GET": ("ListParts", not_implemented),
        }
        if method in upload_ops:
            return upload_ops[method]
        raise e.MethodNotAllowed()
    object_ops: dict[str, tuple[str, Handler]] = {
        "PUT": ("PutObject", put_object),
        "GET": ("GetObject", get_object),
        "HEAD": ("GetObjectMeta", get_object_meta) if "objectMeta" in args else ("HeadObject", head_object),
        "DELETE": ("DeleteObject", delete_object),
    }
    if method == "POST" and "uploads" in args:
        return "InitiateMultipartUpload", initiate_upload
    if method in object_ops:
        return object_ops[method]
    raise e.MethodNotAllowed()


def _error_response(err: e.OssError, request: Request, request_id: str, host_id: str) -> Response:
    body = r.error(err, request_id, host_id)
    if request.method == "HEAD":
        response = _empty(err.status, {"x-oss-err": base64.b64encode(body).decode("ascii")})
        response.headers["Content-Type"] = r.XML_TYPE
    else:
        response = _xml(body, err.status)
    if err.ec:
        response.headers["x-oss-ec"] = err.ec
    return response


def make_app(cloud: Any) -> Callable[..., Any]:
    """The OSS WSGI app over ``cloud.oss`` (faults from ``cloud.faults``, keys from ``cloud.credentials``)."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        request_id = new_request_id()
        bucket = ""
        try:
            bucket, key = locate(request)
            response = _handle(request, request_id, bucket, key)
        except e.OssError as err:
            endpoint = f"oss-{cloud.region}.aliyuncs.com"
            response = _error_response(err, request, request_id, f"{bucket}.{endpoint}" if bucket else endpoint)
        if response is None:  # connection reset by an injected fault
            return Response(b"")(environ, start_response)
        response.headers["x-oss-request-id"] = request_id
        return response(environ, start_response)

    def _handle(request: Request, request_id: str, bucket: str, key: str) -> Response | None:
        name, handler = operation(request, bucket, key)
        decision = cloud.faults.decide("oss", name)
        apply_latency(decision)
        if decision.reset:
            reset_connection(request.environ)
            return None
        if decision.error_code:
            raise e.error_for_code(decision.error_code)
        try:
            verify_oss(request, cloud.credentials, bucket, key, region=cloud.region)
        except AuthFailure as failure:
            raise e.AUTH_FAILURES.get(failure.kind, e.AccessDenied)() from failure
        try:
            return handler(Call(request, cloud.oss, cloud, bucket, key, request_id))
        except e.OssError:
            raise
        except Exception:
            log.exception("OSS %s failed", name)
            raise e.InternalError() from None

    return app
