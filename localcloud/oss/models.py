"""OSS state: buckets, objects (immutable bytes), multipart uploads and FC notification rules.

Plain objects behind one lock; no HTTP here. Objects keep their bytes once, as ``bytes``, so a GET can serve
slices of a memoryview without copying the whole object per request. Mutations that fire notifications return
the pending deliveries instead of sending them, so the HTTP layer can deliver after its response is on the wire.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import crcmod

from localcloud.clock import Clock
from localcloud.core.backend import BaseBackend, DeliverEvent
from localcloud.core.ids import new_request_id
from localcloud.oss import errors as e
from localcloud.oss.events import CREATED_ALL, NotificationRule, ObjectEvent, event_bytes, rule_id_for

log = logging.getLogger(__name__)

# CRC-64/ECMA-182 as OSS computes it (oss2.utils.Crc64 / alibabacloud_oss_v2.crc: reflected, xorout all ones).
_crc64 = crcmod.mkCrcFun(0x142F0E1EBA9EA3693, initCrc=0, xorOut=0xFFFFFFFFFFFFFFFF, rev=True)
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
MAX_KEY_BYTES = 1023
MIN_PART_SIZE = 100 * 1024
MAX_PART_NUMBER = 10000
DEFAULT_CONTENT_TYPE = "application/octet-stream"


def crc64(data: bytes) -> int:
    return int(_crc64(data))


@dataclass(frozen=True)
class StoredObject:
    """One object version. ``etag`` is upper-case hex without quotes (``-N`` suffix for multipart)."""

    bucket: str
    key: str
    data: bytes
    etag: str
    crc64: int
    content_type: str
    last_modified: float
    content_md5: str | None = None
    object_type: str = "Normal"
    user_meta: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def size(self) -> int:
        return len(self.data)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view without the bytes."""
        return {
            "bucket": self.bucket,
            "key": self.key,
            "size": self.size,
            "etag": self.etag,
            "crc64": str(self.crc64),
            "content_type": self.content_type,
            "last_modified": self.last_modified,
            "object_type": self.object_type,
            "user_meta": dict(self.user_meta),
        }


@dataclass(frozen=True)
class Part:
    number: int
    data: bytes
    etag: str
    crc64: int
    last_modified: float


@dataclass
class Upload:
    upload_id: str
    key: str
    initiated: float
    content_type: str
    user_meta: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    parts: dict[int, Part] = field(default_factory=dict)


@dataclass
class Bucket:
    name: str
    create_time: float
    objects: dict[str, StoredObject] = field(default_factory=dict)
    uploads: dict[str, Upload] = field(default_factory=dict)


@dataclass(frozen=True)
class PendingNotification:
    """An FC delivery to make once the triggering response has been sent."""

    function_arn: str
    event: bytes


@dataclass(frozen=True)
class Listing:
    contents: list[StoredObject]
    common_prefixes: list[str]
    truncated: bool
    next_marker: str


@dataclass(frozen=True)
class ObjectInput:
    """What a write carries besides the bytes: content type, ``x-oss-meta-*`` and the stored HTTP headers."""

    content_type: str | None = None
    user_meta: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    content_md5: str | None = None


def md5_parts(data: bytes) -> tuple[str, str]:
    """(upper-case hex, base64) MD5 of ``data``."""
    digest = hashlib.md5(data).digest()
    return digest.hex().upper(), base64.b64encode(digest).decode("ascii")


def check_bucket_name(name: str) -> None:
    if not _BUCKET_NAME.match(name):
        raise e.InvalidBucketName(BucketName=name)


def check_key(key: str) -> None:
    size = len(key.encode("utf-8"))
    if size == 0 or size > MAX_KEY_BYTES or key.startswith(("/", "\\")):
        raise e.InvalidObjectName(Key=key)


