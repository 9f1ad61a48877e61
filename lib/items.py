"""One requested item: what a job ID or an upload URL must look like, and the items of a text or JSON request.

An item is checked where it is read, one at a time, so a manifest of any size is validated without being held
(lib.manifest) and a payload the same way (lib.request). One invalid item rejects the whole request; the error names
the problem, the field or line, and the item, which the sender must fix. Pure and stdlib-only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple
from urllib.parse import unquote, urlsplit

from lib.errors import BadRequestError, excerpt
from lib.limits import MAX_JOB_ID_CHARS, MAX_URL_CHARS
from lib.urls import url_key

__all__ = [
    "BOM",
    "JOB_ID_FIELDS",
    "UPLOAD_URL_FIELDS",
    "Item",
    "check_job_id",
    "checked_url",
    "json_items",
    "json_type",
    "known_line_item",
    "source_prefix",
    "text_line_item",
    "text_lines_items",
]

JOB_ID_FIELDS = ("JobIds", "JobIDs", "jobIds", "job_ids")
UPLOAD_URL_FIELDS = ("UploadUrls", "UploadURLs", "uploadUrls", "upload_urls", "URLs")

BOM = "\ufeff"
_JOB_ID = re.compile(rf"[A-Za-z0-9_-]{{1,{MAX_JOB_ID_CHARS}}}")
_URL_PREFIXES = ("http://", "https://")
_ENCODED_URL_PREFIXES = ("http%3a", "https%3a")
# Control characters (C0, DEL, C1) and lone surrogates (only reachable through JSON "\ud800" escapes; they
# cannot be URL-encoded as UTF-8, so VOD could never receive them).
_BAD_URL_CHAR = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
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


class Item(NamedTuple):
    """One validated item: ``text`` as given (what the results report), ``url`` what is sent to VOD first (the
    text itself for a job ID; for a URL given URL-encoded, the URL decoded once)."""

    text: str
    is_url: bool
    url: str

    @property
    def dedupe_key(self) -> str:
        """Equal for two items that are the same item (job IDs as text, URLs by lib.urls.url_key)."""
        return f"u:{url_key(self.url)}" if self.is_url else f"j:{self.text}"


def json_type(value: object) -> str:
    return "null" if value is None else _JSON_TYPE_NAMES.get(type(value), type(value).__name__)


def source_prefix(source: str) -> str:
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


def check_job_id(text: str, where: str, list_hint: str | None = None) -> None:
    """InvalidJobId naming ``where`` unless ``text`` is a job ID; ``list_hint`` says what to do instead when it is
    a comma-joined list."""
    if not _JOB_ID.fullmatch(text):
        raise BadRequestError("InvalidJobId", f"{where}: {_job_id_problem(text, list_hint)}: {excerpt(text)}")


def checked_url(text: str, where: str, *, comma_separated: bool = False, list_hint: str | None = None) -> str:
    """The URL to send for ``text`` (decoded once when the whole URL was given URL-encoded); InvalidUrl naming
    ``where`` when it is not an upload URL."""
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
    return url


def text_line_item(line: str, where: str) -> Item | None:
    """The item on one line of a text request (stripped; None for a blank or ``#`` comment line); BadRequestError
    naming ``where`` when the line is not a job ID or an upload URL."""
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    if _is_url_text(text):
        return Item(text, True, checked_url(text, where, list_hint=_LINES_HINT))
    check_job_id(text, where, _LINES_HINT)
    return Item(text, False, text)


def known_line_item(line: str) -> Item | None:
    """The item on a line that :func:`text_line_item` has already accepted (the same bytes read again): the same
    Item, without checking it again."""
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    if not _is_url_text(text):
        return Item(text, False, text)
    return Item(text, True, unquote(text) if text[:8].lower().startswith(_ENCODED_URL_PREFIXES) else text)


def text_lines_items(lines: Iterable[str | bytes], source: str = "") -> Iterator[Item]:
    """The items of text lines (``bytes`` lines are UTF-8, a BOM on the first is dropped), validated in order."""
    prefix = source_prefix(source)
    for number, line in enumerate(lines, start=1):
        if isinstance(line, (bytes, bytearray)):
            try:
                line = bytes(line).decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError:
                raise BadRequestError("InvalidEncoding", f"{prefix}line {number}: not UTF-8 text") from None
        elif number == 1 and line.startswith(BOM):
            line = line[1:]
        item = text_line_item(line, f"{prefix}line {number}")
        if item is not None:
            yield item


def _json_fields(document: Any, prefix: str) -> tuple[list[str], list[str]]:
    """The job-ID fields and URL fields a JSON request uses (at most one of each)."""
    if not isinstance(document, dict):
        raise BadRequestError(
            "InvalidPayload",
            f"{prefix}expected a JSON object with JobIds and/or UploadUrls, got a JSON {json_type(document)}",
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
    return job_fields, url_fields


def json_items(document: Any, source: str = "") -> Iterator[Item]:
    """The items of a parsed JSON request (job IDs, then URLs), validated in order."""
    prefix = source_prefix(source)
    job_fields, url_fields = _json_fields(document, prefix)
    for name in job_fields:
        for text, where, comma_separated in _field_items(document[name], f"{prefix}{name}"):
            check_job_id(text, where, None if comma_separated else _ENTRIES_HINT)
            yield Item(text, False, text)
    for name in url_fields:
        for text, where, comma_separated in _field_items(document[name], f"{prefix}{name}"):
            hint = None if comma_separated else _ENTRIES_HINT
            yield Item(text, True, checked_url(text, where, comma_separated=comma_separated, list_hint=hint))


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
                    "InvalidPayload", f"{field}[{index}] must be a string, got a JSON {json_type(item)}"
                )
            yield item, f"{field}[{index}]", False
    else:
        raise BadRequestError(
            "InvalidPayload",
            f"{field} must be a list of strings or a comma-separated string, got a JSON {json_type(value)}",
        )
