"""The XML bodies of OSS: listings and operation results out, CompleteMultipartUpload, Delete and Tagging in.

Element names and order follow the OSS API reference pages of each operation (and what oss2's ``xml_utils`` and
alibabacloud_oss_v2's models read). Names and keys are URL-encoded when the request asked for
``encoding-type=url``, and the document then says so in ``<EncodingType>``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence

from localcloud.oss import errors as e
from localcloud.oss.events import iso8601
from localcloud.oss.records import Bucket, Listing, Page, Part, StoredObject, Upload
from localcloud.oss.wire import XML_DECL, document, el, encode_name

MAX_DELETE_KEYS = 1000


def _owner(owner: str) -> str:
    return f"<Owner>{el('ID', owner)}{el('DisplayName', owner)}</Owner>"


def _encoding(url: bool) -> str:
    return el("EncodingType", "url") if url else ""


def list_buckets(page: Page, owner: str, region: str, prefix: str, marker: str, max_keys: int) -> bytes:
    """ListAllMyBucketsResult; Prefix, Marker, MaxKeys, IsTruncated and NextMarker only when the page is
    truncated (ListBuckets doc: "if all buckets are returned, the XML does not contain" them)."""
    buckets: Sequence[Bucket] = page.items
    items = "".join(
        "<Bucket>"
        + el("CreationDate", iso8601(b.create_time))
        + el("ExtranetEndpoint", f"oss-{region}.aliyuncs.com")
        + el("IntranetEndpoint", f"oss-{region}-internal.aliyuncs.com")
        + el("Location", f"oss-{region}")
        + el("Name", b.name)
        + el("Region", region)
        + el("StorageClass", b.storage_class)
        + "</Bucket>"
        for b in buckets
    )
    paging = ""
    if page.truncated:
        paging = el("Prefix", prefix) + el("Marker", marker) + el("MaxKeys", max_keys)
        paging += el("IsTruncated", "true") + el("NextMarker", page.next_marker)
    return document("ListAllMyBucketsResult", f"{paging}{_owner(owner)}<Buckets>{items}</Buckets>")


def _contents(obj: StoredObject, owner: str | None, url: bool) -> str:
    inner = (
        el("Key", encode_name(obj.key, url))
        + el("LastModified", iso8601(obj.last_modified))
        + el("ETag", f'"{obj.etag}"')
        + el("Type", obj.object_type)
        + el("Size", obj.size)
        + el("StorageClass", obj.storage_class)
    )
    if owner is not None:
        inner += _owner(owner)
    return f"<Contents>{inner}</Contents>"


def _prefixes(prefixes: Iterable[str], url: bool) -> str:
    return "".join(f"<CommonPrefixes>{el('Prefix', encode_name(p, url))}</CommonPrefixes>" for p in prefixes)


def list_objects(
    bucket: str, listing: Listing, prefix: str, marker: str, delimiter: str, max_keys: int, owner: str, url: bool
) -> bytes:
    head = (
        el("Name", bucket)
        + el("Prefix", encode_name(prefix, url))
        + el("Marker", encode_name(marker, url))
        + el("MaxKeys", max_keys)
        + el("Delimiter", encode_name(delimiter, url))
        + _encoding(url)
        + el("IsTruncated", str(listing.truncated).lower())
    )
    if listing.truncated:
        head += el("NextMarker", encode_name(listing.next_marker, url))
    body = "".join(_contents(o, owner, url) for o in listing.contents) + _prefixes(listing.common_prefixes, url)
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
    head = el("Name", bucket) + el("Prefix", encode_name(prefix, url))
    if start_after:
        head += el("StartAfter", encode_name(start_after, url))
    if token:
        head += el("ContinuationToken", token)
    head += el("MaxKeys", max_keys) + el("Delimiter", encode_name(delimiter, url))
    head += _encoding(url) + el("IsTruncated", str(listing.truncated).lower())
    if listing.truncated:
        head += el("NextContinuationToken", next_token)
    head += el("KeyCount", len(listing.contents) + len(listing.common_prefixes))
    body = "".join(_contents(o, owner, url) for o in listing.contents) + _prefixes(listing.common_prefixes, url)
    return document("ListBucketResult", head + body)


def location(region: str) -> bytes:
    return f"{XML_DECL}<LocationConstraint>oss-{region}</LocationConstraint>".encode()


# -- multipart -------------------------------------------------------------------------------------------------
def initiate_result(bucket: str, key: str, upload_id: str, url: bool) -> bytes:
    inner = _encoding(url) + el("Bucket", bucket) + el("Key", encode_name(key, url)) + el("UploadId", upload_id)
    return document("InitiateMultipartUploadResult", inner)


def complete_result(location_url: str, bucket: str, key: str, etag: str, url: bool) -> bytes:
    inner = _encoding(url) + el("Location", location_url)
    inner += el("Bucket", bucket) + el("Key", encode_name(key, url)) + el("ETag", f'"{etag}"')
    return document("CompleteMultipartUploadResult", inner)


def parse_complete(body: bytes) -> list[tuple[int, str]]:
    """(PartNumber, ETag) pairs of a CompleteMultipartUpload body, in the order given."""
    root = _parse(body)
    parts: list[tuple[int, str]] = []
    for part in root.iter("Part"):
        number, etag = part.findtext("PartNumber"), part.findtext("ETag")
        if number is None or etag is None or not number.strip().isdigit():
            raise e.MalformedXML()
        parts.append((int(number), etag.strip()))
    return parts


def list_uploads(
    bucket: str, page: Page, prefix: str, delimiter: str, key_marker: str, id_marker: str, max_uploads: int, url: bool
) -> bytes:
    uploads: Sequence[Upload] = page.items
    head = (
        _encoding(url)
        + el("Bucket", bucket)
        + el("KeyMarker", encode_name(key_marker, url))
        + el("UploadIdMarker", id_marker)
        + el("NextKeyMarker", encode_name(page.next_marker, url))
        + el("NextUploadIdMarker", page.next_id_marker)
        + el("Delimiter", encode_name(delimiter, url))
        + el("Prefix", encode_name(prefix, url))
        + el("MaxUploads", max_uploads)
        + el("IsTruncated", str(page.truncated).lower())
    )
    items = "".join(
        f"<Upload>{el('Key', encode_name(u.key, url))}{el('UploadId', u.upload_id)}"
        f"{el('StorageClass', u.meta.storage_class)}{el('Initiated', iso8601(u.initiated))}</Upload>"
        for u in uploads
    )
    return document("ListMultipartUploadsResult", head + items + _prefixes(page.common_prefixes, url))


def list_parts(bucket: str, upload: Upload, page: Page, marker: int, max_parts: int, url: bool) -> bytes:
    parts: Sequence[Part] = page.items
    head = (
        _encoding(url)
        + el("Bucket", bucket)
        + el("Key", encode_name(upload.key, url))
        + el("UploadId", upload.upload_id)
        + el("PartNumberMarker", marker)
        + el("NextPartNumberMarker", page.next_marker or marker)
        + el("MaxParts", max_parts)
        + el("IsTruncated", str(page.truncated).lower())
        + el("StorageClass", upload.meta.storage_class)
    )
    items = "".join(
        "<Part>"
        + el("PartNumber", p.number)
        + el("LastModified", iso8601(p.last_modified))
        + el("ETag", f'"{p.etag}"')
        + el("HashCrc64ecma", p.crc64)
        + el("Size", p.size)
        + "</Part>"
        for p in parts
    )
    return document("ListPartsResult", head + items)


def copy_part_result(part: Part) -> bytes:
    return document("CopyPartResult", el("LastModified", iso8601(part.last_modified)) + el("ETag", f'"{part.etag}"'))


# -- objects ---------------------------------------------------------------------------------------------------
def copy_result(stored: StoredObject) -> bytes:
    inner = el("ETag", f'"{stored.etag}"') + el("LastModified", iso8601(stored.last_modified))
    return document("CopyObjectResult", inner)


def parse_delete(body: bytes) -> tuple[list[str], bool]:
    """(keys, quiet) of a DeleteMultipleObjects body; at most 1000 keys."""
    root = _parse(body)
    keys = [obj.findtext("Key") or "" for obj in root.iter("Object")]
    if not keys or len(keys) > MAX_DELETE_KEYS or "" in keys:
        raise e.MalformedXML()
    return keys, (root.findtext("Quiet") or "false").strip().lower() == "true"


def delete_result(keys: Iterable[str], url: bool) -> bytes:
    deleted = "".join(f"<Deleted>{el('Key', encode_name(k, url))}</Deleted>" for k in keys)
    return document("DeleteResult", _encoding(url) + deleted)


def acl(owner: str, grant: str) -> bytes:
    grants = f"<AccessControlList>{el('Grant', grant)}</AccessControlList>"
    return document("AccessControlPolicy", _owner(owner) + grants)


def tagging(tags: Iterable[tuple[str, str]]) -> bytes:
    items = "".join(f"<Tag>{el('Key', k)}{el('Value', v)}</Tag>" for k, v in tags)
    return document("Tagging", f"<TagSet>{items}</TagSet>")


def parse_tagging(body: bytes) -> list[tuple[str, str]]:
    root = _parse(body)
    if root.tag != "Tagging":
        raise e.MalformedXML()
    return [(tag.findtext("Key") or "", tag.findtext("Value") or "") for tag in root.iter("Tag")]


def parse_bucket_storage_class(body: bytes) -> str:
    """The ``<StorageClass>`` of a PutBucket body (Standard when there is no body)."""
    if not body.strip():
        return "Standard"
    return (_parse(body).findtext("StorageClass") or "Standard").strip()


def _parse(body: bytes) -> ET.Element:
    try:
        return ET.fromstring(body)
    except ET.ParseError as exc:
        raise e.MalformedXML() from exc
