"""Multipart uploads of the OSS backend: initiate, upload (or copy) parts, list, complete, abort.

A mixin of :class:`~localcloud.oss.models.OssBackend`, kept apart so each file reads as one area of the API. Upload
ids sort in the order uploads were initiated, so ListMultipartUploads' documented order (by key, then upload id)
is also the order of initiation.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import threading
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from localcloud.oss import errors as e
from localcloud.oss.records import (
    PLAIN,
    ObjectInput,
    Page,
    Part,
    PendingNotification,
    StoredObject,
    Upload,
    check_key,
    crc64,
    md5_parts,
)

if TYPE_CHECKING:
    from localcloud.oss.records import Bucket

MIN_PART_SIZE = 100 * 1024
MAX_PART_NUMBER = 10000
_sequence = itertools.count()
_sequence_lock = threading.Lock()


def _upload_id(now: float) -> str:
    """32 upper-case hex digits led by the initiation time (microseconds) and a counter, then random bits."""
    with _sequence_lock:
        serial = next(_sequence) & 0xFFFF
    return f"{int(now * 1_000_000) & 0xFFFFFFFFFFFF:012X}{serial:04X}{uuid.uuid4().hex[:16].upper()}"


class MultipartMixin:
    """The multipart half of the OSS backend (uses its lock, buckets, clock and :meth:`store`)."""

    _lock: threading.RLock

    if TYPE_CHECKING:  # provided by OssBackend

        def _bucket(self, name: str) -> Bucket: ...
        def _now(self) -> float: ...
        def store(self, *args: Any, **kwargs: Any) -> tuple[StoredObject, list[PendingNotification]]: ...
        def resolve(self, bucket: str, key: str) -> tuple[StoredObject, StoredObject]: ...
        def readable(self, obj: StoredObject) -> StoredObject: ...

    def initiate_upload(self, bucket: str, key: str, meta: ObjectInput = PLAIN) -> Upload:
        check_key(key)
        with self._lock:
            now = self._now()
            upload = Upload(_upload_id(now), key, now, dataclasses.replace(meta, content_md5=None))
            self._bucket(bucket).uploads[upload.upload_id] = upload
            return upload

    def upload(self, bucket: str, key: str, upload_id: str) -> Upload:
        """The upload in progress (NoSuchUpload for another key, or once completed or aborted)."""
        with self._lock:
            upload = self._bucket(bucket).uploads.get(upload_id)
            if upload is None or upload.key != key:
                raise e.NoSuchUpload(UploadId=upload_id)
            return upload

    def upload_part(
        self, bucket: str, key: str, upload_id: str, number: int, data: bytes, content_md5: str | None = None
    ) -> Part:
        _check_part_number(number)
        md5_hex, md5_b64 = md5_parts(data)
        if content_md5 is not None and content_md5 != md5_b64:
            raise e.InvalidDigest()
        with self._lock:
            upload = self.upload(bucket, key, upload_id)
            part = Part(number, bytes(data), md5_hex, crc64(data), self._now())
            upload.parts[number] = part
            return part

    def upload_part_copy(
        self, bucket: str, key: str, upload_id: str, number: int, source: tuple[str, str], span: tuple[int, int] | None
    ) -> Part:
        """UploadPartCopy: bytes ``span`` (first, last; None = all) of the source object become the part."""
        _check_part_number(number)
        with self._lock:
            self.upload(bucket, key, upload_id)
            _, original = self.resolve(*source)
            self.readable(original)
            data = original.data if span is None else original.data[span[0] : span[1] + 1]
        return self.upload_part(bucket, key, upload_id, number, data)

    def complete_upload(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        parts: Iterable[tuple[int, str]] | None,
        request_id: str = "",
        source_ip: str = "127.0.0.1",
    ) -> tuple[StoredObject, list[PendingNotification]]:
        """CompleteMultipartUpload; ``parts`` None means all uploaded parts (``x-oss-complete-all: yes``)."""
        with self._lock:
            upload = self.upload(bucket, key, upload_id)
            chosen = _chosen_parts(upload, parts)
            for part in chosen[:-1]:
                if part.size < MIN_PART_SIZE:
                    raise e.EntityTooSmall()
            combined = hashlib.md5(b"".join(bytes.fromhex(p.etag) for p in chosen)).hexdigest().upper()
            stored, pending = self.store(
                bucket,
                key,
                b"".join(p.data for p in chosen),
                upload.meta,
                event_name="ObjectCreated:CompleteMultipartUpload",
                request_id=request_id,
                source_ip=source_ip,
                object_type="Multipart",
                etag=f"{combined}-{len(chosen)}",
            )
            del self._bucket(bucket).uploads[upload_id]
            return stored, pending

    def abort_upload(self, bucket: str, key: str, upload_id: str) -> None:
        with self._lock:
            self.upload(bucket, key, upload_id)
            del self._bucket(bucket).uploads[upload_id]

    def list_uploads(
        self,
        bucket: str,
        prefix: str = "",
        delimiter: str = "",
        key_marker: str = "",
        upload_id_marker: str = "",
        max_uploads: int = 1000,
    ) -> Page:
        """ListMultipartUploads: uploads after (``key_marker``, ``upload_id_marker``) by key, then upload id.

        Without an upload-id marker every upload of ``key_marker`` itself is skipped too (ListMultipartUploads
        doc). With a delimiter, keys sharing the part up to it roll up into common prefixes.
        """
        with self._lock:
            uploads = sorted(self._bucket(bucket).uploads.values(), key=lambda u: (u.key, u.upload_id))
        items: list[Upload] = []
        prefixes: list[str] = []
        last = ("", "")
        for upload in uploads:
            if not upload.key.startswith(prefix) or not _after(upload, key_marker, upload_id_marker):
                continue
            common = _common_prefix(upload.key, prefix, delimiter)
            if common and ((prefixes and prefixes[-1] == common) or common <= key_marker):
                continue
            if len(items) + len(prefixes) >= max_uploads:
                return Page(items, True, last[0], last[1], prefixes)
            if common:
                prefixes.append(common)
                last = (common, "")
            else:
                items.append(upload)
                last = (upload.key, upload.upload_id)
        return Page(items, False, "", "", prefixes)

    def list_parts(
        self, bucket: str, key: str, upload_id: str, part_number_marker: int = 0, max_parts: int = 1000
    ) -> tuple[Upload, Page]:
        """ListParts: the upload's parts numbered above ``part_number_marker``, in part-number order."""
        with self._lock:
            upload = self.upload(bucket, key, upload_id)
            parts = [upload.parts[n] for n in sorted(upload.parts) if n > part_number_marker]
        page = parts[:max_parts]
        truncated = len(parts) > max_parts
        return upload, Page(page, truncated, str(page[-1].number) if page else "")


def _check_part_number(number: int) -> None:
    if not 1 <= number <= MAX_PART_NUMBER:
        raise e.InvalidArgument(f"Part number must be an integer between 1 and {MAX_PART_NUMBER}, inclusive.")


def _after(upload: Upload, key_marker: str, upload_id_marker: str) -> bool:
    if upload.key != key_marker:
        return upload.key > key_marker
    return bool(upload_id_marker) and upload.upload_id > upload_id_marker


def _common_prefix(key: str, prefix: str, delimiter: str) -> str:
    if not delimiter:
        return ""
    cut = key.find(delimiter, len(prefix))
    return key[: cut + len(delimiter)] if cut >= 0 else ""


def _chosen_parts(upload: Upload, parts: Iterable[tuple[int, str]] | None) -> list[Part]:
    if parts is None:
        return [upload.parts[n] for n in sorted(upload.parts)]
    chosen: list[Part] = []
    for number, etag in parts:
        if chosen and number <= chosen[-1].number:
            raise e.InvalidPartOrder()
        part = upload.parts.get(number)
        if part is None or etag.strip('"').upper() != part.etag:
            raise e.InvalidPart()
        chosen.append(part)
    if not chosen:
        raise e.MalformedXML()
    return chosen
