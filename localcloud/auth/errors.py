"""The one exception every verifier raises; each service maps ``kind`` to its own error code and status."""

from __future__ import annotations

from typing import Final, Literal

FailureKind = Literal[
    "missing",
    "malformed",
    "unknown_key",
    "bad_signature",
    "expired_token",
    "invalid_token",
    "missing_token",
    "stale_date",
    "replayed_nonce",
]

KINDS: Final[frozenset[str]] = frozenset(FailureKind.__args__)  # type: ignore[attr-defined]


class AuthFailure(Exception):
    """A request failed authentication.

    ``kind`` is a stable machine value (see :data:`FailureKind`) so services can map it to their real error code;
    ``detail`` is human text for the error message. Callers must never put a secret or a token into ``detail``:
    error bodies are returned to clients and written to logs.
    """

    def __init__(self, kind: FailureKind, detail: str) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown AuthFailure kind {kind!r}")
        super().__init__(f"{kind}: {detail}")
        self.kind: FailureKind = kind
        self.detail = detail
