"""Errors a user can act on: each carries a stable ``code`` and a short ``message``.

``BadRequestError`` means the input is wrong and retrying cannot help (HTTP 400, or a published rejection for
OSS and MNS events). ``ConfigurationError`` means the function is misconfigured; the handler raises it so FC
retries and alerts instead of silently dropping work.

Bad-request codes: ``InvalidEncoding``, ``InvalidJson``, ``InvalidPayload``, ``InvalidJobId``, ``InvalidUrl``,
``EmptyRequest``, ``TooManyItems``, ``PayloadTooLarge``, ``UnsupportedEvent``, ``InvalidEvent``,
``InvalidBase64``, ``InvalidIdempotencyKey``, ``MethodNotAllowed`` (HTTP 405), and ``ManifestNotFound`` /
``ManifestTooLarge`` / ``UnreadableManifestKey`` (raised by the manifest reader).
"""

from __future__ import annotations

MAX_MESSAGE_CHARS = 300
"""Messages travel in HTTP replies, logs and results messages: keep them to one readable line."""

ITEM_EXCERPT_CHARS = 200


def excerpt(text: str, limit: int = ITEM_EXCERPT_CHARS) -> str:
    """``repr`` of ``text`` cut to about ``limit`` chars: control characters show, messages stay short."""
    quoted = repr(text[:limit])
    if len(text) > limit or len(quoted) > limit + 2:
        return f"{quoted[: limit + 1]}… ({len(text)} chars)"
    return quoted


class CancelError(Exception):
    """Base of the function's own errors: a machine-readable ``code`` and a human ``message``."""

    def __init__(self, code: str, message: str) -> None:
        if len(message) > MAX_MESSAGE_CHARS:
            message = message[: MAX_MESSAGE_CHARS - 1] + "…"
        super().__init__(code, message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r})"


class BadRequestError(CancelError):
    """The request or event is invalid; never retried."""

    @property
    def http_status(self) -> int:
        """The HTTP status for the FC HTTP trigger's reply."""
        return 405 if self.code == "MethodNotAllowed" else 400


class ConfigurationError(CancelError):
    """The function's settings or permissions are wrong; raised so FC retries and the failure is visible."""
