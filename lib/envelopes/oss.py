"""The OSS door: ``ObjectCreated`` events naming manifests in, their results (or rejection) published.

One delivery may carry several records (all from the trigger's one bucket); every created object in it whose key
ends in ``.txt`` or ``.json`` (any case) is read as a manifest, once (the same bucket, key and eTag twice is one
object), and the delivery is named by those objects, in any order. The trigger fires for every object under its
prefix, so other objects (a folder marker ``cancel-requests/``, a ``.csv``, anything another tool writes there) are
ignored, with a log line saying why: a delivery with no manifest at all is answered with nothing, neither published
nor raised. The function writes to OSS only under its checkpoint prefix, outside the trigger's, and never a
``.txt``/``.json`` key: ignoring an object cannot set off another event. A bucket name OSS cannot have is refused
here, before any SDK call.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from lib.envelopes.base import EventEnvelope, RequestReader, Source
from lib.errors import BadRequestError, EventIgnored, excerpt
from lib.manifest import OssObjectRef

if TYPE_CHECKING:
    from lib.job import ManifestJob

__all__ = ["MANIFEST_SUFFIXES", "OssEnvelope", "is_bucket_name", "is_manifest"]

_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]")
"""OSS bucket naming: 3-63 characters of lowercase letters, digits and hyphens, starting and ending with a letter or
a digit. The SDK refuses any other name before sending a request, the same way every time."""

MANIFEST_SUFFIXES = (".txt", ".json")
"""The keys read as manifests: text (one item per line) or JSON, as the README documents."""


def is_manifest(key: str) -> bool:
    return key.lower().endswith(MANIFEST_SUFFIXES)


def is_bucket_name(name: str) -> bool:
    return _BUCKET_NAME.fullmatch(name) is not None


def _created_object(record: Any, index: int) -> OssObjectRef | None:
    """The object of one OSS event record; None when the event is not ``ObjectCreated:*``."""
    if not isinstance(record, dict):
        raise BadRequestError("InvalidEvent", f"OSS event events[{index}] is not an object")
    event_name = record.get("eventName")
    if not isinstance(event_name, str):
        raise BadRequestError("InvalidEvent", f"OSS event events[{index}] has no eventName")
    if not event_name.removeprefix("oss:").startswith("ObjectCreated:"):
        return None
    oss = record.get("oss")
    bucket = oss.get("bucket") if isinstance(oss, dict) else None
    obj = oss.get("object") if isinstance(oss, dict) else None
    bucket_name = bucket.get("name") if isinstance(bucket, dict) else None
    key = obj.get("key") if isinstance(obj, dict) else None
    if not isinstance(bucket_name, str) or not bucket_name:
        raise BadRequestError("InvalidEvent", f"OSS event events[{index}] has no oss.bucket.name")
    if not is_bucket_name(bucket_name):
        raise BadRequestError(
            "InvalidEvent", f"OSS event events[{index}]: {excerpt(bucket_name, 80)} is not a valid OSS bucket name"
        )
    if not isinstance(key, str) or not key or not isinstance(obj, dict):
        raise BadRequestError("InvalidEvent", f"OSS event events[{index}] has no oss.object.key")
    etag, size = obj.get("eTag"), obj.get("size")
    return OssObjectRef(
        bucket=bucket_name,
        key=key,
        etag=etag if isinstance(etag, str) else "",
        size=size if isinstance(size, int) and not isinstance(size, bool) else None,
    )


def _created_objects(records: Any) -> tuple[OssObjectRef, ...]:
    """Every distinct created object; UnsupportedEvent when the delivery created none."""
    if not isinstance(records, list):
        raise BadRequestError("InvalidEvent", "OSS event: 'events' is not a list")
    objects: dict[tuple[str, str, str], OssObjectRef] = {}
    ignored: list[str] = []
    for index, record in enumerate(records):
        ref = _created_object(record, index)
        if ref is None:
            ignored.append(str(record["eventName"]))
        else:
            objects.setdefault((ref.bucket, ref.key, ref.etag), ref)
    if not objects:
        names = ", ".join(excerpt(name, 60) for name in ignored[:3]) or "none"
        raise BadRequestError("UnsupportedEvent", f"OSS event has no ObjectCreated:* record (event names: {names})")
    return tuple(objects.values())


def _dedupe_key(objects: tuple[OssObjectRef, ...]) -> str:
    lines = sorted({f"{ref.bucket}/{ref.key}@{ref.etag}" for ref in objects})
    if len(lines) == 1:
        return f"oss:{lines[0]}"
    return "oss:" + hashlib.sha256("\n".join(lines).encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True, kw_only=True)
class OssEnvelope(EventEnvelope):
    """The manifests a delivery created; their items together are one cancel request. ``ignored`` are the keys
    of created objects that are not manifests."""

    source: ClassVar[Source] = "oss"
    manifests: tuple[OssObjectRef, ...] = ()
    ignored: tuple[str, ...] = ()

    @classmethod
    def from_event(cls, document: Mapping[str, Any], *, fc_request_id: str) -> OssEnvelope:
        try:
            created = _created_objects(document["events"])
        except BadRequestError as problem:
            return cls(
                request_id=fc_request_id, dedupe_key=f"invalid-oss-event:{fc_request_id}", shape="oss", problem=problem
            )
        manifests = tuple(ref for ref in created if is_manifest(ref.key))
        ignored = tuple(ref.key for ref in created if not is_manifest(ref.key))
        dedupe_key = _dedupe_key(manifests or created)
        return cls(request_id=fc_request_id, dedupe_key=dedupe_key, shape="oss", manifests=manifests, ignored=ignored)

    def log_fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = super().log_fields()
        if self.ignored:
            fields["ignoredObjects"] = [excerpt(key, 100) for key in self.ignored[:10]]
        return fields

    def _read(self, reader: RequestReader) -> ManifestJob:
        if not self.manifests:
            keys = ", ".join(excerpt(key, 100) for key in self.ignored[:3])
            raise EventIgnored(
                f"no manifest among the created objects ({keys}): a manifest's key ends in .txt or .json"
            )
        if len({ref.bucket for ref in self.manifests}) > 1:
            raise BadRequestError("InvalidEvent", "OSS event names manifests in more than one bucket")
        return reader.from_manifests(self.manifests, self.ids)
