"""Small rendering helpers the services share: compact JSON, and XML text that survives the clients' parsers."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from xml.sax.saxutils import escape


def compact_json(value: Any) -> str:
    """JSON as the services send it: no spaces, non-ASCII kept as UTF-8."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def xml_text(value: object) -> str:
    """Escaped element text; a carriage return is a character reference, or the client's parser makes it \\n."""
    return escape(str(value)).replace("\r", "&#13;")


def xml_elements(pairs: Iterable[tuple[str, object]]) -> str:
    """``<name>text</name>`` for each pair, in order."""
    return "".join(f"<{name}>{xml_text(value)}</{name}>" for name, value in pairs)
