"""OSS multipart actions: Initiate/Complete/AbortMultipartUpload, UploadPart, UploadPartCopy, ListParts and
ListMultipartUploads.

Server-side encryption is set once, by InitiateMultipartUpload; every part and the completed object answer with
it, and an SSE header on UploadPart or CompleteMultipartUpload is InvalidArgument (oss2's SSE tests).
"""

from __future__ import annotations

import re
from urllib.parse import quote

from werkzeug.wrappers import Response

from localcloud.core.responses import action
from localcloud.oss import bodies
from localcloud.oss import errors as e
from localcloud.oss.base import OssRequest, empty_response, xml_response
from localcloud.oss.multipart import MAX_PART_NUMBER
from localcloud.oss.records import Part, Upload, md5_parts

MAX_LISTED = 1000
_COPY_RANGE = re.compile(r"^bytes=(\d+)-(\d+)$")


def _part_headers(part: Part, upload: Upload) -> dict[str, str]:
    headers = {
        "ETag": f'"{part.etag}"',
        "x-oss-hash-crc64ecma": str(part.crc64),
        "Content-MD5": md5_parts(part.data)[1],
    }
    if upload.meta.encryption:
        headers.update(upload.meta.encryption.headers())
    return headers


class MultipartActions(OssRequest):
    def _part_number(self) -> int:
        raw = self.query("partNumber")
        if not raw.isdigit():
            raise e.InvalidArgument(f"Part number must be an integer between 1 and {MAX_PART_NUMBER}, inclusive.")
        return int(raw)

    @action
    def initiate_multipart_upload(self) -> Response:
        upload = self.backend.initiate_upload(self.bucket, self.key, self.object_input())
        response = xml_response(bodies.initiate_result(self.bucket, self.key, upload.upload_id, self.url_encoding))
        if upload.meta.encryption:
            response.headers.update(upload.meta.encryption.headers())
        return response

    @action
    def upload_part(self) -> Response:
        self.reject_encryption_header()
        upload_id = self.query("uploadId")
        part = self.backend.upload_part(
            self.bucket, self.key, upload_id, self._part_number(), self.body, self.request.headers.get("Content-MD5")
        )
        return empty_response(200, _part_headers(part, self.backend.upload(self.bucket, self.key, upload_id)))

    @action
    def upload_part_copy(self) -> Response:
        """UploadPartCopy: ``x-oss-copy-source-range: bytes=first-last`` picks bytes of the source (all without)."""
        self.reject_encryption_header()
        source = self.copy_source()
        span = None
        wanted = self.header("x-oss-copy-source-range")
        if wanted:
            match = _COPY_RANGE.match(wanted.strip())
            size = self.backend.resolve(*source)[1].size
            if not match or int(match.group(1)) > int(match.group(2)) or int(match.group(2)) >= size:
                raise e.InvalidArgument("The x-oss-copy-source-range is not a range within the source object.")
            span = (int(match.group(1)), int(match.group(2)))
        upload_id = self.query("uploadId")
        part = self.backend.upload_part_copy(self.bucket, self.key, upload_id, self._part_number(), source, span)
        response = xml_response(bodies.copy_part_result(part))
        response.headers.update(_part_headers(part, self.backend.upload(self.bucket, self.key, upload_id)))
        return response

    @action
    def complete_multipart_upload(self) -> Response:
        self.reject_encryption_header()
        complete_all = self.header("x-oss-complete-all").lower() == "yes"
        parts = None if complete_all else bodies.parse_complete(self.body)
        stored, pending = self.backend.complete_upload(
            self.bucket, self.key, self.query("uploadId"), parts, self.request_id, self.source_ip
        )
        location = f"{self.request.scheme}://{self.request.host}/{self.bucket}/{quote(self.key)}"
        response = xml_response(bodies.complete_result(location, self.bucket, self.key, stored.etag, self.url_encoding))
        response.headers["ETag"] = f'"{stored.etag}"'
        response.headers["x-oss-hash-crc64ecma"] = str(stored.crc64)
        if stored.encryption:
            response.headers.update(stored.encryption.headers())
        return self.after_response(response, pending)

    @action
    def abort_multipart_upload(self) -> Response:
        self.backend.abort_upload(self.bucket, self.key, self.query("uploadId"))
        return empty_response(204)

    @action
    def list_parts(self) -> Response:
        marker = self.integer("part-number-marker", 0, 0, MAX_PART_NUMBER)
        max_parts = self.integer("max-parts", MAX_LISTED, 1, MAX_LISTED)
        upload, page = self.backend.list_parts(self.bucket, self.key, self.query("uploadId"), marker, max_parts)
        return xml_response(bodies.list_parts(self.bucket, upload, page, marker, max_parts, self.url_encoding))

    @action
    def list_multipart_uploads(self) -> Response:
        prefix, delimiter = self.query("prefix"), self.query("delimiter")
        key_marker, id_marker = self.query("key-marker"), self.query("upload-id-marker")
        max_uploads = self.integer("max-uploads", MAX_LISTED, 1, MAX_LISTED)
        page = self.backend.list_uploads(self.bucket, prefix, delimiter, key_marker, id_marker, max_uploads)
        body = bodies.list_uploads(
            self.bucket, page, prefix, delimiter, key_marker, id_marker, max_uploads, self.url_encoding
        )
        return xml_response(body)
