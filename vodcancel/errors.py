"""The one error the command line reports: a message and what to do about it, on one line, exit status 1."""

from __future__ import annotations


class CliError(Exception):
    """A failure the operator can act on. ``hint`` says what to do; ``exit_code`` is the process status."""

    def __init__(self, message: str, hint: str = "", exit_code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.exit_code = exit_code

    def line(self) -> str:
        """``error: <message> — <hint>``: one line, whatever the message contained."""
        text = f"error: {self.message}" + (f" — {self.hint}" if self.hint else "")
        return " ".join(text.split())


def describe_sdk_error(exc: BaseException) -> str:
    """``Code: message`` from whichever official SDK raised: OSS v2 (``unwrap()``), MNS (``type``), Tea/OpenAPI
    (``code``), or the exception's class for network errors."""
    inner = exc.unwrap() if callable(getattr(exc, "unwrap", None)) else exc
    code = getattr(inner, "code", None) or getattr(inner, "type", None) or type(inner).__name__
    message = getattr(inner, "message", None) or str(inner)
    return " ".join(f"{code}: {message}".split())[:300]
