"""OSS object actions: Put/Get/Head/DeleteObject, GetObjectMeta, CopyObject and AppendObject.

Reads follow the GetObject doc: conditional headers (an ETag with or without its quotes: oss2's resumable download
sends it bare), one byte range, ``response-*`` overrides, and GZIP: with ``Accept-Encoding: gzip`` an object of
at least 1 KB whose type is one of the documented text types comes back compressed, with ``Content-Encoding:
gzip`` and without ETag, Content-Length and Accept-Ranges ("How do I compress objects that I download from OSS in
the GZIP format?"). A byte-range request is served uncompressed: the doc does not say how the two combine, and a
range of the stored bytes is what the client asked for.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Iterator
from email.utils import parsedate_to_datetime

from werkzeug.wrappers import Response

from localcloud.core.responses import action
from localcloud.oss import bodies, wire
from localcloud.oss import errors as e
from localcloud.oss.base import OssRequest, empty_response, xml_response
from localcloud.oss.records import StoredObject

CHUNK = 1 << 20
GZIP_TYPES = frozenset(
    """text/cache-manifest text/xml text/css text/html text/plain application/javascript
    application/x-javascript application/rss+xml application/json text/json""".split()  # noqa: SIM905
)
GZIP_MIN_SIZE = 1024
GET_CONDITIONS = ("If-Match", "If-Unmodified-Since", "If-None-Match", "If-Modified-Since")
COPY_CONDITIONS = (
    "x-oss-copy-source-if-match",
    "x-oss-copy-source-if-unmodified-since",
    "x-oss-copy-source-if-none-match",
    "x-oss-copy-source-if-modified-since",
)


def written_headers(stored: StoredObject) -> dict[str, str]:
    """The headers of a successful write: ETag, CRC-64, Content-MD5 (when OSS computes one), encryption."""
    headers = {"ETag": f'"{stored.etag}"', "x-oss-hash-crc64ecma": str(stored.crc64)}
    if stored.content_md5:
        headers["Content-MD5"] = stored.content_md5
    if stored.encryption:
        headers.update(stored.encryption.headers())
    return headers


def etag_listed(header: str, etag: str) -> bool:
    """Whether an If-Match / If-None-Match value names ``etag`` (or is ``*``), quoted or not."""
    return any(item == "*" or item.strip('"') == etag for item in (v.strip() for v in header.split(",")))


def _parse_date(value: str) -> int | None:
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


def _accepts_gzip(accept_encoding: str) -> bool:
    for item in accept_encoding.split(","):
        name, *params = (part.strip() for part in item.split(";"))
        weights = [p[2:] for p in params if p.lower().startswith("q=")]
        if name.lower() == "gzip" and not (weights and weights[0].strip() in {"0", "0.0", "0.00", "0.000"}):
            return True
    return False


class ObjectActions(OssRequest):
    def fresh(self, obj: StoredObject, names: tuple[str, str, str, str] = GET_CONDITIONS) -> bool:
        """False when the client's copy is current (304); PreconditionFailed when a condition fails. ``names``
        are the four condition headers: If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since."""
        if_match, unmodified_since, if_none_match, modified_since = (self.header(name) for name in names)
        if if_match and not etag_listed(if_match, obj.etag):
            raise e.PreconditionFailed()
        since = _parse_date(unmodified_since)
        if since is not None and int(obj.last_modified) > since:
            raise e.PreconditionFailed()
        if if_none_match and etag_listed(if_none_match, obj.etag):
            return False
        modified = _parse_date(modified_since)
        return not (modified is not None and int(obj.last_modified) <= modified)

    def _serve(self, *, head: bool) -> Response:
        link, obj = self.backend.resolve(self.bucket, self.key)
        if not head:
            self.backend.readable(obj)
        headers = wire.object_headers(obj, link if link is not obj else None)
        if not self.fresh(obj):
            return empty_response(304, {"ETag": headers["ETag"], "Last-Modified": headers["Last-Modified"]})
        for query, header in wire.RESPONSE_OVERRIDES.items():
            if self.query(query):
                headers[header] = wire.header_text(self.query(query))
        status, first, last = 200, 0, obj.size - 1
        wanted = None if head else wire.parse_range(self.request.headers.get("Range"), obj.size)
        if wanted is not None:
            status, (first, last) = 206, wanted
            headers["Content-Range"] = f"bytes {first}-{last}/{obj.size}"
        if wanted is None and self._compressible(obj):
            return self._compressed(obj, headers, head=head)
        length = max(last - first + 1, 0)
        body: Iterable[bytes] = [] if head or length == 0 else _chunks(obj.data, first, last)
        response = Response(body, status=status, direct_passthrough=True)
        for name, value in headers.items():
            response.headers[name] = value
        response.headers["Content-Length"] = str(length if not head else obj.size)
        return response

    def _compressible(self, obj: StoredObject) -> bool:
        media_type = obj.content_type.split(";", 1)[0].strip().lower()
        already_encoded = any(name == "Content-Encoding" for name, _ in obj.headers)
        return (
            _accepts_gzip(self.header("Accept-Encoding"))
            and media_type in GZIP_TYPES
            and obj.size >= GZIP_MIN_SIZE
            and not already_encoded
        )

    @staticmethod
    def _compressed(obj: StoredObject, headers: dict[str, str], *, head: bool) -> Response:
        for name in ("ETag", "Accept-Ranges"):
            headers.pop(name, None)
        headers.update({"Content-Encoding": "gzip", "Vary": "Accept-Encoding"})
        response = Response([] if head else [gzip.compress(obj.data)], status=200, direct_passthrough=True)
        response.automatically_set_content_length = False  # sent chunked, as OSS does
        for name, value in headers.items():
            response.headers[name] = value
        return response

    @action
    def put_object(self) -> Response:
        stored, pending = self.backend.store(
            self.bucket,
            self.key,
            self.body,
            self.object_input(),
            forbid_overwrite=self.header("x-oss-forbid-overwrite").lower() == "true",
            request_id=self.request_id,
            source_ip=self.source_ip,
        )
        return self.after_response(empty_response(200, written_headers(stored)), pending)

    @action
    def get_object(self) -> Response:
        return self._serve(head=False)

    @action
    def head_object(self) -> Response:
        return self._serve(head=True)

    @action
    def get_object_meta(self) -> Response:
        _, obj = self.backend.resolve(self.bucket, self.key)
        headers = {
            "ETag": f'"{obj.etag}"',
            "Last-Modified": wire.http_date(obj.last_modified),
            "x-oss-hash-crc64ecma": str(obj.crc64),
            "Content-Length": str(obj.size),
        }
        return empty_response(200, headers)

    @action
    def delete_object(self) -> Response:
        pending = self.backend.delete(self.bucket, self.key, self.request_id, self.source_ip)
        return self.after_response(empty_response(204), pending)

    @action
    def copy_object(self) -> Response:
        """CopyObject: source conditions as ``x-oss-copy-source-if-*`` (412, or 304 for a current copy);
        ``x-oss-metadata-directive`` COPY (default) or REPLACE; ``x-oss-tagging-directive`` Copy or Replace."""
        source = self.copy_source()
        _, original = self.backend.resolve(*source)
        if not self.fresh(original, COPY_CONDITIONS):
            return empty_response(304)
        directive = (self.header("x-oss-metadata-directive") or "COPY").upper()
        tag_directive = (self.header("x-oss-tagging-directive") or "Copy").lower()
        if directive not in ("COPY", "REPLACE") or tag_directive not in ("copy", "replace"):
            raise e.InvalidArgument("The metadata or tagging directive is not COPY or REPLACE.")
        stored, pending = self.backend.copy(
            source,
            self.bucket,
            self.key,
            self.object_input(),
            keep_meta=directive == "COPY",
            keep_tags=tag_directive == "copy",
            forbid_overwrite=self.header("x-oss-forbid-overwrite").lower() == "true",
            request_id=self.request_id,
            source_ip=self.source_ip,
        )
        response = xml_response(bodies.copy_result(stored))
        response.headers["x-oss-hash-crc64ecma"] = str(stored.crc64)
        if stored.encryption:
            response.headers.update(stored.encryption.headers())
        return self.after_response(response, pending)

    @action
    def append_object(self) -> Response:
        position = self.query("position")
        if not position.isdigit():
            raise e.InvalidArgument("The position parameter is missing or not a non-negative integer.")
        stored, pending = self.backend.append(
            self.bucket, self.key, int(position), self.body, self.object_input(), self.request_id, self.source_ip
        )
        headers = written_headers(stored)
        headers["x-oss-next-append-position"] = str(stored.size)
        return self.after_response(empty_response(200, headers), pending)
