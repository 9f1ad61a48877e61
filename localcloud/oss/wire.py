"""OSS wire format: XML bodies, dates, Range parsing, and the object headers both SDKs read.

Ranges follow OSS (GetObject doc): one ``bytes=a-b`` / ``bytes=a-`` / ``bytes=-n`` range is honoured (206 with
Content-Range, an end past the object clipped); a start at or past the end answers 416 InvalidRange; a malformed
or multi-range header is ignored and the whole object comes back with 200.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from email.utils import formatdate
from urllib.parse import quote

from localcloud.core.errors import ServiceError
from localcloud.core.render import xml_text
from localcloud.oss import errors as e
from localcloud.oss.events import iso8601
from localcloud.oss.models import Bucket, Listing, StoredObject

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


def _el(name: str, value: object) -> str:
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
    parts = [_el("Code", err.code), _el("Message", err.message), _el("RequestId", request_id)]
    parts.append(_el("HostId", host_id))
    parts += [_el(name, value) for name, value in err.details.items()]
    if error_ec(err):
        parts.append(_el("EC", error_ec(err)))
    return document("Error", "".join(parts))


def list_buckets(buckets: Sequence[Bucket], owner: str, region: str) -> bytes:
    items = "".join(
        "<Bucket>"
        + _el("CreationDate", iso8601(b.create_time))
        + _el("ExtranetEndpoint", f"oss-{region}.aliyuncs.com")
        + _el("IntranetEndpoint", f"oss-{region}-internal.aliyuncs.com")
        + _el("Location", f"oss-{region}")
        + _el("Name", b.name)
        + _el("Region", region)
        + _el("StorageClass", "Standard")
        + "</Bucket>"
        for b in buckets
    )
    owner_xml = f"<Owner>{_el('ID', owner)}{_el('DisplayName', owner)}</Owner>"
    return document("ListAllMyBucketsResult", f"{owner_xml}<Buckets>{items}</Buckets>")


def _contents(obj: StoredObject, owner: str | None, url: bool) -> str:
    inner = (
        _el("Key", encode_name(obj.key, url))
        + _el("LastModified", iso8601(obj.last_modified))
        + _el("ETag", f'"{obj.etag}"')
        + _el("Type", obj.object_type)
        + _el("Size", obj.size)
        + _el("StorageClass", "Standard")
    )
    if owner is not None:
        inner += f"<Owner>{_el('ID', owner)}{_el('DisplayName', owner)}</Owner>"
    return f"<Contents>{inner}</Contents>"


def _prefixes(listing: Listing, url: bool) -> str:
    return "".join(
        f"<CommonPrefixes>{_el('Prefix', encode_name(p, url))}</CommonPrefixes>" for p in listing.common_prefixes
    )


def list_objects(
    bucket: str, listing: Listing, prefix: str, marker: str, delimiter: str, max_keys: int, owner: str, url: bool
) -> bytes:
    head = (
        _el("Name", bucket)
        + _el("Prefix", encode_name(prefix, url))
        + _el("Marker", encode_name(marker, url))
        + _el("MaxKeys", max_keys)
        + _el("Delimiter", encode_name(delimiter, url))
        + (_el("EncodingType", "url") if url else "")
        + _el("IsTruncated", str(listing.truncated).lower())
    )
    if listing.truncated:
        head += _el("NextMarker", encode_name(listing.next_marker, url))
    body = "".join(_contents(o, owner, url) for o in listing.contents) + _prefixes(listing, url)
    return document("ListBucketResult", head + body)


def list_objects_v2(
    bucket: str,
    listing: Listing,
    prefix: str,
    start_after: str,
    token: str,
    next_token: str,
    delimiter: str,
    max_keys: int,
    owner: str | None,
    url: bool,
) -> bytes:
    head = _el("Name", bucket) + _el("Prefix", encode_name(prefix, url))
    if start_after:
        head += _el("StartAfter", encode_name(start_after, url))
    if token:
        head += _el("ContinuationToken", token)
    head += _el("MaxKeys", max_keys) + _el("Delimiter", encode_name(delimiter, url))
    head += (_el("EncodingType", "url") if url else "") + _el("IsTruncated", str(listing.truncated).lower())
    if listing.truncated:
        head += _el("NextContinuationToken", next_token)
    head += _el("KeyCount", len(listing.contents) + len(listing.common_prefixes))
    body = "".join(_contents(o, owner, url) for o in listing.contents) + _prefixes(listing, url)
    return document("ListBucketResult", head + body)


def location(region: str) -> bytes:
    return f"{XML_DECL}<LocationConstraint>oss-{region}</LocationConstraint>".encode()


def initiate_result(bucket: str, key: str, upload_id: str, url: bool) -> bytes:
    inner = (_el("EncodingType", "url") if url else "") + _el("Bucket", bucket)
    inner += _el("Key", encode_name(key, url)) + _el("UploadId", upload_id)
    return document("InitiateMultipartUploadResult", inner)


def complete_result(location_url: str, bucket: str, key: str, etag: str, url: bool) -> bytes:
    inner = (_el("EncodingType", "url") if url else "") + _el("Location", location_url)
    inner += _el("Bucket", bucket) + _el("Key", encode_name(key, url)) + _el("ETag", f'"{etag}"')
    return document("CompleteMultipartUploadResult", inner)


def parse_complete(body: bytes) -> list[tuple[int, str]]:
    """(PartNumber, ETag) pairs of a CompleteMultipartUpload body, in the order given."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise e.MalformedXML() from exc
    parts: list[tuple[int, str]] = []
    for part in root.iter("Part"):
        number, etag = part.findtext("PartNumber"), part.findtext("ETag")
        if number is None or etag is None or not number.strip().isdigit():
            raise e.MalformedXML()
        parts.append((int(number), etag.strip()))
    return parts


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


def object_headers(obj: StoredObject) -> dict[str, str]:
    """The headers GetObject and HeadObject return for ``obj`` (Content-Length/Range set by the caller)."""
    headers = {
        "Content-Type": obj.content_type,
        "ETag": f'"{obj.etag}"',
        "Last-Modified": http_date(obj.last_modified),
        "Accept-Ranges": "bytes",
        "x-oss-object-type": obj.object_type,
        "x-oss-storage-class": "Standard",
        "x-oss-hash-crc64ecma": str(obj.crc64),
    }
    if obj.content_md5:
        headers["Content-MD5"] = obj.content_md5
    headers.update(dict(obj.headers))
    headers.update({f"x-oss-meta-{name}": value for name, value in obj.user_meta})
    return headers
