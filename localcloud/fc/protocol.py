"""Frames between the local FC and its worker processes, over a dedicated pipe pair (never stdout/stderr).

A frame is ``!II`` (meta length, payload length), a JSON meta object, then raw payload bytes: events and
results travel as bytes, unencoded, so a 32 MB body costs one copy. Stdlib only: the worker imports this.
"""

from __future__ import annotations

import json
import os
import select
import struct
import time
from typing import Any

_HEADER = struct.Struct("!II")


class FrameTimeout(TimeoutError):
    """The peer did not finish a frame before the deadline."""


def write_frame(fd: int, meta: dict[str, Any], payload: bytes = b"", deadline: float | None = None) -> None:
    """Write one frame. With a deadline the fd must be non-blocking: a peer that stops reading (a hung
    instance) then costs at most the deadline instead of blocking forever."""
    encoded = json.dumps(meta, separators=(",", ":")).encode("utf-8")
    view = memoryview(_HEADER.pack(len(encoded), len(payload)) + encoded + payload)
    while view:
        try:
            written = os.write(fd, view[: 1 << 20])
        except BlockingIOError:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise FrameTimeout("frame not sent before the deadline") from None
            select.select([], [fd], [], remaining)
            continue
        view = view[written:]


class FrameReader:
    """Reads frames from a pipe fd, optionally with a deadline (``time.monotonic()`` seconds)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._buffer = bytearray()

    def _fill(self, size: int, deadline: float | None) -> None:
        while len(self._buffer) < size:
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise FrameTimeout("frame not received before the deadline")
                ready, _, _ = select.select([self.fd], [], [], remaining)
                if not ready:
                    continue
            chunk = os.read(self.fd, max(size - len(self._buffer), 1 << 16))
            if not chunk:
                raise EOFError("peer closed the pipe")
            self._buffer += chunk

    def _take(self, size: int, deadline: float | None) -> bytes:
        self._fill(size, deadline)
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def read(self, deadline: float | None = None) -> tuple[dict[str, Any], bytes]:
        """Return ``(meta, payload)``; raises :class:`FrameTimeout` or :class:`EOFError`."""
        meta_len, payload_len = _HEADER.unpack(self._take(_HEADER.size, deadline))
        meta = json.loads(self._take(meta_len, deadline))
        return meta, self._take(payload_len, deadline)
