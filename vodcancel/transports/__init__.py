"""One module per door into the function: ``oss`` (a manifest object), ``mns`` (a message on the request topic),
``http`` (a signed POST to the HTTP trigger). Each ``submit`` returns a :class:`Submission`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

VIAS = ("oss", "mns", "http")


@dataclass(frozen=True)
class Submission:
    """What was sent and how to recognise its results: ``dedupe_key`` is the results documents' ``DedupeKey``."""

    via: str
    dedupe_key: str
    reference: str  # oss://bucket/key, the MNS MessageId, or the HTTP trigger's URL
    request_id: str = ""  # the FC request id, when the door tells it (HTTP)
    reply: dict[str, Any] | None = field(default=None, repr=False)  # the HTTP reply document


def submit(via: str, target: Any, payload: bytes, source_name: str, **options: Any) -> Submission:
    """Send ``payload`` (a cancel request: text or JSON) through the door ``via``."""
    if via == "oss":
        from vodcancel.transports import oss as door
    elif via == "mns":
        from vodcancel.transports import mns as door  # type: ignore[no-redef]
    else:
        from vodcancel.transports import http as door  # type: ignore[no-redef]
    return door.submit(target, payload, source_name, **options)
