"""Cancel requests held in memory: an HTTP or MNS payload (JSON or text) into validated, unique items.

Pure and stdlib-only so that a bad request is rejected without importing any SDK. Each item is checked by
lib.items (which the manifest reader shares); one invalid item rejects the whole request. JOB_ID_FIELDS and
UPLOAD_URL_FIELDS, the accepted spellings of the two fields, are part of what a request is, so they are named here
too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from lib.errors import BadRequestError
from lib.items import BOM, JOB_ID_FIELDS, UPLOAD_URL_FIELDS, Item, json_items, text_lines_items
from lib.limits import MAX_REQUEST_BYTES, MAX_REQUEST_ITEMS
from lib.urls import url_key

__all__ = [
    "JOB_ID_FIELDS",
    "UPLOAD_URL_FIELDS",
    "CancelRequest",
    "CancelRequestBuilder",
    "RequestedItem",
    "UploadUrl",
    "decode_payload",
    "load_json",
    "looks_like_json",
    "parse_cancel_request",
    "payload_too_large",
]

_LINE_BREAK = re.compile(r"\r\n?|\n")


@dataclass(frozen=True, slots=True)
class UploadUrl:
    """An upload URL: ``original`` is the text as given (reported back), ``url`` the URL sent to VOD first (the
    text, decoded once when the whole URL was given URL-encoded; lib.urls has its other spellings)."""

    original: str
    url: str


class RequestedItem(NamedTuple):
    """One requested item as the user gave it; ``is_url`` tells job IDs and upload URLs apart."""

    text: str
    is_url: bool


@dataclass(frozen=True)
class CancelRequest:
    """Validated job IDs and upload URLs, each deduplicated in first-seen order (URLs by lib.urls.url_key)."""

    job_ids: tuple[str, ...] = ()
    upload_urls: tuple[UploadUrl, ...] = ()

    @property
    def item_count(self) -> int:
        return len(self.job_ids) + len(self.upload_urls)

    def items(self) -> Iterator[RequestedItem]:
        """Every item as given: job IDs first, then upload URLs."""
        for job_id in self.job_ids:
            yield RequestedItem(job_id, False)
        for upload_url in self.upload_urls:
            yield RequestedItem(upload_url.original, True)


def decode_payload(payload: bytes | bytearray | memoryview | str) -> str:
    """UTF-8 text of a payload without its BOM; invalid UTF-8 is an ``InvalidEncoding`` bad request."""
    if isinstance(payload, str):
        return payload[1:] if payload.startswith(BOM) else payload
    raw = bytes(payload)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise BadRequestError(
            "InvalidEncoding", f"payload is not UTF-8 text: invalid byte at offset {exc.start} (line {line})"
        ) from None


class _ObjectWithRepeatedKeys(dict[str, Any]):
    """A JSON object in which some key appeared more than once (``json`` keeps only the last value)."""

    repeated: frozenset[str] = frozenset()


def _mark_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``json`` hook: remember repeated keys, so a field given twice is refused instead of half-read."""
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    seen: set[str] = set()
    repeated: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            repeated.add(key)
        seen.add(key)
    marked = _ObjectWithRepeatedKeys(obj)
    marked.repeated = frozenset(repeated)
    return marked


def load_json(text: str) -> Any:
    """``json.loads`` whose every failure (syntax, deep nesting, huge numbers) is ``InvalidJson``."""
    try:
        return json.loads(text, object_pairs_hook=_mark_repeated_keys)
    except json.JSONDecodeError as exc:
        raise BadRequestError(
            "InvalidJson", f"payload is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise BadRequestError("InvalidJson", "payload JSON is nested too deeply") from None
    except ValueError:  # an integer beyond sys.get_int_max_str_digits()
        raise BadRequestError("InvalidJson", "payload JSON has a number too long to read") from None


def looks_like_json(text: str) -> bool:
    """A payload is JSON when it starts with ``{`` or ``[`` after whitespace (and BOM)."""
    return text.lstrip().lstrip(BOM).lstrip().startswith(("{", "["))


class CancelRequestBuilder:
    """Accumulates items from one payload or many manifests, validating and deduplicating as it goes.

    Lines are consumed one at a time, so a manifest of 100,000 lines costs the item list, not the raw text.
    ``max_items`` bounds the distinct items (None: no bound, for OSS manifests).
    """

    def __init__(self, max_items: int | None = None) -> None:
        self.max_items = max_items
        self._job_ids: dict[str, None] = {}
        self._urls: dict[str, UploadUrl] = {}

    @property
    def item_count(self) -> int:
        return len(self._job_ids) + len(self._urls)

    def _check_limit(self) -> None:
        if self.max_items is not None and self.item_count > self.max_items:
            raise BadRequestError(
                "TooManyItems",
                f"more than {self.max_items} items in one request; split it or upload it as an OSS manifest",
            )

    def add(self, item: Item) -> None:
        """Add one validated item, unless it is already in (URLs by lib.urls.url_key: the first spelling wins)."""
        if item.is_url:
            key = url_key(item.url)
            if key not in self._urls:
                self._urls[key] = UploadUrl(item.text, item.url)
                self._check_limit()
        elif item.text not in self._job_ids:
            self._job_ids[item.text] = None
            self._check_limit()

    def add_text_lines(self, lines: Iterable[str | bytes], source: str = "") -> None:
        """Add one item per line: stripped; blank and ``#`` lines skipped; ``http(s)://`` lines are URLs."""
        for item in text_lines_items(lines, source):
            self.add(item)

    def add_text(self, text: str, source: str = "") -> None:
        """Add a whole text payload (``\\n``, ``\\r\\n`` or ``\\r`` line breaks)."""
        self.add_text_lines(_LINE_BREAK.split(text), source)

    def add_json(self, document: Any, source: str = "") -> None:
        """Add a parsed JSON document: an object with JobIds and/or UploadUrls (any accepted spelling)."""
        for item in json_items(document, source):
            self.add(item)

    def add_payload(self, payload: bytes | str, source: str = "") -> None:
        """Add a whole payload: JSON when it starts with ``{`` or ``[``, else text lines."""
        text = decode_payload(payload)
        if looks_like_json(text):
            self.add_json(load_json(text), source)
        else:
            self.add_text(text, source)

    def build(self) -> CancelRequest:
        """The request so far; ``EmptyRequest`` when nothing was given."""
        if not self._job_ids and not self._urls:
            raise BadRequestError("EmptyRequest", "the request names no job IDs and no upload URLs")
        return CancelRequest(tuple(self._job_ids), tuple(self._urls.values()))


def _utf8_size(payload: bytes | bytearray | memoryview | str, limit: int) -> int:
    if not isinstance(payload, str):
        return memoryview(payload).nbytes
    if len(payload) > limit:  # every character is at least one byte
        return len(payload)
    return len(payload.encode("utf-8", "surrogatepass"))


def payload_too_large(size: int, limit: int) -> BadRequestError:
    return BadRequestError("PayloadTooLarge", f"payload is {size} bytes; the limit is {limit} (use an OSS manifest)")


def parse_cancel_request(
    payload: bytes | str, *, max_items: int | None = MAX_REQUEST_ITEMS, max_bytes: int = MAX_REQUEST_BYTES
) -> CancelRequest:
    """Parse an HTTP / MNS payload (JSON object or text lines); bad input raises BadRequestError."""
    size = _utf8_size(payload, max_bytes)
    if size > max_bytes:
        raise payload_too_large(size, max_bytes)
    builder = CancelRequestBuilder(max_items=max_items)
    builder.add_payload(payload)
    return builder.build()
