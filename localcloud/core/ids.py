"""Request ids in the shape each service's clients see (some SDKs log them, none parse them)."""

from __future__ import annotations

import secrets
import uuid
from typing import Literal

RequestIdStyle = Literal["uuid", "hex24", "fc"]
"""``uuid``: the OpenAPI gateway's upper-case UUID (VOD), ``8906582E-6722-409A-A6C4-0E7863B733A5``.
``hex24``: 24 upper-case hex digits led by the epoch seconds (MNS and OSS), ``5C3D9175B6FC201293AD4890``.
``fc``: FC 3.0's ``1-<epoch hex>-<24 hex>``, ``1-6730f1c2-3a61b0c2d9e8f7a6b5c4d3e2``."""


def new_request_id(style: RequestIdStyle, now: float) -> str:
    """A fresh request id; ``now`` (epoch seconds, the cloud's clock) leads the ids that carry a time."""
    if style == "uuid":
        return str(uuid.uuid4()).upper()
    if style == "hex24":
        return f"{int(now) & 0xFFFFFFFF:08X}{secrets.token_hex(8).upper()}"
    return f"1-{int(now):08x}-{secrets.token_hex(12)}"
