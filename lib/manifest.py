"""OSS manifests, read as validated items from any position, as many times as needed (alibabacloud-oss-v2).

A manifest is never held whole: its bytes are split into lines as they arrive and each line is validated on its
own, so memory does not grow with the manifest. It is read more than once — a first pass validates every line
(one invalid item rejects the whole request before any VOD call), a second cancels — and an invocation that
continues another's work reads from a byte offset (a ranged GetObject). Every read after the first asks for the
version the first one read (``If-Match`` its eTag), so a manifest replaced mid-way is noticed, never mixed.

A JSON manifest is parsed whole (capped at ``MAX_JSON_MANIFEST_BYTES``); its positions count items, not bytes.
The SDK is imported when a manifest is read (lib.objects), never at module import: the OSS envelope imports this
module for :class:`OssObjectRef`.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, NamedTuple
from urllib.parse import unquote_plus

from lib.errors import BadRequestError
from lib.items import Item, json_items, known_line_item, source_prefix, text_line_item
from lib.limits import MANIFEST_CHUNK_BYTES, MAX_JSON_MANIFEST_BYTES, MAX_LINE_BYTES
from lib.objects import OssFailure, OssObjects
from lib.request import load_json

__all__ = ["START", "Line", "Manifest", "ManifestReadError", "ManifestReader", "OssObjectRef", "Position"]

_LEAD = b"\xef\xbb\xbf \t\r\n"
_BLOCK_ITEMS = 2000  # JSON items handed on at a time


class OssObjectRef(NamedTuple):
    """One object named by an OSS ``ObjectCreated`` event: a manifest to read (``size`` when the event says)."""

    bucket: str
    key: str
    etag: str = ""
    size: int | None = None


class Position(NamedTuple):
    """Where reading goes on: manifest ``manifest`` of the delivery, at byte ``offset``, which starts line ``line``
    (1-based). In a JSON manifest ``line`` counts items and ``offset`` stays 0."""

    manifest: int
    offset: int
    line: int


START = Position(0, 0, 1)


class Line(NamedTuple):
    """A validated item and the position right after it (where reading would resume once it is reported)."""

    item: Item
    after: Position


class ManifestReadError(Exception):
    """A transient failure reading a manifest (network, 5xx, throttling): the invocation fails so FC retries."""


@dataclass(frozen=True)
class Manifest:
    """A manifest as first read: the key that worked, the version (eTag) every later read must get, its size and
    format."""

    bucket: str
    key: str
    etag: str
    size: int
    format: Literal["text", "json"] = "text"

    @property
    def source(self) -> str:
        return f"oss://{self.bucket}/{self.key}"


def _has_dot_segments(key: str) -> bool:
    """``a/../b``, ``./a``, ``.``: urllib3 removes such segments from the request path (RFC 3986 5.2.4), so
    the signed key and the requested one differ and OSS answers 403, on every retry."""
    return any(segment in (".", "..") for segment in key.split("/"))


def _unreadable(source: str, failure: OssFailure, what: str = "") -> Exception:
    """What a failed read means for the request: reported (missing, refused, impossible) or retried."""
    if failure.kind in ("missing", "invalid"):
        return BadRequestError("ManifestNotFound", f"manifest {source} {what or 'does not exist'} ({failure.code})")
    if failure.kind == "denied":
        return BadRequestError(
            "ManifestAccessDenied",
            f"the function's role may not read {source} ({failure.code}); grant oss:GetObject on it",
        )
    if failure.kind == "changed":
        return BadRequestError("ManifestChanged", f"manifest {source} was replaced while it was being read")
    return ManifestReadError(f"reading {source} failed: {failure.code}")


class ManifestReader:
    """Reads one delivery's manifests through :class:`lib.objects.OssObjects`."""

    def __init__(self, objects: OssObjects, *, max_bytes: int) -> None:
        self._objects = objects
        self._max_bytes = max_bytes

    # -- the first read -------------------------------------------------------------------------------------
    def resolve(self, ref: OssObjectRef) -> Manifest:
        """The manifest an event names: its key as given, else URL-decoded (OSS does not document whether event
        keys are encoded), the version there now (every later read asks for that one), and its format from its
        first bytes. The event's own eTag is not required: a replaced object has an event of its own, and this
        one still reports every item it reads."""
        source = f"oss://{ref.bucket}/{ref.key}"
        if _has_dot_segments(ref.key):
            raise BadRequestError(
                "UnreadableManifestKey",
                f"manifest {source} cannot be read: HTTP clients rewrite '.' and '..' path segments, so "
                "GetObject would name another object; rename it",
            )
        if ref.size is not None and ref.size > self._max_bytes:
            raise BadRequestError("ManifestTooLarge", f"manifest {source} is {ref.size} bytes; limit {self._max_bytes}")
        decoded = unquote_plus(ref.key)
        candidates = [ref.key] + ([decoded] if decoded != ref.key and not _has_dot_segments(decoded) else [])
        for index, key in enumerate(candidates):
            try:
                result = self._objects.open(ref.bucket, key)
            except OssFailure as failure:
                if failure.kind == "missing" and failure.code != "NoSuchBucket" and index + 1 < len(candidates):
                    continue
                raise _unreadable(source, failure) from None
            try:
                return self._describe(ref, key, result)
            finally:
                result.body.close()
        raise AssertionError("unreachable")

    def _describe(self, ref: OssObjectRef, key: str, result: Any) -> Manifest:
        etag = str(getattr(result, "etag", "") or ref.etag).strip('"')
        size = getattr(result, "content_length", None)
        size = int(size) if isinstance(size, int) else (ref.size or 0)
        manifest = Manifest(ref.bucket, key, etag, size)
        if size > self._max_bytes:
            raise BadRequestError(
                "ManifestTooLarge", f"manifest {manifest.source} is {size} bytes; limit {self._max_bytes}"
            )
        head = b""
        for chunk in self._chunks(result, manifest, 0):
            head += chunk
            if head.lstrip(_LEAD) or len(head) > MAX_LINE_BYTES:
                break
        if head.lstrip(_LEAD)[:1] in (b"{", b"["):
            return replace(manifest, format="json")
        return manifest

    # -- reading items --------------------------------------------------------------------------------------
    def blocks(
        self, manifests: Sequence[Manifest], start: Position = START, *, validated: bool = False
    ) -> Iterator[list[Line]]:
        """The items from ``start`` on, a block at a time (a block may be empty: only blank lines). Each line is
        validated, unless ``validated`` says a first pass already did (the same version is read: If-Match)."""
        for index in range(start.manifest, len(manifests)):
            here = start if index == start.manifest else Position(index, 0, 1)
            manifest = manifests[index]
            if manifest.format == "json":
                yield from self._json_blocks(manifest, here)
            elif here.offset < manifest.size:
                yield from self._text_blocks(manifest, here, validated)

    def _open(self, manifest: Manifest, offset: int) -> Any:
        try:
            result = self._objects.open(manifest.bucket, manifest.key, offset=offset, etag=manifest.etag)
        except OssFailure as failure:
            raise _unreadable(manifest.source, failure, "is gone") from None
        if offset and getattr(result, "status_code", 206) != 206:  # a server that ignored the range
            result.body.close()
            raise ManifestReadError(f"reading {manifest.source} from byte {offset}: the range was not honoured")
        return result

    def _chunks(self, result: Any, manifest: Manifest, offset: int) -> Iterator[bytes]:
        total = offset
        try:
            for chunk in result.body.iter_bytes(block_size=MANIFEST_CHUNK_BYTES):
                total += len(chunk)
                if total > self._max_bytes:
                    raise BadRequestError(
                        "ManifestTooLarge",
                        f"manifest {manifest.source} is larger than the limit of {self._max_bytes} bytes",
                    )
                yield chunk
        except (BadRequestError, GeneratorExit):
            raise
        except Exception as exc:
            raise ManifestReadError(f"reading {manifest.source} failed: {type(exc).__name__}") from None

    def _text_blocks(self, manifest: Manifest, start: Position, validated: bool) -> Iterator[list[Line]]:
        result = self._open(manifest, start.offset)
        try:
            lines = _TextLines(manifest, start, validated)
            for chunk in self._chunks(result, manifest, start.offset):
                yield lines.feed(chunk)
            yield lines.finish()
        finally:
            result.body.close()

    def _json_blocks(self, manifest: Manifest, start: Position) -> Iterator[list[Line]]:
        if manifest.size > MAX_JSON_MANIFEST_BYTES:
            raise BadRequestError(
                "ManifestTooLarge",
                f"JSON manifest {manifest.source} exceeds {MAX_JSON_MANIFEST_BYTES} bytes; use one item per line",
            )
        result = self._open(manifest, 0)
        try:
            body = b"".join(self._chunks(result, manifest, 0))
        finally:
            result.body.close()
        try:
            text = body.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise BadRequestError("InvalidEncoding", f"manifest {manifest.source} is not UTF-8 text") from None
        del body
        try:  # the payload parser's rules: a field given twice is refused, not half-read
            document = load_json(text)
        except BadRequestError as exc:
            raise BadRequestError(exc.code, f"manifest {manifest.source}: {exc.message}") from None
        del text
        block: list[Line] = []
        for number, item in enumerate(json_items(document, manifest.source), start=1):
            if number >= start.line:
                block.append(Line(item, Position(start.manifest, 0, number + 1)))
                if len(block) >= _BLOCK_ITEMS:
                    yield block
                    block = []
        yield block


