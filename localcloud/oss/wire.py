"""OSS wire format: the XML document and error shapes, dates, Range parsing, and the object headers both SDKs
read. The bodies of each operation are in :mod:`.bodies`.

Ranges follow OSS (GetObject doc): one ``bytes=a-b`` / ``bytes=a-`` / ``bytes=-n`` range is honoured (206 with
Content-Range, an end past the object clipped); a start at or past the end answers 416 InvalidRange; a malformed
or multi-range header is ignored and the whole object comes back with 200.
"""

from __future__ import annotations

import re
from email.utils import formatdate
from urllib.parse import quote

from localcloud.core.errors import ServiceError
from localcloud.core.render import xml_text
from localcloud.oss import errors as e
from localcloud.oss.records import StoredObject

XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'
XML_TYPE = "application/xml"
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
STORED_HEADERS = ("Cache-Control", "Content-Disposition", "Content-Encoding", "Content-Language", "Expires")
RESPONSE_OVERRIDES = {
    "response-content-type": "Content-Type",
    "response-content-language": "Content-Language",
    "response-expires": "Expires",
    "response-cache-control": "Cache-Control",
    "response-content-disposition": "Content-Disposition",
    "response-content-encoding": "Content-Encoding",
}


def http_date(epoch_seconds: float) -> str:
    return formatdate(epoch_seconds, usegmt=True)


def header_text(value: str) -> str:
    """A header value whose UTF-8 bytes go on the wire as they are (WSGI servers write header text as latin-1):
    a ``response-content-disposition`` naming a Chinese file name comes back as its UTF-8 bytes."""
    return value.encode("utf-8").decode("latin-1")


def el(name: str, value: object) -> str:
    return f"<{name}>{xml_text(value)}</{name}>"


def document(root: str, inner: str) -> bytes:
    return f"{XML_DECL}<{root}>{inner}</{root}>".encode()


def encode_name(value: str, url: bool) -> str:
    """Keys/prefixes in listings are URL-encoded when the request asked for ``encoding-type=url``."""
    return quote(value, safe="/") if url else value


def error_ec(err: ServiceError) -> str:
    """OSS's diagnostic code of an error, '' when none is known."""
    return err.ec if isinstance(err, e.OssError) else ""


def error(err: ServiceError, request_id: str, host_id: str) -> bytes:
    parts = [el("Code", err.code), el("Message", err.message), el("RequestId", request_id)]
    parts.append(el("HostId", host_id))
    parts += [el(name, value) for name, value in err.details.items()]
    if error_ec(err):
        parts.append(el("EC", error_ec(err)))
    return document("Error", "".join(parts))


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) byte positions to send, or None for the whole object; InvalidRange past the end."""
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if not match or (not match.group(1) and not match.group(2)):
        return None
    first_text, last_text = match.groups()
    if not first_text:
        suffix = int(last_text)
        if suffix == 0:
            return None
        return max(size - suffix, 0), size - 1
    first = int(first_text)
    last = int(last_text) if last_text else size - 1
    if last_text and first > last:
        return None
    if first >= size:
        raise e.InvalidRange(RangeRequested=header.strip(), ActualObjectSize=str(size))
    return first, min(last, size - 1)


def object_headers(obj: StoredObject, link: StoredObject | None = None) -> dict[str, str]:
    """The headers GetObject and HeadObject return for ``obj`` (Content-Length/Range set by the caller).

    Through a symlink, ``link`` is the symlink: the answer describes the target's bytes (length, ETag, CRC,
    type) but carries the symlink's own object type, metadata, storage class and tags, and the later of the two
    modification times (what oss2's symlink tests read back from OSS).
    """
    own = link or obj
    headers = {
        "Content-Type": obj.content_type,
        "ETag": f'"{obj.etag}"',
        "Last-Modified": http_date(max(obj.last_modified, own.last_modified)),
        "Accept-Ranges": "bytes",
        "x-oss-object-type": own.object_type,
        "x-oss-storage-class": own.storage_class,
        "x-oss-hash-crc64ecma": str(obj.crc64),
    }
    if obj.content_md5:
        headers["Content-MD5"] = obj.content_md5
    if own.object_type == "Appendable":
        headers["x-oss-next-append-position"] = str(own.size)
    if own.tags:
        headers["x-oss-tagging-count"] = str(len(own.tags))
    if own.encryption:
        headers.update(own.encryption.headers())
    headers.update(dict(obj.headers))
    headers.update({f"x-oss-meta-{name}": value for name, value in own.user_meta})
    return headers
