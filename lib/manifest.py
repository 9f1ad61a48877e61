"""Read cancel manifests from OSS with the official SDK (alibabacloud-oss-v2), streamed line by line.

The SDK is imported when a manifest is read, never at module import (the OSS envelope imports this module for
:class:`OssObjectRef`).

A text manifest is never held whole in memory: bytes are decoded incrementally and handed to the request builder a
line at a time, so a 100,000-line manifest costs the item list, not the file. A JSON manifest must be parsed whole
and is therefore capped at ``MAX_JSON_MANIFEST_BYTES``.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple
from urllib.parse import unquote_plus

from lib.errors import BadRequestError, ConfigurationError
from lib.limits import MANIFEST_CHUNK_BYTES, MAX_JSON_MANIFEST_BYTES
from lib.request import CancelRequest, CancelRequestBuilder, load_json

__all__ = ["ManifestReadError", "OssObjectRef", "open_manifest", "read_manifest", "read_manifests"]


class OssObjectRef(NamedTuple):
    """One object named by an OSS ``ObjectCreated`` event: a manifest to read (``size`` when the event says)."""

    bucket: str
    key: str
    etag: str = ""
    size: int | None = None


class ManifestReadError(Exception):
    """A transient failure reading a manifest (network, 5xx): the invocation fails so FC retries the event."""


def _service_error(exc: Exception) -> Any:
    """The OSS ServiceError inside an SDK exception chain, if any."""
    seen = 0
    while exc is not None and seen < 5:
        if getattr(exc, "status_code", None) and getattr(exc, "code", None) is not None:
            return exc
        unwrap = getattr(exc, "unwrap", None)
        exc = unwrap() if callable(unwrap) else None
        seen += 1
    return None


def _open(client: Any, bucket: str, key: str) -> Any:
    import alibabacloud_oss_v2 as oss

    return client.get_object(oss.GetObjectRequest(bucket=bucket, key=key))


def _has_dot_segments(key: str) -> bool:
    """``a/../b``, ``./a``, ``.``: urllib3 removes such segments from the request path (RFC 3986 5.2.4), so
    the signed key and the requested one differ and OSS answers 403, on every retry."""
    return any(segment in (".", "..") for segment in key.split("/"))


def open_manifest(client: Any, ref: OssObjectRef) -> Any:
    """GetObject, trying the key as given and then URL-decoded (OSS event keys are not documented as encoded)."""
    if _has_dot_segments(ref.key):
        raise BadRequestError(
            "UnreadableManifestKey",
            f"manifest oss://{ref.bucket}/{ref.key} cannot be read: HTTP clients rewrite '.' and '..' path "
            "segments, so GetObject would name another object; rename it",
        )
    candidates = [ref.key]
    decoded = unquote_plus(ref.key)
    if decoded != ref.key and not _has_dot_segments(decoded):
        candidates.append(decoded)
    for index, key in enumerate(candidates):
        try:
            return _open(client, ref.bucket, key)
        except Exception as exc:
            error = _service_error(exc)
            code = getattr(error, "code", None) if error is not None else None
            status = int(getattr(error, "status_code", 0) or 0) if error is not None else 0
            if code in ("NoSuchKey", "NoSuchBucket") or status == 404:
                if index + 1 < len(candidates):
                    continue
                raise BadRequestError(
                    "ManifestNotFound",
                    f"manifest oss://{ref.bucket}/{ref.key} does not exist ({code or status})",
                ) from None
            if code in ("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch") or status == 403:
                raise ConfigurationError(
                    "ManifestAccessDenied",
                    f"the function's role may not read oss://{ref.bucket}/{ref.key} ({code}); grant oss:GetObject",
                ) from None
            raise ManifestReadError(
                f"reading oss://{ref.bucket}/{ref.key} failed: {code or type(exc).__name__}"
            ) from None
    raise AssertionError("unreachable")


def _chunks(result: Any, ref: OssObjectRef, max_bytes: int) -> Iterator[bytes]:
    total = 0
    try:
        for chunk in result.body.iter_bytes(block_size=MANIFEST_CHUNK_BYTES):
            total += len(chunk)
            if total > max_bytes:
                raise BadRequestError(
                    "ManifestTooLarge",
                    f"manifest oss://{ref.bucket}/{ref.key} is larger than the limit of {max_bytes} bytes",
                )
            yield chunk
    except BadRequestError:
        raise
    except Exception as exc:
        raise ManifestReadError(f"reading oss://{ref.bucket}/{ref.key} failed: {type(exc).__name__}") from None
    finally:
        result.body.close()


def _lines(chunks: Iterator[bytes], ref: OssObjectRef) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    pending = ""
    try:
        for chunk in chunks:
            pending += decoder.decode(chunk)
            *complete, pending = pending.split("\n")
            yield from complete
        pending += decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise BadRequestError("InvalidEncoding", f"manifest oss://{ref.bucket}/{ref.key} is not UTF-8 text") from None
    if pending:
        yield pending


def read_manifests(client: Any, refs: Iterable[OssObjectRef], *, max_bytes: int) -> CancelRequest:
    """The cancel request that the manifests make together (no item limit: that is what manifests are for)."""
    builder = CancelRequestBuilder(max_items=None)
    for ref in refs:
        read_manifest(client, ref, builder, max_bytes=max_bytes)
    return builder.build()


def read_manifest(client: Any, ref: OssObjectRef, builder: CancelRequestBuilder, *, max_bytes: int) -> None:
    """Feed one manifest into ``builder`` (a CancelRequestBuilder): JSON whole, text line by line."""
    if ref.size is not None and ref.size > max_bytes:
        raise BadRequestError(
            "ManifestTooLarge",
            f"manifest oss://{ref.bucket}/{ref.key} is {ref.size} bytes; limit {max_bytes}",
        )
    result = open_manifest(client, ref)
    chunks = _chunks(result, ref, max_bytes)
    first = b""
    for chunk in chunks:
        first += chunk
        if first.lstrip(b"\xef\xbb\xbf \t\r\n"):
            break
    head = first.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    source = f"oss://{ref.bucket}/{ref.key}"
    if head in (b"{", b"["):
        body = bytearray(first)
        for chunk in chunks:
            body += chunk
            if len(body) > MAX_JSON_MANIFEST_BYTES:
                raise BadRequestError(
                    "ManifestTooLarge",
                    f"JSON manifest {source} exceeds {MAX_JSON_MANIFEST_BYTES} bytes; use one item per line",
                )
        try:
            text = bytes(body).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise BadRequestError("InvalidEncoding", f"manifest {source} is not UTF-8 text") from None
        try:  # the payload parser's rules: a field given twice is refused, not half-read
            document = load_json(text)
        except BadRequestError as exc:
            raise BadRequestError(exc.code, f"manifest {source}: {exc.message}") from None
        builder.add_json(document, source)
        return

    def all_chunks() -> Iterator[bytes]:
        yield first
        yield from chunks

    builder.add_text_lines(_lines(all_chunks(), ref), source)