class _TextLines:
    """Splits a text manifest's bytes into lines and validates each, keeping byte offsets exact (a line break is
    the byte ``\\n``, which never occurs inside a UTF-8 sequence)."""

    def __init__(self, manifest: Manifest, start: Position, validated: bool = False) -> None:
        self._manifest = manifest
        self._validated = validated
        self._index = start.manifest
        self._offset = start.offset
        self._line = start.line
        self._pending = b""
        self._prefix = source_prefix(manifest.source)
        self._decoder = codecs.getincrementaldecoder("utf-8")()

    def feed(self, chunk: bytes) -> list[Line]:
        if not self._validated:
            self._check_encoding(chunk)
        *complete, self._pending = (self._pending + chunk).split(b"\n")
        if len(self._pending) > MAX_LINE_BYTES:
            raise BadRequestError(
                "InvalidPayload",
                f"{self._prefix}line {self._line + len(complete)} is longer than {MAX_LINE_BYTES} bytes: "
                "no job ID or upload URL is that long",
            )
        return [line for raw in complete if (line := self._take(raw, 1)) is not None]

    def _check_encoding(self, chunk: bytes, *, final: bool = False) -> None:
        """Bytes that are not UTF-8 reject the manifest before any line of the chunk is read (as a payload's do)."""
        try:
            self._decoder.decode(chunk, final)
        except UnicodeDecodeError as exc:
            line = self._line + self._pending.count(b"\n") + chunk[: exc.start].count(b"\n")
            raise BadRequestError("InvalidEncoding", f"{self._prefix}line {line}: not UTF-8 text") from None

    def finish(self) -> list[Line]:
        if not self._validated:
            self._check_encoding(b"", final=True)
        last = self._take(self._pending, 0) if self._pending else None
        self._pending = b""
        return [last] if last is not None else []

    def _take(self, raw: bytes, separator: int) -> Line | None:
        number = self._line
        if self._offset == 0 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
            self._offset += 3
        self._offset += len(raw) + separator
        self._line += 1
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequestError("InvalidEncoding", f"{self._prefix}line {number}: not UTF-8 text") from None
        item = known_line_item(text) if self._validated else text_line_item(text, f"{self._prefix}line {number}")
        return None if item is None else Line(item, Position(self._index, self._offset, self._line))
