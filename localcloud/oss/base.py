"""What every OSS action shares (:class:`OssRequest`): addressing, the OSS steps of the request pipeline, error
rendering, and reading what a write asks for. The actions themselves live in one module per area of the API
(:mod:`.bucket_actions`, :mod:`.object_actions`, :mod:`.multipart_actions`, :mod:`.subresource_actions`).

Pipeline steps where OSS differs from the core:

- **bucket before AccessKey**: a request for a bucket that does not exist is answered ``NoSuchBucket`` before
  any signature check, whoever signed it (this is what oss-v2's ``is_bucket_exist`` relies on); only the two
  operations that create buckets (PutBucket, PutBucketAcl) go on;
- **public ACLs**: an unsigned request is let in when the object's (or, for ``default``, the bucket's) ACL makes
  it public for that access (read: GetObject, HeadObject, GetObjectMeta; write: PutObject, AppendObject);
- **ownership**: a bucket another account owns answers ``AccessDenied`` to everything but PutBucket (409);
- **errors**: XML body ``<Error><Code/><Message/><RequestId/><HostId/>...</Error>``; for HEAD, where there is no
  body, the same XML base64-encoded in ``x-oss-err`` (both SDKs read it from there); a known EC also in
  ``x-oss-ec``; some errors add headers of their own.

Notifications a write triggers are delivered once the response has been sent.
"""

from __future__ import annotations

import base64
from functools import partial
from typing import Any
from urllib.parse import unquote_to_bytes

from werkzeug.wrappers import Response

from localcloud.auth import AuthFailure, verify_oss
from localcloud.auth.oss import PresignedUrlExpired, PresignExpiryInvalid, SigningRegionMismatch, is_signed
from localcloud.auth.wire import header_bytes
from localcloud.core.errors import ServiceError
from localcloud.core.gateway import ANONYMOUS, Identity
from localcloud.core.responses import BaseResponse
from localcloud.oss import errors as e
from localcloud.oss import records, wire
from localcloud.oss.addressing import locate
from localcloud.oss.events import iso8601
from localcloud.oss.models import OssBackend
from localcloud.oss.records import ObjectInput

BUCKET_CREATING = frozenset({"PutBucket", "PutBucketAcl"})
PUBLIC_READS = frozenset({"GetObject", "HeadObject", "GetObjectMeta"})
PUBLIC_WRITES = frozenset({"PutObject", "AppendObject"})
SSE_HEADER = "x-oss-server-side-encryption"


def xml_response(body: bytes, status: int = 200) -> Response:
    return Response(body, status=status, content_type=wire.XML_TYPE)


def empty_response(status: int = 200, headers: dict[str, str] | None = None) -> Response:
    response = Response(b"", status=status)
    response.headers.pop("Content-Type", None)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


