"""OSS state: buckets and objects (immutable records, :mod:`.records`), plus multipart uploads (:mod:`.multipart`)
and FC notification rules.

Plain objects behind one lock; no HTTP here. Objects keep their bytes once, as ``bytes``, so a GET can serve
slices of a memoryview without copying the whole object per request. Mutations that fire notifications return
the pending deliveries instead of sending them, so the HTTP layer can deliver after its response is on the wire.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import threading
from collections.abc import Iterable

from localcloud.clock import Clock
from localcloud.core.backend import BaseBackend, DeliverEvent
from localcloud.core.ids import new_request_id
from localcloud.oss import errors as e
from localcloud.oss.events import CREATED_ALL, NotificationRule, ObjectEvent, event_bytes, rule_id_for
from localcloud.oss.multipart import MultipartMixin
from localcloud.oss.records import (
    COLD_CLASSES,
    DEFAULT_CONTENT_TYPE,
    PLAIN,
    Bucket,
    Listing,
    ObjectInput,
    Page,
    PendingNotification,
    StoredObject,
    check_bucket_name,
    check_key,
    crc64,
    md5_parts,
)

__all__ = ["ObjectInput", "OssBackend", "StoredObject", "crc64"]

log = logging.getLogger(__name__)


class OssBackend(MultipartMixin, BaseBackend):
    """Buckets and objects of one account; the Python API tests and the FC wiring use.

    ``region`` and ``account_id`` go into notification events; ``deliver`` hands each event to its function.
    Buckets may be owned by another account (``create_bucket(name, owner=...)``), to stand for a name that is
    taken elsewhere in OSS's global namespace.
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
    def put_bucket(
        self, name: str, *, owner: str | None = None, acl: str | None = None, storage_class: str = "Standard"
    ) -> Bucket:
        """PutBucket: create the bucket; on one the caller owns, only update its ACL (the PutBucket doc: later
        calls "modify its metadata"); on another account's, BucketAlreadyExists (409)."""
        check_bucket_name(name)
        owner = owner or self.account_id
        with self._lock:
            bucket = self._buckets.get(name)
            if bucket is not None:
                if bucket.owner != owner:
                    raise e.BucketAlreadyExists(BucketName=name)
                if acl:
                    bucket.acl = acl
                return bucket
            bucket = self._buckets[name] = Bucket(name, self._now(), owner, acl or "private", storage_class)
            return bucket

    def create_bucket(self, name: str, owner: str | None = None) -> Bucket:
        """Python API: create the bucket unless it exists; return it. ``owner`` defaults to this account."""
        with self._lock:
            return self._buckets.get(name) or self.put_bucket(name, owner=owner)

    def delete_bucket(self, name: str) -> None:
        with self._lock:
            bucket = self._bucket(name)
            if bucket.objects or bucket.uploads:
                raise e.BucketNotEmpty(BucketName=name)
            del self._buckets[name]

    def bucket(self, name: str) -> Bucket:
        """The bucket (NoSuchBucket if there is none)."""
        with self._lock:
            return self._bucket(name)

    def buckets(self) -> list[Bucket]:
        """Every bucket, whoever owns it, by name."""
        with self._lock:
            return [self._buckets[name] for name in sorted(self._buckets)]

    def list_buckets(self, owner: str, prefix: str = "", marker: str = "", max_keys: int = 100) -> Page:
        """ListBuckets: the owner's buckets after ``marker`` whose names start with ``prefix``, by name."""
        with self._lock:
            names = sorted(n for n, b in self._buckets.items() if b.owner == owner)
            chosen = [self._buckets[n] for n in names if n.startswith(prefix) and n > marker]
        page = chosen[:max_keys]
        truncated = len(chosen) > max_keys
        return Page(page, truncated, page[-1].name if truncated else "")

    def bucket_exists(self, name: str) -> bool:
        with self._lock:
            return name in self._buckets

    def set_bucket_acl(self, name: str, acl: str) -> None:
        """PutBucketAcl; like PutBucket it creates the bucket when there is none (PutBucketAcl doc)."""
        self.put_bucket(name, acl=acl)

    # -- objects --------------------------------------------------------------------------------------------
    def store(
        self,
        bucket: str,
        key: str,
        data: bytes,
        meta: ObjectInput = PLAIN,
        *,
        forbid_overwrite: bool = False,
        event_name: str = "ObjectCreated:PutObject",
        request_id: str = "",
        source_ip: str = "127.0.0.1",
        object_type: str = "Normal",
        etag: str | None = None,
        symlink_target: str | None = None,
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
                meta.storage_class,
                meta.acl,
                meta.tags,
                meta.encryption,
                symlink_target,
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
        """The object as stored (a symlink is returned as itself, not followed)."""
        with self._lock:
            stored = self._bucket(bucket).objects.get(key)
            if stored is None:
                raise e.NoSuchKey(Key=key)
            return stored

    def resolve(self, bucket: str, key: str) -> tuple[StoredObject, StoredObject]:
        """(the object named, the object whose bytes it stands for): a symlink's target, or the object itself."""
        with self._lock:
            named = self.head(bucket, key)
            if named.symlink_target is None:
                return named, named
            target = self._bucket(bucket).objects.get(named.symlink_target)
            if target is None or target.symlink_target is not None:
                raise e.SymlinkTargetMissing(Key=key)
            return named, target

    @staticmethod
    def readable(obj: StoredObject) -> StoredObject:
        """``obj`` if its bytes may be read; Archive and colder classes need a restore first (not emulated)."""
        if obj.storage_class in COLD_CLASSES:
            raise e.InvalidObjectState(Key=obj.key)
        return obj

    def get_object(self, bucket: str, key: str) -> bytes:
        """Python API: the object's bytes (through a symlink, its target's)."""
        return self.resolve(bucket, key)[1].data

    def objects(self, bucket: str) -> dict[str, StoredObject]:
        """Python API: every object of the bucket by key, in key order."""
        with self._lock:
            return dict(sorted(self._bucket(bucket).objects.items()))

    def delete(
        self,
        bucket: str,
        key: str,
        request_id: str = "",
        source_ip: str = "127.0.0.1",
        event_name: str = "ObjectRemoved:DeleteObject",
    ) -> list[PendingNotification]:
        """DeleteObject: succeeds whether or not the key exists (as OSS does); NoSuchBucket otherwise."""
        with self._lock:
            previous = self._bucket(bucket).objects.pop(key, None)
            if previous is None:
                return []
            gone = StoredObject(bucket, key, b"", previous.etag, 0, previous.content_type, self._now())
            return self._notifications(gone, event_name, -previous.size, request_id, source_ip)

    def delete_many(
        self, bucket: str, keys: Iterable[str], request_id: str = "", source_ip: str = "127.0.0.1"
    ) -> list[PendingNotification]:
        """DeleteMultipleObjects: each key deleted as by DeleteObject (a missing key is not an error)."""
        pending: list[PendingNotification] = []
        with self._lock:
            self._bucket(bucket)
            for key in keys:
                pending += self.delete(bucket, key, request_id, source_ip, "ObjectRemoved:DeleteObjects")
        return pending

    def copy(
        self,
        source: tuple[str, str],
        bucket: str,
        key: str,
        meta: ObjectInput,
        *,
        keep_meta: bool,
        keep_tags: bool,
        forbid_overwrite: bool = False,
        request_id: str = "",
        source_ip: str = "127.0.0.1",
    ) -> tuple[StoredObject, list[PendingNotification]]:
        """CopyObject: the source's bytes (a symlink's target's) under ``bucket``/``key``. ``keep_meta``
        (``x-oss-metadata-directive: COPY``, the default) keeps the source's content type and user metadata;
        ``keep_tags`` likewise its tags; storage class, ACL and encryption come from the request."""
        with self._lock:
            _, original = self.resolve(*source)
            self.readable(original)
            if original.object_type == "Appendable":
                raise e.InvalidArgument("The source object is an appendable object, which CopyObject cannot copy.")
            meta = dataclasses.replace(
                meta,
                content_type=original.content_type if keep_meta else meta.content_type,
                user_meta=original.user_meta if keep_meta else meta.user_meta,
                headers=original.headers if keep_meta else meta.headers,
                tags=original.tags if keep_tags else meta.tags,
                content_md5=None,
            )
            stored, pending = self.store(
                bucket,
                key,
                original.data,
                meta,
                forbid_overwrite=forbid_overwrite,
                event_name="ObjectCreated:CopyObject",
                request_id=request_id,
                source_ip=source_ip,
                object_type=original.object_type,
                etag=original.etag,
            )
            return stored, pending

    def append(
        self,
        bucket: str,
        key: str,
        position: int,
        data: bytes,
        meta: ObjectInput,
        request_id: str = "",
        source_ip: str = "127.0.0.1",
    ) -> tuple[StoredObject, list[PendingNotification]]:
        """AppendObject: ``position`` must be the current length (0 creates the object); only the first append's
        headers (type, metadata, class, ACL, tags, encryption) count, as OSS keeps them."""
        with self._lock:
            previous = self._bucket(bucket).objects.get(key)
            if previous is not None and previous.object_type != "Appendable":
                raise e.ObjectNotAppendable(Key=key)
            length = previous.size if previous else 0
            if position != length:
                raise e.PositionNotEqualToLength(headers={"x-oss-next-append-position": str(length)})
            combined = (previous.data if previous else b"") + bytes(data)
            if meta.content_md5 is not None and meta.content_md5 != md5_parts(bytes(data))[1]:
                raise e.InvalidDigest()
            kept = meta if previous is None else _input_of(previous)
            return self.store(
                bucket,
                key,
                combined,
                dataclasses.replace(kept, content_md5=None),
                event_name="ObjectCreated:AppendObject",
                request_id=request_id,
                source_ip=source_ip,
                object_type="Appendable",
            )

    def put_symlink(
        self,
        bucket: str,
        key: str,
        target: str,
        meta: ObjectInput,
        *,
        forbid_overwrite: bool = False,
        request_id: str = "",
        source_ip: str = "127.0.0.1",
    ) -> tuple[StoredObject, list[PendingNotification]]:
        """PutSymlink: the target need not exist (the PutSymlink doc: OSS does not check it)."""
        check_key(target)
        return self.store(
            bucket,
            key,
            b"",
            dataclasses.replace(meta, content_md5=None),
            forbid_overwrite=forbid_overwrite,
            event_name="ObjectCreated:PutSymlink",
            request_id=request_id,
            source_ip=source_ip,
            object_type="Symlink",
            etag=hashlib.md5(target.encode("utf-8")).hexdigest().upper(),
            symlink_target=target,
        )

    def update(self, bucket: str, key: str, **changes: object) -> StoredObject:
        """Change an object's ACL or tags in place; neither is a write, so Last-Modified stays."""
        with self._lock:
            objects = self._bucket(bucket).objects
            stored = objects.get(key)
            if stored is None:
                raise e.NoSuchKey(Key=key)
            objects[key] = dataclasses.replace(stored, **changes)  # type: ignore[arg-type]
            return objects[key]

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
            tuple((name, _meta_text(value)) for name, value in stored.user_meta),
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


def _input_of(stored: StoredObject) -> ObjectInput:
    """What an existing object was written with (an append keeps it)."""
    return ObjectInput(
        stored.content_type,
        stored.user_meta,
        stored.headers,
        None,
        stored.storage_class,
        stored.acl,
        stored.tags,
        stored.encryption,
    )


def _meta_text(value: str) -> str:
    """A metadata value as text for an event: the header's bytes are UTF-8 when a client sent UTF-8 (oss2 does),
    otherwise they are kept as received."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value
