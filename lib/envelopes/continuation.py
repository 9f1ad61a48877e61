"""The fourth door: the function's own continuation of a manifest request (lib.handoff writes the event).

The event is ``{"VodCancelContinuation": {...}}`` and nothing else: the manifest bucket, the checkpoint's key in
it, the request's ``DedupeKey`` and ``RequestId``, and the hand-off's ``Number`` and ``Token``. It names no
manifest: the checkpoint does. The key must be the checkpoint of that ``DedupeKey`` under the function's
checkpoint prefix and the token the one the checkpoint holds, or the event is ignored (lib.job), so an event
written by someone else cannot make the function read an object it did not write for itself. Its results go out
under the request's own ``RequestId`` and ``DedupeKey``, like every other part of the request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from lib.envelopes.base import EventEnvelope, RequestReader, Source
from lib.envelopes.oss import is_bucket_name
from lib.errors import BadRequestError, excerpt
from lib.handoff import CONTINUATION_KEY, Handoff

if TYPE_CHECKING:
    from lib.job import ManifestJob

__all__ = ["CONTINUATION_KEY", "ContinuationEnvelope", "is_continuation"]

_FIELDS = frozenset({"Version", "Bucket", "Checkpoint", "DedupeKey", "RequestId", "Number", "Token"})
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
_MAX_TEXT = 1024


def is_continuation(document: Mapping[str, Any]) -> bool:
    return document.keys() == {CONTINUATION_KEY}


def _text(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value or len(value) > _MAX_TEXT:
        raise BadRequestError("InvalidEvent", f"continuation event: {name} must be a non-empty string")
    return value


@dataclass(frozen=True, kw_only=True)
class ContinuationEnvelope(EventEnvelope):
    """A continuation: which checkpoint to go on from, with the token that proves it is the one handed over."""

    source: ClassVar[Source] = "oss"
    bucket: str = ""
    checkpoint: str = ""
    number: int = 0
    token: str = ""

    @classmethod
    def from_event(cls, document: Mapping[str, Any], *, fc_request_id: str) -> ContinuationEnvelope:
        body = document[CONTINUATION_KEY]
        try:
            if not isinstance(body, dict) or body.keys() != _FIELDS or body["Version"] != 1:
                raise BadRequestError("InvalidEvent", f"continuation event must have exactly {sorted(_FIELDS)}")
            bucket, checkpoint, token = _text(body, "Bucket"), _text(body, "Checkpoint"), _text(body, "Token")
            number = body["Number"]
            if not is_bucket_name(bucket):
                raise BadRequestError("InvalidEvent", f"continuation event: {excerpt(bucket, 80)} is not a bucket")
            if not isinstance(number, int) or isinstance(number, bool) or number < 1 or not _TOKEN.fullmatch(token):
                raise BadRequestError("InvalidEvent", "continuation event: Number or Token is malformed")
            return cls(
                request_id=_text(body, "RequestId"),
                dedupe_key=_text(body, "DedupeKey"),
                shape="continuation",
                bucket=bucket,
                checkpoint=checkpoint,
                number=number,
                token=token,
            )
        except BadRequestError as problem:
            dedupe_key = f"invalid-continuation:{fc_request_id}"
            return cls(request_id=fc_request_id, dedupe_key=dedupe_key, shape="continuation", problem=problem)

    def log_fields(self) -> dict[str, Any]:
        return {**super().log_fields(), "continuation": self.number}

    def _read(self, reader: RequestReader) -> ManifestJob:
        return reader.from_continuation(self.bucket, self.checkpoint, self.dedupe_key, Handoff(self.number, self.token))
