"""Cancel requests: parse a JSON or text payload (or several OSS manifests) into validated, unique items.

Pure and stdlib-only so that a bad request is rejected without importing any SDK. One invalid item rejects the
whole request, and the error names the problem, the field or line, and the item, which the sender must fix.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import unquote, urlsplit

from lib.errors import BadRequestError, excerpt
from lib.limits import MAX_JOB_ID_CHARS, MAX_REQUEST_BYTES, MAX_REQUEST_ITEMS, MAX_URL_CHARS
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

JOB_ID_FIELDS = ("JobIds", "JobIDs", "jobIds", "job_ids")
UPLOAD_URL_FIELDS = ("UploadUrls", "UploadURLs", "uploadUrls", "upload_urls", "URLs")

_BOM = "\ufeff"
_JOB_ID = re.compile(rf"[A-Za-z0-9_-]{{1,{MAX_JOB_ID_CHARS}}}")
_URL_PREFIXES = ("http://", "https://")
_ENCODED_URL_PREFIXES = ("http%3a", "https%3a")
# Control characters (C0, DEL, C1) and lone surrogates (only reachable through JSON "\ud800" escapes; they
# cannot be URL-encoded as UTF-8, so VOD could never receive them).
_BAD_URL_CHAR = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_LINE_BREAK = re.compile(r"\r\n?|\n")
_JOINED_URLS = re.compile(r",\s*(?:https?://|https?%3a)", re.IGNORECASE)
"""A URL followed by a comma and another URL: several items on one line (write such a URL URL-encoded)."""
_LINES_HINT = 'put one item per line, or send JSON ({"JobIds": [...], "UploadUrls": [...]})'
_ENTRIES_HINT = "give each item its own entry in the list"
_JSON_TYPE_NAMES = {
    dict: "object",
    list: "array",
    str: "string",
    bool: "boolean",
    int: "number",
    float: "number",
}


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


def _json_type(value: object) -> str:
    return "null" if value is None else _JSON_TYPE_NAMES.get(type(value), type(value).__name__)


def _source_prefix(source: str) -> str:
    """``source`` (e.g. ``oss://bucket/key``) as a short message prefix, control characters escaped."""
    if not source:
        return ""
    label = repr(source)[1:-1]
    return f"{label[:79]}… " if len(label) > 80 else f"{label} "


def _is_url_text(text: str) -> bool:
    head = text[:8].lower()
    return head.startswith(_URL_PREFIXES) or head.startswith(_ENCODED_URL_PREFIXES)


def _url_problem(url: str) -> str | None:
    """Why ``url`` cannot be an upload URL, or None."""
    if len(url) > MAX_URL_CHARS:
        return f"URL longer than {MAX_URL_CHARS} characters"
    bad = _BAD_URL_CHAR.search(url)
    if bad:
        return f"URL contains control or invalid character U+{ord(bad.group()):04X} at index {bad.start()}"
    if url != url.strip():
        return "URL has leading or trailing whitespace"
    try:
        parts = urlsplit(url)
    except ValueError:
        return "URL cannot be parsed"
    if parts.scheme.lower() not in ("http", "https"):
        return "not an http:// or https:// URL"
    if not parts.hostname:
        return "URL has no host"
    return None


def _comma_list_size(text: str) -> int:
    """How many items ``text`` holds when it is items joined by commas (``id1,id2``); 0 when it is not."""
    if "," not in text:
        return 0
    pieces = [piece for piece in (piece.strip() for piece in text.split(",")) if piece]
    if pieces and all(_JOB_ID.fullmatch(piece) or _is_url_text(piece) for piece in pieces):
        return len(pieces)
    return 0


def _job_id_problem(text: str, list_hint: str | None) -> str:
    count = _comma_list_size(text) if list_hint else 0
    if count:
        return f"looks like a comma-separated list ({count} item{'s' if count > 1 else ''}); {list_hint}"
    if _is_url_text(text):
        return "a URL where a job ID is expected (list URLs under UploadUrls)"
    if "://" in text:
        return "neither a job ID nor an http:// or https:// URL"
    if len(text) > MAX_JOB_ID_CHARS:
        return f"job ID longer than {MAX_JOB_ID_CHARS} characters"
    return f"job ID must be 1-{MAX_JOB_ID_CHARS} characters of A-Z a-z 0-9 _ -"


def decode_payload(payload: bytes | bytearray | memoryview | str) -> str:
    """UTF-8 text of a payload without its BOM; invalid UTF-8 is an ``InvalidEncoding`` bad request."""
    if isinstance(payload, str):
        return payload[1:] if payload.startswith(_BOM) else payload
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
    return text.lstrip().lstrip(_BOM).lstrip().startswith(("{", "["))


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

    def _add_job_id(self, text: str, where: str, list_hint: str | None = None) -> None:
        """Add a job ID; ``list_hint`` says what to do instead when ``text`` turns out to be a comma-joined list."""
        if text in self._job_ids:
            return
        if not _JOB_ID.fullmatch(text):
            raise BadRequestError("InvalidJobId", f"{where}: {_job_id_problem(text, list_hint)}: {excerpt(text)}")
        self._job_ids[text] = None
        self._check_limit()

    def _add_url(self, text: str, where: str, *, comma_separated: bool = False, list_hint: str | None = None) -> None:
        if list_hint and _JOINED_URLS.search(text):
            raise BadRequestError(
                "InvalidUrl", f"{where}: looks like a comma-separated list of URLs; {list_hint}: {excerpt(text)}"
            )
        url = text
        if text[:8].lower().startswith(_ENCODED_URL_PREFIXES):
            try:
                url = unquote(text, errors="strict")
            except UnicodeDecodeError:
                raise BadRequestError(
                    "InvalidUrl", f"{where}: URL-encoded URL does not decode to UTF-8: {excerpt(text)}"
                ) from None
        problem = _url_problem(url)
        if problem:
            hint = " (a comma separates items: URL-encode URLs containing commas)" if comma_separated else ""
            raise BadRequestError("InvalidUrl", f"{where}: {problem}{hint}: {excerpt(text)}")
        key = url_key(url)
        if key not in self._urls:  # the same URL spelled another way is the same item, reported as first given
            self._urls[key] = UploadUrl(text, url)
            self._check_limit()

    def add_text_lines(self, lines: Iterable[str | bytes], source: str = "") -> None:
        """Add one item per line: stripped; blank and ``#`` lines skipped; ``http(s)://`` lines are URLs."""
        prefix = _source_prefix(source)
        for number, line in enumerate(lines, start=1):
            if isinstance(line, (bytes, bytearray)):
                try:
                    line = bytes(line).decode("utf-8-sig" if number == 1 else "utf-8")
                except UnicodeDecodeError:
                    raise BadRequestError("InvalidEncoding", f"{prefix}line {number}: not UTF-8 text") from None
            elif number == 1 and line.startswith(_BOM):
                line = line[1:]
            item = line.strip()
            if not item or item.startswith("#"):
                continue
            if _is_url_text(item):
                self._add_url(item, f"{prefix}line {number}", list_hint=_LINES_HINT)
            else:
                self._add_job_id(item, f"{prefix}line {number}", _LINES_HINT)

    def add_text(self, text: str, source: str = "") -> None:
        """Add a whole text payload (``\\n``, ``\\r\\n`` or ``\\r`` line breaks)."""
        self.add_text_lines(_LINE_BREAK.split(text), source)

    def add_json(self, document: Any, source: str = "") -> None:
        """Add a parsed JSON document: an object with JobIds and/or UploadUrls (any accepted spelling)."""
        prefix = _source_prefix(source)
        if not isinstance(document, dict):
            raise BadRequestError(
                "InvalidPayload",
                f"{prefix}expected a JSON object with JobIds and/or UploadUrls, got a JSON {_json_type(document)}",
            )
        job_fields = [name for name in JOB_ID_FIELDS if name in document]
        url_fields = [name for name in UPLOAD_URL_FIELDS if name in document]
        for name in (*job_fields, *url_fields):
            if name in getattr(document, "repeated", ()):
                raise BadRequestError("InvalidPayload", f"{prefix}field {name} appears more than once")
        for fields in (job_fields, url_fields):
            if len(fields) > 1:
                raise BadRequestError("InvalidPayload", f"{prefix}fields {' and '.join(fields)} mean the same: use one")
        if not job_fields and not url_fields:
            raise BadRequestError(
                "InvalidPayload",
                f"{prefix}JSON object has neither {'/'.join(JOB_ID_FIELDS)} nor {'/'.join(UPLOAD_URL_FIELDS)}",
            )
        for name in job_fields:
            for text, where, comma_separated in _field_items(document[name], f"{prefix}{name}"):
                self._add_job_id(text, where, None if comma_separated else _ENTRIES_HINT)
        for name in url_fields:
            for text, where, comma_separated in _field_items(document[name], f"{prefix}{name}"):
                hint = None if comma_separated else _ENTRIES_HINT
                self._add_url(text, where, comma_separated=comma_separated, list_hint=hint)

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


def _field_items(value: Any, field: str) -> Iterator[tuple[str, str, bool]]:
    """(item, position, from a comma-separated string) of a field: a list of strings or one string."""
    if isinstance(value, str):
        number = 0
        for piece in value.split(","):
            item = piece.strip()
            if item:
                number += 1
                yield item, f"{field} item {number}", True
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if not isinstance(item, str):
                raise BadRequestError(
                    "InvalidPayload", f"{field}[{index}] must be a string, got a JSON {_json_type(item)}"
                )
            yield item, f"{field}[{index}]", False
    else:
        raise BadRequestError(
            "InvalidPayload",
            f"{field} must be a list of strings or a comma-separated string, got a JSON {_json_type(value)}",
        )


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
