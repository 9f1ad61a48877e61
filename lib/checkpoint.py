"""Where a manifest's cancel request stands, kept in OSS so that any invocation can go on from it.

One folder per request under ``CHECKPOINT_PREFIX`` in the manifest bucket (outside the OSS trigger's prefix, so
writing there never invokes the function; the objects have no ``.txt``/``.json`` suffix either, so even a
misconfigured prefix cannot make one read as a manifest)::

    <CHECKPOINT_PREFIX><sha256 of the DedupeKey, 40 hex>/checkpoint   the state below (JSON)
    <CHECKPOINT_PREFIX><sha256 of the DedupeKey, 40 hex>/owner-<n>    one per invocation that took the request on

**Ownership.** An invocation takes a request on by creating the next ``owner-<n>`` object, which OSS refuses to
overwrite (``x-oss-forbid-overwrite``): of two that start from the same state, exactly one gets each number, and
the newest owner is the one that works. Before publishing anything, an owner writes the checkpoint and then checks
that ``owner-<n+1>`` does not exist; if it does, a newer invocation has taken over (it read the checkpoint after
creating its owner object, so it has everything this one wrote) and this one stops without publishing.

**Write-ahead.** A results part is written into the checkpoint (``Pending``) before it is published, and only then
published; an invocation that resumes publishes the pending parts again, word for word. A part number therefore
always has one content, and a consumer keeping the first copy of each part misses nothing and counts nothing twice.

Pure apart from lib.objects.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from lib.handoff import Handoff
from lib.manifest import START, Manifest, Position
from lib.objects import OssFailure, OssObjects

__all__ = ["CHECKPOINT_VERSION", "Checkpoint", "CheckpointStore", "folder_of"]


CHECKPOINT_VERSION = 1
_MAX_CLAIMS = 64  # owner numbers tried in one go; more means something else is creating them in a loop

Phase = Literal["validating", "cancelling", "draining", "done"]


def folder_of(prefix: str, dedupe_key: str) -> str:
    """The request's folder under the checkpoint prefix."""
    return f"{prefix}{hashlib.sha256(dedupe_key.encode('utf-8', 'surrogatepass')).hexdigest()[:40]}/"


@dataclass
class Checkpoint:
    """The state of one manifest request (see the README's "Checkpoints" section for each field)."""

    request_id: str
    dedupe_key: str
    manifests: list[Manifest]
    phase: Phase = "validating"
    position: Position = START
    lines_total: int | None = None
    lines_done: int = 0
    writer: dict[str, Any] | None = None
    pending: list[tuple[str, str]] = field(default_factory=list)
    drain: dict[str, str] | None = None
    error: dict[str, str] | None = None
    continuations: int = 0
    handoff: Handoff | None = None
    generation: int = 0
    invocations: int = 0
    started_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)

    @property
    def finished(self) -> bool:
        return self.phase == "done"

    def to_json(self) -> bytes:
        document = {
            "Version": CHECKPOINT_VERSION,
            "RequestId": self.request_id,
            "Source": "oss",
            "DedupeKey": self.dedupe_key,
            "Manifests": [
                {"Bucket": m.bucket, "Key": m.key, "ETag": m.etag, "Size": m.size, "Format": m.format}
                for m in self.manifests
            ],
            "Phase": self.phase,
            "Position": dict(zip(("Manifest", "Offset", "Line"), self.position, strict=True)),
            "Lines": {"Total": self.lines_total, "Done": self.lines_done},
            "Writer": self.writer,
            "Pending": [list(document) for document in self.pending],
            "Drain": self.drain,
            "Error": self.error,
            "Continuations": self.continuations,
            "Handoff": {"Number": self.handoff.number, "Token": self.handoff.token} if self.handoff else None,
            "Generation": self.generation,
            "Invocations": self.invocations,
            "StartedAt": self.started_at,
            "UpdatedAt": self.updated_at,
        }
        return json.dumps(document, ensure_ascii=True, separators=(",", ":")).encode("ascii")

    @classmethod
    def from_json(cls, data: bytes) -> Checkpoint:
        """Parse a checkpoint; ValueError when it is not one this function wrote."""
        try:
            document = json.loads(data)
            if document.get("Version") != CHECKPOINT_VERSION:
                raise ValueError(f"checkpoint version {document.get('Version')!r} is not {CHECKPOINT_VERSION}")
            handoff, lines, position = document["Handoff"], document["Lines"], document["Position"]
            return cls(
                request_id=str(document["RequestId"]),
                dedupe_key=str(document["DedupeKey"]),
                manifests=[
                    Manifest(str(m["Bucket"]), str(m["Key"]), str(m["ETag"]), int(m["Size"]), m["Format"])
                    for m in document["Manifests"]
                ],
                phase=document["Phase"],
                position=Position(int(position["Manifest"]), int(position["Offset"]), int(position["Line"])),
                lines_total=lines["Total"],
                lines_done=int(lines["Done"]),
                writer=document["Writer"],
                pending=[(str(text), str(tag)) for text, tag in document["Pending"]],
                drain=document["Drain"],
                error=document["Error"],
                continuations=int(document["Continuations"]),
                handoff=Handoff(int(handoff["Number"]), str(handoff["Token"])) if handoff else None,
                generation=int(document["Generation"]),
                invocations=int(document["Invocations"]),
                started_at=float(document["StartedAt"]),
                updated_at=float(document["UpdatedAt"]),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"not a checkpoint: {type(exc).__name__}: {exc}") from None


class CheckpointStore:
    """The checkpoint of one request in OSS, and its ownership; every method raises lib.objects.OssFailure."""

    def __init__(self, objects: OssObjects, bucket: str, prefix: str, dedupe_key: str) -> None:
        self._objects = objects
        self.bucket = bucket
        self.folder = folder_of(prefix, dedupe_key)
        self.key = f"{self.folder}checkpoint"

    def load(self) -> Checkpoint | None:
        """The checkpoint, or None when the request has none yet; ValueError when the object is not one."""
        data = self._objects.read(self.bucket, self.key)
        return None if data is None else Checkpoint.from_json(data)

    def save(self, checkpoint: Checkpoint) -> None:
        checkpoint.updated_at = time.time()
        self._objects.write(self.bucket, self.key, checkpoint.to_json())

    def claim(self, after: int, request_id: str) -> int:
        """Become the request's owner: the first owner number above ``after`` nobody has taken."""
        for number in range(after + 1, after + 1 + _MAX_CLAIMS):
            try:
                self._objects.write(
                    self.bucket, f"{self.folder}owner-{number}", request_id.encode("utf-8"), only_if_absent=True
                )
            except OssFailure as failure:
                if failure.kind == "exists":
                    continue
                raise
            return number
        raise OssFailure("transient", "TooManyOwners")

    def superseded(self, generation: int) -> bool:
        """Whether an invocation newer than owner ``generation`` has taken the request over."""
        return self._objects.exists(self.bucket, f"{self.folder}owner-{generation + 1}")