class OssRequest(BaseResponse):
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

    # -- pipeline hooks ------------------------------------------------------------------------------------------
    def verify(self) -> str:
        gateway = self.gateway
        return verify_oss(
            self.request, gateway.credentials, self.bucket, self.key, region=gateway.region, now=gateway.clock.now()
        )

    def authenticate(self) -> Identity:
        if self.bucket and self.route.action not in BUCKET_CREATING and not self.backend.bucket_exists(self.bucket):
            raise e.NoSuchBucket(BucketName=self.bucket)
        if not is_signed(self.request) and self._public_for_anyone():
            return ANONYMOUS
        return super().authenticate()

    def _public_for_anyone(self) -> bool:
        """Whether the effective ACL lets an unsigned caller do this (bucket ACL where the object's is default)."""
        action = self.route.action
        if action not in PUBLIC_READS | PUBLIC_WRITES:
            return False
        try:
            acl = self.backend.head(self.bucket, self.key).acl
        except ServiceError:
            acl = "default"
        if acl == "default":
            acl = self.backend.bucket(self.bucket).acl
        return acl == "public-read-write" or (acl == "public-read" and action in PUBLIC_READS)

    def auth_error(self, failure: AuthFailure) -> ServiceError:
        if isinstance(failure, PresignedUrlExpired):
            return e.RequestExpired(Expires=iso8601(failure.expires), ServerTime=iso8601(failure.server_time))
        if isinstance(failure, PresignExpiryInvalid):
            return e.PresignExpiresInvalid()
        if isinstance(failure, SigningRegionMismatch):
            return e.SigningRegionInvalid()
        return super().auth_error(failure)

    def authorize(self, identity: Identity) -> None:
        owned_elsewhere = (
            self.bucket
            and self.route.action not in BUCKET_CREATING
            and self.backend.bucket(self.bucket).owner != self.gateway.account_id
        )
        if owned_elsewhere:
            raise e.BucketNotOwned(BucketName=self.bucket)
        super().authorize(identity)

    def render_error(self, error: ServiceError) -> Response:
        endpoint = f"oss-{self.gateway.region}.aliyuncs.com"
        bucket = self.bucket or self._addressed_bucket()
        body = wire.error(error, self.request_id, f"{bucket}.{endpoint}" if bucket else endpoint)
        if self.request.method == "HEAD":
            response = empty_response(error.status, {"x-oss-err": base64.b64encode(body).decode("ascii")})
            response.headers["Content-Type"] = wire.XML_TYPE
        else:
            response = xml_response(body, error.status)
        if wire.error_ec(error):
            response.headers["x-oss-ec"] = wire.error_ec(error)
        for name, value in getattr(error, "headers", {}).items():
            response.headers[name] = value
        return response

    def _addressed_bucket(self) -> str:
        """The bucket of a request that failed before it was routed ('' if even that cannot be read)."""
        try:
            return locate(self.request)[0]
        except ServiceError:
            return ""

    # -- helpers for the actions ---------------------------------------------------------------------------------
    def after_response(self, response: Response, pending: list[Any]) -> Response:
        """Deliver notifications once the response has been written (werkzeug closes the body iterable then)."""
        if pending:
            response.call_on_close(partial(self.backend.dispatch, pending))
        return response

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        """A numeric query parameter within [low, high]; anything else is InvalidArgument."""
        raw = self.query(name) or str(default)  # oss2 sends some markers blank
        if not raw.isdigit() or not low <= int(raw) <= high:
            raise e.InvalidArgument(f"{name} must be an integer between {low} and {high}.", ArgumentName=name)
        return int(raw)

    def copy_source(self) -> tuple[str, str]:
        """(bucket, key) of ``x-oss-copy-source: /<bucket>/<URL-encoded key>``; the bucket must be ours."""
        raw = self.header("x-oss-copy-source")
        path, _, query = raw.partition("?")
        if query:
            raise self.errors.not_implemented("Copying a given version (versionId) is not implemented.")
        try:
            decoded = unquote_to_bytes(header_bytes(path)).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise e.InvalidArgument("x-oss-copy-source is not valid percent-encoded UTF-8.") from exc
        bucket, _, key = decoded.removeprefix("/").partition("/")
        if not bucket or not key:
            raise e.InvalidArgument("Copy Source must mention the source bucket and key: /sourcebucket/sourcekey.")
        if self.backend.bucket(bucket).owner != self.gateway.account_id:
            raise e.BucketNotOwned(BucketName=bucket)
        return bucket, key

    def reject_encryption_header(self) -> None:
        """UploadPart and CompleteMultipartUpload take no SSE header: it belongs to the upload (EC 0005-00000002)."""
        if SSE_HEADER in self.request.headers:
            raise e.EncryptionNotAllowed(ArgumentName=SSE_HEADER)

    def object_input(self) -> ObjectInput:
        """Everything a write sets besides the bytes, each header checked against its documented values."""
        headers = self.request.headers
        user_meta = tuple(
            (name.lower()[len("x-oss-meta-") :], value)
            for name, value in headers.items()
            if name.lower().startswith("x-oss-meta-")
        )
        stored = tuple((name, headers[name]) for name in wire.STORED_HEADERS if name in headers)
        storage_class = self.header("x-oss-storage-class") or self.backend.bucket(self.bucket).storage_class
        tagging = self.header("x-oss-tagging")
        return ObjectInput(
            headers.get("Content-Type") or None,
            user_meta,
            stored,
            headers.get("Content-MD5"),
            records.check_storage_class(storage_class),
            records.check_object_acl(self.header("x-oss-object-acl") or "default"),
            records.parse_tagging_header(tagging) if tagging else (),
            records.encryption(
                self.header(SSE_HEADER),
                self.header("x-oss-server-side-encryption-key-id"),
                self.header("x-oss-server-side-data-encryption"),
                self.gateway.account_id,
            ),
        )
