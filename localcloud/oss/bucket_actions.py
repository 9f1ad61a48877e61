"""OSS service- and bucket-level actions: ListBuckets, Put/DeleteBucket, GetBucketLocation, Get/PutBucketAcl,
ListObjects (v1 and v2) and DeleteMultipleObjects."""

from __future__ import annotations

import base64
import binascii

from werkzeug.wrappers import Response

from localcloud.core.responses import action
from localcloud.oss import bodies, records
from localcloud.oss import errors as e
from localcloud.oss.base import OssRequest, empty_response, xml_response

MAX_LIST_KEYS = 1000


class BucketActions(OssRequest):
    @action
    def list_buckets(self) -> Response:
        prefix, marker = self.query("prefix"), self.query("marker")
        max_keys = self.integer("max-keys", 100, 1, MAX_LIST_KEYS)
        owner = self.gateway.account_id
        page = self.backend.list_buckets(owner, prefix, marker, max_keys)
        return xml_response(bodies.list_buckets(page, owner, self.gateway.region, prefix, marker, max_keys))

    @action
    def put_bucket(self) -> Response:
        acl = self.header("x-oss-acl")
        storage_class = records.check_storage_class(bodies.parse_bucket_storage_class(self.body))
        self.backend.put_bucket(
            self.bucket, acl=records.check_bucket_acl(acl) if acl else None, storage_class=storage_class
        )
        return empty_response(200, {"Location": f"/{self.bucket}"})

    @action
    def delete_bucket(self) -> Response:
        self.backend.delete_bucket(self.bucket)
        return empty_response(204)

    @action
    def get_bucket_location(self) -> Response:
        return xml_response(bodies.location(self.gateway.region))

    @action
    def get_bucket_acl(self) -> Response:
        return xml_response(bodies.acl(self.gateway.account_id, self.backend.bucket(self.bucket).acl))

    @action
    def put_bucket_acl(self) -> Response:
        self.backend.set_bucket_acl(self.bucket, records.check_bucket_acl(self.header("x-oss-acl")))
        return empty_response(200)

    @action
    def list_objects(self) -> Response:
        prefix, marker, delimiter = self.query("prefix"), self.query("marker"), self.query("delimiter")
        max_keys = self.integer("max-keys", 100, 1, MAX_LIST_KEYS)
        listing = self.backend.list_objects(self.bucket, prefix, marker, delimiter, max_keys)
        owner = self.gateway.account_id
        return xml_response(
            bodies.list_objects(self.bucket, listing, prefix, marker, delimiter, max_keys, owner, self.url_encoding)
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
        max_keys = self.integer("max-keys", 100, 1, MAX_LIST_KEYS)
        listing = self.backend.list_objects(self.bucket, prefix, marker, delimiter, max_keys)
        next_token = base64.urlsafe_b64encode(listing.next_marker.encode("utf-8")).decode("ascii")
        owner = self.gateway.account_id if self.query("fetch-owner").lower() == "true" else None
        body = bodies.list_objects_v2(
            self.bucket, listing, prefix, start_after, token, next_token, delimiter, max_keys, owner, self.url_encoding
        )
        return xml_response(body)

    @action
    def delete_multiple_objects(self) -> Response:
        """Keys that do not exist count as deleted, as with DeleteObject; Quiet mode lists none of them."""
        checksum = self.header("Content-MD5")
        if checksum and checksum != records.md5_parts(self.body)[1]:
            raise e.InvalidDigest()
        keys, quiet = bodies.parse_delete(self.body)
        for key in keys:
            records.check_key(key)
        pending = self.backend.delete_many(self.bucket, keys, self.request_id, self.source_ip)
        body = bodies.delete_result([] if quiet else keys, self.url_encoding)
        return self.after_response(xml_response(body), pending)
