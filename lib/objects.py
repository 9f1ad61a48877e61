"""OSS objects through the official SDK (alibabacloud-oss-v2): read (whole, from an offset, pinned to an eTag),
write, create only if absent, and what a failure means.

Every caller must tell a failure that will pass (a timeout, a reset, a 5xx, throttling: raise, so FC's async retry
runs the event again) from one that never will (a bucket name OSS cannot have, a missing bucket or object, a
refused permission: report it). :func:`classify` makes that call once for every OSS operation of the function. The
SDK is imported when an operation runs, never at module import.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

__all__ = ["OssFailure", "OssObjects", "classify"]

Kind = Literal["missing", "denied", "invalid", "changed", "exists", "transient"]

_MISSING_CODES = frozenset({"NoSuchKey", "NoSuchBucket"})
_DENIED_CODES = frozenset({"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "SecurityTokenExpired"})
_CLIENT_SIDE = frozenset(
    {
        "BucketNameInvalidError",
        "ObjectNameInvalidError",
        "ParamInvalidError",
        "ParamNullError",
        "ParamNullOrEmptyError",
        "ParamRequiredError",
        "CredentialsEmptyError",
    }
)
"""SDK errors raised before any request is sent: the same call fails the same way every time."""


class OssFailure(Exception):
    """An OSS operation that failed: ``kind`` says what it means, ``code`` is OSS's error code (or the SDK's)."""

    def __init__(self, kind: Kind, code: str, status: int = 0) -> None:
        super().__init__(kind, code, status)
        self.kind = kind
        self.code = code
        self.status = status

    def __str__(self) -> str:
        return f"{self.code} ({self.kind})"


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and what it wraps (the SDK's OperationError wraps the real error; ``unwrap()`` gives it)."""
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 5:
        yield current
        unwrap = getattr(current, "unwrap", None)
        inner = unwrap() if callable(unwrap) else None
        current = inner if inner is not current else None
        seen += 1


def classify(exc: BaseException) -> OssFailure:
    """What an exception from an OSS call means (never raises)."""
    for error in _chain(exc):
        name = type(error).__name__
        status = getattr(error, "status_code", None)
        code = getattr(error, "code", None)
        if isinstance(status, int) and status and code is not None:
            return _service_failure(str(code), status)
        if name in _CLIENT_SIDE:
            return OssFailure("invalid", name.removesuffix("Error"))
    return OssFailure("transient", type(exc).__name__)


def _service_failure(code: str, status: int) -> OssFailure:
    if code in _MISSING_CODES or status == 404:
        return OssFailure("missing", code, status)
    if code in _DENIED_CODES or status == 403:
        return OssFailure("denied", code, status)
    if code == "PreconditionFailed" or status == 412:
        return OssFailure("changed", code, status)
    if code == "FileAlreadyExists" or status == 409:
        return OssFailure("exists", code, status)
    if status >= 500 or status == 429 or code in ("RequestTimeout", "SlowDown"):
        return OssFailure("transient", code, status)
    return OssFailure("invalid", code, status)


class OssObjects:
    """The OSS operations the function makes, on one client; each raises :class:`OssFailure`."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def open(self, bucket: str, key: str, *, offset: int = 0, etag: str = "") -> Any:
        """GetObject from byte ``offset``; with ``etag``, only that version (a changed object is ``changed``).
        The result's ``body`` is read with ``iter_bytes`` and must be closed."""
        import alibabacloud_oss_v2 as oss

        request = oss.GetObjectRequest(
            bucket=bucket,
            key=key,
            range_header=f"bytes={offset}-" if offset else None,
            range_behavior="standard" if offset else None,  # a range past the end is an error, not the whole object
            if_match=f'"{etag}"' if etag else None,
        )
        try:
            return self._client.get_object(request)
        except Exception as exc:
            raise classify(exc) from None

    def read(self, bucket: str, key: str) -> bytes | None:
        """A small object's content, or None when it does not exist."""
        try:
            result = self.open(bucket, key)
        except OssFailure as failure:
            if failure.kind == "missing" and failure.code != "NoSuchBucket":
                return None
            raise
        try:
            return b"".join(result.body.iter_bytes())
        except Exception as exc:
            raise classify(exc) from None
        finally:
            result.body.close()

    def write(self, bucket: str, key: str, body: bytes, *, only_if_absent: bool = False) -> None:
        """PutObject; ``only_if_absent`` refuses to replace an existing object (``exists``)."""
        import alibabacloud_oss_v2 as oss

        request = oss.PutObjectRequest(
            bucket=bucket,
            key=key,
            body=body,
            content_type="application/json",
            forbid_overwrite="true" if only_if_absent else None,
        )
        try:
            self._client.put_object(request)
        except Exception as exc:
            raise classify(exc) from None

    def exists(self, bucket: str, key: str) -> bool:
        """Whether the object exists (HeadObject)."""
        import alibabacloud_oss_v2 as oss

        try:
            self._client.head_object(oss.HeadObjectRequest(bucket=bucket, key=key))
        except Exception as exc:
            failure = classify(exc)
            if failure.kind == "missing":
                return False
            raise failure from None
        return True
