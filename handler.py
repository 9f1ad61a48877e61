"""FC entry points. They only adapt: the flow lives in lib.invocation, the WSGI shape in lib.wsgi.

Imports stay inside the functions so a bad request never pays for the SDKs (see the README's cold-start notes).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

LOADED_AT = time.monotonic()
"""FC loads this module inside the first invocation: that invocation's time, imports included, runs from here."""


def handler(event: bytes, context: Any) -> Any:
    """FC 3.0 unified handler for the OSS, MNS topic and HTTP triggers."""
    from lib.invocation import handle

    return handle(event, context, loaded_at=LOADED_AT)


def http_handler(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """FC 2.0 HTTP function (WSGI): the same flow behind an FC 2.0 HTTP trigger."""
    from lib.wsgi import handle_wsgi

    return handle_wsgi(environ, start_response)
