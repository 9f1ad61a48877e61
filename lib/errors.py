"""Errors a user can act on: each carries a stable ``code``, a short ``message`` and the HTTP status it answers with.

``BadRequestError`` means the input is wrong and retrying cannot help (HTTP 400, or a published rejection for
OSS and MNS events). ``ConfigurationError`` means the function is misconfigured; the handler raises it so FC
retries and alerts instead of silently dropping work (HTTP 500 over the HTTP trigger). Every one of them reaches
the user as the same error document (lib.documents.error_document).

Bad-request codes: ``InvalidEncoding``, ``InvalidJson``, ``InvalidPayload``, ``InvalidJobId``, ``InvalidUrl``,
``EmptyRequest``, ``TooManyItems``, ``PayloadTooLarge``, ``UnsupportedEvent``, ``InvalidEvent``,
``InvalidBase64``, ``InvalidIdempotencyKey``, ``MethodNotAllowed`` (HTTP 405), and ``ManifestNotFound`` /
``ManifestTooLarge`` / ``UnreadableManifestKey`` / ``ManifestAccessDenied`` / ``ManifestChanged`` (raised by the
manifest reader) / ``CheckpointAccessDenied`` / ``InvalidCheckpoint`` (lib.job): a manifest or checkpoint that can
never be read is reported like bad input, since retrying the event cannot change it.
"""

from __future__ import annotations

from lib.limits import ITEM_EXCERPT_CHARS, MAX_ERROR_MESSAGE_CHARS

__all__ = ["BadRequestError", "CancelError", "ConfigurationError", "EventIgnored", "MethodNotAllowedError", "excerpt"]


def excerpt(text: str, limit: int = ITEM_EXCERPT_CHARS) -> str:
    """``repr`` of ``text`` cut to about ``limit`` chars: control characters show, messages stay short."""
    quoted = repr(text[:limit])
    if len(text) > limit or len(quoted) > limit + 2:
        return f"{quoted[: limit + 1]}… ({len(text)} chars)"
    return quoted


class CancelError(Exception):
    """Base of the function's own errors: a machine-readable ``code`` and a human ``message``."""

    http_status = 500

    def __init__(self, code: str, message: str) -> None:
        if len(message) > MAX_ERROR_MESSAGE_CHARS:
            message = message[: MAX_ERROR_MESSAGE_CHARS - 1] + "…"
        super().__init__(code, message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r})"


class BadRequestError(CancelError):
    """The request or event is invalid; never retried."""

    http_status = 400


class MethodNotAllowedError(BadRequestError):
    """An HTTP method other than POST: nothing to cancel, and the reply says which method to use."""

    http_status = 405

    def __init__(self, message: str) -> None:
        super().__init__("MethodNotAllowed", message)


class ConfigurationError(CancelError):
    """The function's settings or permissions are wrong; raised so FC retries and the failure is visible."""


class EventIgnored(Exception):
    """Not an error: the event names nothing to cancel (an object under the trigger's prefix that is not a
    manifest). The invocation logs ``reason`` and returns; nothing is published, nothing is retried."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
