"""JSON log lines on stdout (FC ships stdout to SLS), one object per line, never a secret.

Every value that is a registered secret (the access key secret, the STS token) is replaced by ``***`` before the
line is written, so even an exception message that quotes a header cannot leak one.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import Any

__all__ = ["error", "info", "log", "redact", "register_secrets", "warning"]

_secrets: set[str] = set()
_lock = threading.Lock()


def register_secrets(*values: str) -> None:
    """Remember values that must never be printed (only long ones: short strings would mask ordinary text)."""
    with _lock:
        _secrets.update(v for v in values if v and len(v) >= 8)


def redact(text: str) -> str:
    with _lock:
        secrets = tuple(_secrets)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, "***")
    return text


def log(level: str, message: str, **fields: Any) -> None:
    """Write one JSON log line to stdout."""
    record = {"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "level": level, "message": message}
    record.update({k: v for k, v in fields.items() if v is not None})
    line = redact(json.dumps(record, ensure_ascii=False, default=str, separators=(",", ":")))
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def info(message: str, **fields: Any) -> None:
    log("INFO", message, **fields)


def warning(message: str, **fields: Any) -> None:
    log("WARNING", message, **fields)


def error(message: str, **fields: Any) -> None:
    log("ERROR", message, **fields)