class OssBackend(BaseBackend):
    """Buckets and objects of one account; the Python API tests and the FC wiring use.

    ``region`` and ``account_id`` go into notification events; ``deliver`` hands each event to its function.
    """

    def __init__(self, clock: Clock, region: str, account_id: str, deliver: DeliverEvent) -> None:
        self._clock = clock
        self.region = region
        self.account_id = account_id
        self._deliver = deliver
        self._lock = threading.RLock()
        self._buckets: dict[str, Bucket] = {}
        self._rules: list[NotificationRule] = []

    def _now(self) -> float:
        return float(self._clock.now())

    def _bucket(self, name: str) -> Bucket:
        bucket = self._buckets.get(name)
        if bucket is None:
            raise e.NoSuchBucket(BucketName=name)
        return bucket

    # -- buckets --------------------------------------------------------------------------------------------
    def put_bucket(self, name: str) -> Bucket:
        """PutBucket: BucketAlreadyExists (409) if the name is taken, even by ourselves."""
        check_bucket_name(name)
        with self._lock:
            if name in self._buckets:
                raise e.BucketAlreadyExists(BucketName=name)
            bucket = self._buckets[name] = Bucket(name, self._now())
            return bucket

    def create_bucket(self, name: str) -> Bucket:
        """Python API: create the bucket unless it exists; return it."""
        with self._lock:
            return self._buckets.get(name) or self.put_bucket(name)

    def delete_bucket(self, name: str) -> None:
        with self._lock:
            bucket = self._bucket(name)
            if bucket.objects or bucket.uploads:
                raise e.BucketNotEmpty(BucketName=name)
            del self._buckets[name]

    def buckets(self) -> list[Bucket]:
        with self._lock:
            return [self._buckets[name] for name in sorted(self._buckets)]

    def bucket_exists(self, name: str) -> bool:
        with self._lock:
            return name in self._buckets

    # -- objects --------------------------------------------------------------------------------------------
    def store(
        self,
        bucket: str,
        key: str,
        data: bytes,
        meta: ObjectInput = ObjectInput(),
        *,
        forbid_overwrite: bool = False,
        event_name: str = "ObjectCreated:PutObject",
        request_id: str = "",
        source_ip: str = "127.0.0.1",
        object_type: str = "Normal",
        etag: str | None = None,
    ) -> tuple[StoredObject, list[PendingNotification]]:
        """Write an object and return it with the notifications it triggers (not yet delivered)."""
        check_key(key)
        data = bytes(data)  # no copy when it already is bytes
        md5_hex, md5_b64 = md5_parts(data)
        if meta.content_md5 is not None and meta.content_md5 != md5_b64:
            raise e.InvalidDigest()
        checksum = crc64(data)  # hashed before taking the lock: large objects must not stall other requests
        with self._lock:
            target = self._bucket(bucket)
            previous = target.objects.get(key)
            if forbid_overwrite and previous is not None:
                raise e.FileAlreadyExists(Key=key)
            stored = StoredObject(
                bucket,
                key,
                data,
                etag or md5_hex,
                checksum,
                meta.content_type or DEFAULT_CONTENT_TYPE,
                self._now(),
                md5_b64 if object_type == "Normal" else None,
                object_type,
                meta.user_meta,
                meta.headers,
            )
            target.objects[key] = stored
            delta = stored.size - (previous.size if previous else 0)
            pending = self._notifications(stored, event_name, delta, request_id, source_ip)
            return stored, pending

    def put_object(self, bucket: str, key: str, data: bytes, content_type: str | None = None) -> StoredObject:
        """Python API: store an object as a PutObject would, and deliver its notifications now."""
        request_id = new_request_id("hex24", self._now())
        stored, pending = self.store(bucket, key, data, ObjectInput(content_type), request_id=request_id)
        self.dispatch(pending)
        return stored

    def head(self, bucket: str, key: str) -> StoredObject:
        with self._lock:
            stored = self._bucket(bucket).objects.get(key)
            if stored is None:
                raise e.NoSuchKey(Key=key)
            return stored

    def get_object(self, bucket: str, key: str) -> bytes:
        """Python API: the object's bytes."""
        return self.head(bucket, key).data

    def objects(self, bucket: str) -> dict[str, StoredObject]:
        """Python API: every object of the bucket by key, in key order."""
        with self._lock:
            return dict(sorted(self._bucket(bucket).objects.items()))

    def delete(
        self, bucket: str, key: str, request_id: str = "", source_ip: str = "127.0.0.1"
    ) -> list[PendingNotification]:
        """DeleteObject: succeeds whether or not the key exists (as OSS does); NoSuchBucket otherwise."""
        with self._lock:
            previous = self._bucket(bucket).objects.pop(key, None)
            if previous is None:
                return []
            gone = StoredObject(bucket, key, b"", previous.etag, 0, previous.content_type, self._now())
            return self._notifications(gone, "ObjectRemoved:DeleteObject", -previous.size, request_id, source_ip)

    def list_objects(
        self, bucket: str, prefix: str = "", marker: str = "", delimiter: str = "", max_keys: int = 100
    ) -> Listing:
        """Keys after ``marker`` starting with ``prefix``; with a delimiter, rolled up into common prefixes."""
        with self._lock:
            objects = dict(self._bucket(bucket).objects)
        keys = sorted(k for k in objects if k.startswith(prefix) and k > marker)
        contents: list[StoredObject] = []
        prefixes: list[str] = []
        last = ""
        for key in keys:
            common = ""
            if delimiter:
                cut = key.find(delimiter, len(prefix))
                if cut >= 0:
                    common = key[: cut + len(delimiter)]
                    if (prefixes and prefixes[-1] == common) or common <= marker:
                        continue
            if len(contents) + len(prefixes) >= max_keys:
                return Listing(contents, prefixes, True, last)
            if common:
                prefixes.append(common)
                last = common
            else:
                contents.append(objects[key])
                last = key
        return Listing(contents, prefixes, False, "")

    # -- multipart ------------------------------------------------------------------------------------------
    def initiate_upload(self, bucket: str, key: str, meta: ObjectInput = ObjectInput()) -> Upload:
        check_key(key)
        with self._lock:
            upload = Upload(
                uuid.uuid4().hex.upper(),
                key,
                self._now(),
                meta.content_type or DEFAULT_CONTENT_TYPE,
                meta.user_meta,
                meta.headers,
            )
            self._bucket(bucket).uploads[upload.upload_id] = upload
            return upload

    def _upload(self, bucket: str, key: str, upload_id: str) -> Upload:
        upload = self._bucket(bucket).uploads.get(upload_id)
        if upload is None or upload.key != key:
            raise e.NoSuchUpload(UploadId=upload_id)
        return upload

    def upload_part(
        self, bucket: str, key: str, upload_id: str, number: int, data: bytes, content_md5: str | None = None
    ) -> Part:
        if not 1 <= number <= MAX_PART_NUMBER:
            raise e.InvalidArgument(f"Part number must be an integer between 1 and {MAX_PART_NUMBER}, inclusive.")
        md5_hex, md5_b64 = md5_parts(data)
        if content_md5 is not None and content_md5 != md5_b64:
            raise e.InvalidDigest()
        with self._lock:
            upload = self._upload(bucket, key, upload_id)
            part = Part(number, bytes(data), md5_hex, crc64(data), self._now())
            upload.parts[number] = part
            return part

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
            upload = self._upload(bucket, key, upload_id)
            chosen = self._chosen_parts(upload, parts)
            for part in chosen[:-1]:
                if len(part.data) < MIN_PART_SIZE:
                    raise e.EntityTooSmall()
            combined = hashlib.md5(b"".join(bytes.fromhex(p.etag) for p in chosen)).hexdigest().upper()
            meta = ObjectInput(upload.content_type, upload.user_meta, upload.headers)
            stored, pending = self.store(
                bucket,
                key,
                b"".join(p.data for p in chosen),
                meta,
                event_name="ObjectCreated:CompleteMultipartUpload",
                request_id=request_id,
                source_ip=source_ip,
                object_type="Multipart",
                etag=f"{combined}-{len(chosen)}",
            )
            del self._buckets[bucket].uploads[upload_id]
            return stored, pending

    @staticmethod
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

    def abort_upload(self, bucket: str, key: str, upload_id: str) -> None:
        with self._lock:
            self._upload(bucket, key, upload_id)
            del self._buckets[bucket].uploads[upload_id]

    # -- notifications --------------------------------------------------------------------------------------
    def add_notification(
        self,
        bucket: str,
        function_arn: str,
        events: Iterable[str] = (CREATED_ALL,),
        prefix: str = "",
        suffix: str = "",
    ) -> NotificationRule:
        """Python API: deliver matching object events of ``bucket`` to ``function_arn`` (an OSS trigger).

        The bucket does not need to exist yet; rules live until :meth:`reset`.
        """
        wanted = tuple(events)
        rule = NotificationRule(
            rule_id_for(bucket, function_arn, wanted, prefix, suffix), bucket, function_arn, wanted, prefix, suffix
        )
        with self._lock:
            self._rules.append(rule)
        return rule

    def notifications(self, bucket: str | None = None) -> list[NotificationRule]:
        with self._lock:
            return [r for r in self._rules if bucket is None or r.bucket == bucket]

    def _notifications(
        self, stored: StoredObject, event_name: str, delta: int, request_id: str, source_ip: str
    ) -> list[PendingNotification]:
        rules = [r for r in self._rules if r.bucket == stored.bucket and r.matches(event_name, stored.key)]
        if not rules:
            return []
        event = ObjectEvent(
            event_name,
            stored.bucket,
            stored.key,
            stored.size,
            delta,
            stored.etag,
            stored.content_type,
            stored.user_meta,
            request_id,
            source_ip,
            stored.last_modified,
        )
        return [PendingNotification(r.function_arn, event_bytes(event, r, self.region, self.account_id)) for r in rules]

    def dispatch(self, pending: Iterable[PendingNotification]) -> None:
        """Hand each event to FC (``deliver_event`` returns at once); a failure is logged, never raised."""
        for item in pending:
            try:
                self._deliver(item.function_arn, item.event, source="oss")
            except Exception:
                log.exception("OSS -> FC delivery to %s failed", item.function_arn)
