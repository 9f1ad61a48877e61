"""OSS object sub-resources: ``?acl`` (Get/PutObjectAcl), ``?tagging`` (Get/Put/DeleteObjectTagging) and
``?symlink`` (Put/GetSymlink).

Neither an ACL nor a tag change is a write: Last-Modified stays (PutObjectTagging doc). A symlink's own ACL and
tags are its own, not its target's.
"""

from __future__ import annotations

from urllib.parse import quote, unquote_to_bytes

from werkzeug.wrappers import Response

from localcloud.auth.wire import header_bytes
from localcloud.core.responses import action
from localcloud.oss import bodies, records, wire
from localcloud.oss import errors as e
from localcloud.oss.base import OssRequest, empty_response, xml_response


class SubresourceActions(OssRequest):
    @action
    def get_object_acl(self) -> Response:
        stored = self.backend.head(self.bucket, self.key)
        return xml_response(bodies.acl(self.gateway.account_id, stored.acl))

    @action
    def put_object_acl(self) -> Response:
        """``x-oss-object-acl`` is required (EC 0017-00000105 when missing or empty)."""
        acl = self.header("x-oss-object-acl")
        if not acl:
            raise e.InvalidArgument("The x-oss-object-acl header is missing.", ArgumentName="x-oss-object-acl")
        self.backend.update(self.bucket, self.key, acl=records.check_object_acl(acl))
        return empty_response(200)

    @action
    def get_object_tagging(self) -> Response:
        return xml_response(bodies.tagging(self.backend.head(self.bucket, self.key).tags))

    @action
    def put_object_tagging(self) -> Response:
        tags = records.check_tags(bodies.parse_tagging(self.body))
        self.backend.update(self.bucket, self.key, tags=tags)
        return empty_response(200)

    @action
    def delete_object_tagging(self) -> Response:
        self.backend.update(self.bucket, self.key, tags=())
        return empty_response(204)

    @action
    def put_symlink(self) -> Response:
        """``x-oss-symlink-target`` is the target key, URL-encoded (both SDKs encode it)."""
        raw = self.header("x-oss-symlink-target")
        if not raw:
            raise e.InvalidArgument("The x-oss-symlink-target header is missing.")
        try:
            target = unquote_to_bytes(header_bytes(raw)).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise e.InvalidArgument("x-oss-symlink-target is not valid percent-encoded UTF-8.") from exc
        stored, pending = self.backend.put_symlink(
            self.bucket,
            self.key,
            target,
            self.object_input(),
            forbid_overwrite=self.header("x-oss-forbid-overwrite").lower() == "true",
            request_id=self.request_id,
            source_ip=self.source_ip,
        )
        return self.after_response(empty_response(200, {"ETag": f'"{stored.etag}"'}), pending)

    @action
    def get_symlink(self) -> Response:
        stored = self.backend.head(self.bucket, self.key)
        if stored.symlink_target is None:
            raise e.NotSymlink(Key=self.key)
        headers = {
            "x-oss-symlink-target": quote(stored.symlink_target),
            "ETag": f'"{stored.etag}"',
            "Last-Modified": wire.http_date(stored.last_modified),
        }
        headers.update({f"x-oss-meta-{name}": value for name, value in stored.user_meta})
        return empty_response(200, headers)
