"""The JSON documents the function writes: the results (in parts that fit one MNS message) and the error document.

Every document starts with the same head (``Version``, ``RequestId``, ``Source``, ``DedupeKey``). A results part
adds ``Part``, ``PartCount``, the whole request's ``Counts`` and its share of the five lists; the parts' lists
together hold every entry exactly once. An error — an HTTP 4xx/5xx body or a published rejection alike — adds
``Error: {Code, Message}`` instead. Each document is produced by encoding one Python value; sizes are counted by
encoding entries the same way, so a part is known to fit before it is written. Pure and stdlib-only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lib.errors import CancelError
from lib.limits import NOTIFY_MAX_MESSAGE_BYTES
from lib.outcome import OutcomeKind, Results

__all__ = [
    "DOCUMENT_VERSION",
    "LISTS",
    "TAG_FAILED",
    "TAG_OK",
    "TAG_REJECTED",
    "DocumentIds",
    "ResultsParts",
    "error_document",
    "results_documents",
]

DOCUMENT_VERSION = 1
TAG_OK = "ok"
TAG_FAILED = "failed"
TAG_REJECTED = "rejected"
"""MNS message tags (for a subscription's FilterTag): all settled, some item failed, the request was refused."""
LISTS = ("CanceledJobs", "CanceledUrls", "NonExists", "NotCancellable", "Failed")

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_MAX_PART_NUMBER = 999_999_999  # the widest Part / PartCount the size budget reserves room for
_UNLIMITED_BYTES = 1 << 62

Entry = tuple[str, Any, int]
"""One list entry: (list name, JSON value, its encoded size in bytes)."""


@dataclass(frozen=True)
class DocumentIds:
    """What every document says about where it comes from: the FC request, the trigger, the delivery."""

    request_id: str
    source: str
    dedupe_key: str

    def head(self) -> dict[str, Any]:
        return {
            "Version": DOCUMENT_VERSION,
            "RequestId": self.request_id,
            "Source": self.source,
            "DedupeKey": self.dedupe_key,
        }


class _NotUtf8(ValueError):
    """Text that UTF-8 cannot carry (a lone surrogate, only reachable through a JSON ``\\ud800`` escape)."""


class _Encoding:
    """A document's JSON writer: raw UTF-8 text, or ``\\u`` escapes throughout when some text is not UTF-8."""

    def __init__(self, *, escape_all: bool) -> None:
        self.escape_all = escape_all
        self._encoder = json.JSONEncoder(ensure_ascii=escape_all, separators=(",", ":"))

    def dumps(self, value: Any) -> str:
        return self._encoder.encode(value)

    def size(self, value: Any) -> int:
        """Bytes ``value`` takes in a document written this way."""
        text = self._encoder.encode(value)
        if text.isascii():
            return len(text)
        try:
            return len(text.encode("utf-8"))
        except UnicodeEncodeError:
            raise _NotUtf8 from None


_UTF8 = _Encoding(escape_all=False)
_ESCAPED = _Encoding(escape_all=True)


def _encoding_for(value: Any) -> _Encoding:
    """The encoding a document starting with ``value`` needs (entries found later may still need escaping)."""
    text = _UTF8.dumps(value)
    return _UTF8 if text.isascii() or not _LONE_SURROGATE.search(text) else _ESCAPED


def error_document(error: CancelError, ids: DocumentIds) -> str:
    """The one shape of every error the function reports: an HTTP error body and a published rejection alike."""
    document = {**ids.head(), "Error": {"Code": error.code, "Message": error.message}}
    return _encoding_for(document).dumps(document)


def _entries(results: Results) -> Iterator[tuple[str, Any]]:
    """(list name, JSON value) of every list entry, list by list in document order, outcome order within a list.
    Generated, not collected: 100,000 outcomes never exist a second time as entries all at once."""
    seen_jobs: set[str] = set()
    for job_id in results.canceled_job_ids():
        if job_id not in seen_jobs:
            seen_jobs.add(job_id)
            yield "CanceledJobs", job_id
    seen_jobs.clear()
    for outcome in results.of_kind(OutcomeKind.CANCELED, urls_only=True):
        yield "CanceledUrls", {"UploadUrl": outcome.item, "JobIds": list(outcome.job_ids)}
    for outcome in results.of_kind(OutcomeKind.NOT_FOUND):
        yield "NonExists", outcome.item
    for outcome in results.of_kind(OutcomeKind.NOT_CANCELLABLE):
        yield "NotCancellable", {"Item": outcome.item, "JobId": outcome.job_id, "Status": outcome.status}
    for outcome in results.of_kind(OutcomeKind.FAILED):
        yield "Failed", {"Item": outcome.item, "Code": outcome.code, "Message": outcome.message}


def _split_canceled_url(entry: dict[str, Any], encoding: _Encoding, budget: int) -> Iterator[Entry]:
    """A CanceledUrls entry too big for one message (a URL with very many jobs) as several, same URL."""
    url = entry["UploadUrl"]
    empty_size = encoding.size({"UploadUrl": url, "JobIds": []})
    chunk: list[str] = []
    used = empty_size
    for job_id in entry["JobIds"]:
        job_size = encoding.size(job_id) + (1 if chunk else 0)
        if used + job_size > budget and chunk:
            yield "CanceledUrls", {"UploadUrl": url, "JobIds": chunk}, used
            chunk, used, job_size = [], empty_size, job_size - 1
        if used + job_size > budget:
            raise ValueError(f"a CanceledUrls entry cannot be split to fit {budget} bytes")
        chunk.append(job_id)
        used += job_size
    yield "CanceledUrls", {"UploadUrl": url, "JobIds": chunk}, used


def _sized_entries(results: Results, encoding: _Encoding, budget: int) -> Iterator[Entry]:
    for name, value in _entries(results):
        size = encoding.size(value)
        if size > budget and name == "CanceledUrls":
            yield from _split_canceled_url(value, encoding, budget)
        else:
            yield name, value, size


class PartPacker:
    """Packs entries greedily into parts of at most ``budget`` bytes of entries: a part takes entries until the
    next one would not fit. Fed one entry at a time, it holds only the part being filled."""

    def __init__(self, budget: int, max_bytes: int) -> None:
        self._budget = budget
        self._max_bytes = max_bytes
        self._part = self._empty()
        self._used = 0
        self._has_entries = False

    @staticmethod
    def _empty() -> dict[str, list[Any]]:
        return {name: [] for name in LISTS}

    def add(self, name: str, value: Any, size: int) -> dict[str, list[Any]] | None:
        """Add one entry; returns the part it closed when it did not fit in the current one."""
        closed = None
        extra = size + (1 if self._part[name] else 0)
        if self._used + extra > self._budget and self._has_entries:
            closed, self._part, self._used, extra = self._part, self._empty(), 0, size
        if self._used + extra > self._budget:
            raise ValueError(f"a {name} entry of {size} bytes cannot fit in a {self._max_bytes}-byte message")
        self._part[name].append(value)
        self._used += extra
        self._has_entries = True
        return closed

    def finish(self) -> dict[str, list[Any]]:
        """The last part (every document has at least one, even with empty lists)."""
        return self._part


class ResultsParts:
    """The results document as messages of at most ``max_bytes``: ``count`` parts, produced one at a time.

    Iterating yields (JSON text, MNS tag) per part. Only the part being built is held, so publishing a
    100,000-item result costs one message of memory rather than the whole document; the price is packing the
    entries twice (once to count the parts, since every part carries ``PartCount``, once to emit them).
    """

    def __init__(self, results: Results, ids: DocumentIds, *, max_bytes: int = NOTIFY_MAX_MESSAGE_BYTES) -> None:
        self._results = results
        self._ids = ids
        self._max_bytes = max_bytes
        self.counts = results.counts()
        self.tag = TAG_FAILED if self.counts[OutcomeKind.FAILED.value] else TAG_OK
        self._only: dict[str, list[Any]] | None = None  # kept from counting when there is one part
        self._only_text: str | None = None  # and its JSON, once written
        self.count = 0
        try:
            self._encoding = _encoding_for(ids.head())
            self._count()
        except _NotUtf8:
            self._encoding = _ESCAPED
            self._count()
        if self.count > _MAX_PART_NUMBER:
            raise ValueError("results too big to number their parts")

    def _count(self) -> None:
        widest = self._document(_MAX_PART_NUMBER, _MAX_PART_NUMBER, PartPacker._empty())
        overhead = self._encoding.size(widest)
        if overhead > self._max_bytes:
            raise ValueError(f"results document header alone is {overhead} bytes; limit {self._max_bytes}")
        self._budget = self._max_bytes - overhead
        self.count = 0
        for part in self._pack():
            self.count += 1
            self._only = part if self.count == 1 else None

    def _pack(self) -> Iterator[dict[str, list[Any]]]:
        packer = PartPacker(self._budget, self._max_bytes)
        for name, value, size in _sized_entries(self._results, self._encoding, self._budget):
            closed = packer.add(name, value, size)
            if closed is not None:
                yield closed
        yield packer.finish()

    def _document(self, part: int, part_count: int, lists: dict[str, list[Any]]) -> dict[str, Any]:
        return {**self._ids.head(), "Part": part, "PartCount": part_count, "Counts": self.counts, **lists}

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[tuple[str, str]]:
        if self._only is not None:  # the common case, one message: no second packing
            if self._only_text is None:
                self._only_text = self._encoding.dumps(self._document(1, 1, self._only))
            yield self._only_text, self.tag
            return
        for number, lists in enumerate(self._pack(), start=1):
            yield self._encoding.dumps(self._document(number, self.count, lists)), self.tag

    def summary(self) -> str:
        """The document's head alone (ids, ``PartCount``, ``Counts``, no lists): what an invocation returns when
        the results are too big to be worth holding whole; the parts themselves are on the results topic."""
        return self._encoding.dumps({**self._ids.head(), "PartCount": self.count, "Counts": self.counts})

    def whole(self, *, max_items: int) -> str:
        """The whole results document as one JSON text, or only its :meth:`summary` beyond ``max_items`` items
        (holding a result that big whole again, just to return it, is what would exhaust a small instance)."""
        if len(self._results) > max_items:
            return self.summary()
        parts = self if self._only is not None else ResultsParts(self._results, self._ids, max_bytes=_UNLIMITED_BYTES)
        ((text, _),) = parts
        return text


def results_documents(
    results: Results, ids: DocumentIds, *, max_bytes: int = NOTIFY_MAX_MESSAGE_BYTES
) -> list[tuple[str, str]]:
    """Every part of the results document at once, as (JSON text, MNS tag); see :class:`ResultsParts`."""
    return list(ResultsParts(results, ids, max_bytes=max_bytes))
