"""The hand-off from one invocation to the next: what the checkpoint keeps of it, and the event that carries it.

The event is ``{"VodCancelContinuation": {...}}``: the checkpoint's location, the request it continues, and the
hand-off's number and token (lib.envelopes.continuation reads it, lib.job writes it). Pure and tiny: the envelopes
import it on every event.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

__all__ = ["CONTINUATION_KEY", "Handoff", "continuation_event", "new_handoff"]

CONTINUATION_KEY = "VodCancelContinuation"
"""The continuation event's one top-level key: how lib.envelopes recognises it."""


@dataclass(frozen=True)
class Handoff:
    """The continuation this checkpoint was handed to: its number in the chain, and the token its event carries
    (an event naming the checkpoint without this token is stale or forged, and is ignored)."""

    number: int
    token: str


def new_handoff(number: int) -> Handoff:
    import secrets  # only when handing off

    return Handoff(number, secrets.token_urlsafe(18))


def continuation_event(
    *, bucket: str, checkpoint_key: str, dedupe_key: str, request_id: str, handoff: Handoff
) -> bytes:
    """The event of continuation ``handoff.number``: the checkpoint's location, the request it continues and the
    hand-off token."""
    body = {
        "Version": 1,
        "Bucket": bucket,
        "Checkpoint": checkpoint_key,
        "DedupeKey": dedupe_key,
        "RequestId": request_id,
        "Number": handoff.number,
        "Token": handoff.token,
    }
    return json.dumps({CONTINUATION_KEY: body}, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
