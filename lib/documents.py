"""The JSON documents the function writes: the results (in parts that fit one MNS message) and the error document.

Every document starts with the same head (``Version``, ``RequestId``, ``Source``, ``DedupeKey``). A results part
adds its ``Part`` number, ``Final`` (true on the last part only, which also carries ``PartCount``), the running
``Counts`` and its share of the five lists; the parts' lists together hold every entry exactly once. Parts are
written as outcomes arrive (:class:`PartWriter`), so a result of any size is published while it is being made and
only the part being filled is held. An error — an HTTP 4xx/5xx body or a published rejection alike — adds
``Error: {Code, Message}`` instead. Sizes are counted by encoding entries exactly as the document will be written,
so a part is known to fit before it is written. Pure and stdlib-only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from lib.errors import CancelError
from lib.limits import NOTIFY_MAX_MESSAGE_BYTES
from lib.outcome import ItemOutcome, OutcomeKind, Results

__all__ = [
    "DOCUMENT_VERSION",
    "LISTS",
    "TAG_FAILED",
    "TAG_OK",
    "TAG_REJECTED",
    "DocumentIds",
    "PartWriter",
    "error_document",
    "results_documents",
    "summary_document",
    "whole_document",
]

DOCUMENT_VERSION = 1
TAG_OK = "ok"
TAG_FAILED = "failed"
TAG_REJECTED = "rejected"
"""MNS message tags (for a subscription's FilterTag): all settled so far, some item failed, the request was refused."""
LISTS = ("CanceledJobs", "CanceledUrls", "NonExists", "NotCancellable", "Failed")
COUNT_NAMES = ("Requested", *(kind.value for kind in OutcomeKind))

_WIDEST_NUMBER = 999_999_999
"""The widest Part, PartCount and count the size budget reserves room for: more lines than a manifest of
MAX_MANIFEST_BYTES can hold."""
_UNLIMITED_BYTES = 1 << 62

_UTF8 = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_ESCAPED = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"))


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


def _sizes(value: Any) -> tuple[int | None, int]:
    """Bytes ``value`` takes written as UTF-8 (None: it holds a lone surrogate, which only ``\\u`` escapes can
    carry) and written with every non-ASCII character escaped."""
    text = _UTF8.encode(value)
    if text.isascii():
        return len(text), len(text)
    escaped = len(_ESCAPED.encode(value))
    try:
        return len(text.encode("utf-8")), escaped
    except UnicodeEncodeError:
        return None, escaped


def _dumps(value: Any) -> str:
    """A document as UTF-8 text, or with ``\\u`` escapes throughout when some text is not UTF-8."""
    text = _UTF8.encode(value)
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _ESCAPED.encode(value)
    return text


def error_document(error: CancelError, ids: DocumentIds) -> str:
    """The one shape of every error the function reports: an HTTP error body and a published rejection alike."""
    return _dumps({**ids.head(), "Error": {"Code": error.code, "Message": error.message}})


def _entries(outcome: ItemOutcome) -> Iterator[tuple[str, Any]]:
    """(list name, JSON value) of one outcome's entries."""
    kind = outcome.kind
    if kind is OutcomeKind.CANCELED:
        for job_id in outcome.job_ids:
            yield "CanceledJobs", job_id
        if outcome.is_url:
            yield "CanceledUrls", {"UploadUrl": outcome.item, "JobIds": list(outcome.job_ids)}
    elif kind is OutcomeKind.NOT_FOUND:
        yield "NonExists", outcome.item
    elif kind is OutcomeKind.NOT_CANCELLABLE:
        yield "NotCancellable", {"Item": outcome.item, "JobId": outcome.job_id, "Status": outcome.status}
    else:
        yield "Failed", {"Item": outcome.item, "Code": outcome.code, "Message": outcome.message}


class _Part:
    """The part being filled: its lists, its size both ways (UTF-8 / escaped) and whether it must be escaped."""

    def __init__(self, *, escaped: bool = False) -> None:
        self.lists: dict[str, list[Any]] = {name: [] for name in LISTS}
        self.used_utf8 = 0
        self.used_escaped = 0
        self.escaped = escaped
        self.entries = 0
        self.jobs: set[str] = set()  # its CanceledJobs, listed once per part

    def fits(self, name: str, sizes: tuple[int | None, int], budget: int) -> bool:
        comma = 1 if self.lists[name] else 0
        utf8, escaped = sizes
        if self.escaped or utf8 is None:
            return self.used_escaped + escaped + comma <= budget
        return self.used_utf8 + utf8 + comma <= budget

    def put(self, name: str, value: Any, sizes: tuple[int | None, int]) -> None:
        comma = 1 if self.lists[name] else 0
        utf8, escaped = sizes
        self.lists[name].append(value)
        self.used_escaped += escaped + comma
        self.used_utf8 += (utf8 if utf8 is not None else escaped) + comma
        self.escaped = self.escaped or utf8 is None
        self.entries += 1
        if name == "CanceledJobs":
            self.jobs.add(value)


class PartWriter:
    """Outcomes in, in the order they are reported; numbered results parts of at most ``max_bytes`` out.

    A part is closed when the next entry would not fit (:meth:`add`) or when the caller wants what has been
    reported so far out (:meth:`close_part`); :meth:`take` hands over the closed parts' documents, :meth:`finish`
    writes the final one. Each part's ``Counts`` are the running counts: the items reported in it and in every part
    before it. :meth:`state` and ``resume`` carry a writer over to another invocation.
    """

    def __init__(self, ids: DocumentIds, *, max_bytes: int = NOTIFY_MAX_MESSAGE_BYTES, resume: Any = None) -> None:
        self._ids = ids
        self._max_bytes = max_bytes
        head = self._document(_WIDEST_NUMBER, dict.fromkeys(COUNT_NAMES, _WIDEST_NUMBER), _Part().lists, final=True)
        overhead = max(size for size in _sizes(head) if size is not None)
        if overhead > max_bytes:
            raise ValueError(f"results document header alone is {overhead} bytes; limit {max_bytes}")
        self._budget = max_bytes - overhead
        self._escape_all = _sizes(ids.head())[0] is None  # a head UTF-8 cannot carry: every part escaped
        self.counts = dict.fromkeys(COUNT_NAMES, 0)
        self.next_part = 1
        self._part = _Part(escaped=self._escape_all)
        self._ready: list[tuple[int, dict[str, list[Any]], dict[str, int], bool]] = []
        if resume is not None:
            self._restore(resume)

    @property
    def ready(self) -> int:
        """Closed parts not yet taken."""
        return len(self._ready)

    def add(self, outcome: ItemOutcome) -> None:
        """Report one outcome (its entries may close the part they do not fit in)."""
        self.counts["Requested"] += 1
        self.counts[outcome.kind.value] += 1
        first = True
        for name, value in _entries(outcome):
            if name == "CanceledJobs" and value in self._part.jobs:
                continue
            for piece, sizes in self._sized(name, value):
                if not self._part.fits(name, sizes, self._budget) and self._part.entries:
                    self._close(without=outcome if first else None)
                if not self._part.fits(name, sizes, self._budget):
                    raise ValueError(f"a {name} entry cannot fit in a {self._max_bytes}-byte message")
                self._part.put(name, piece, sizes)
                first = False

    def _sized(self, name: str, value: Any) -> Iterator[tuple[Any, tuple[int | None, int]]]:
        sizes = _sizes(value)
        if name == "CanceledUrls" and max(size or 0 for size in sizes) > self._budget:
            yield from self._split_canceled_url(value)
        else:
            yield value, sizes

    def _split_canceled_url(self, entry: dict[str, Any]) -> Iterator[tuple[Any, tuple[int | None, int]]]:
        """A CanceledUrls entry too big for one message (a URL with very many jobs) as several, same URL."""
        url = entry["UploadUrl"]
        empty_utf8, empty_escaped = _sizes({"UploadUrl": url, "JobIds": []})
        chunk: list[str] = []
        utf8, escaped = empty_utf8, empty_escaped
        for job_id in entry["JobIds"]:
            job_utf8, job_escaped = _sizes(job_id)
            comma = 1 if chunk else 0
            grown = escaped + job_escaped + comma
            if chunk and grown > self._budget:
                yield {"UploadUrl": url, "JobIds": chunk}, (utf8, escaped)
                chunk, utf8, escaped, comma = [], empty_utf8, empty_escaped, 0
            chunk.append(job_id)
            escaped += job_escaped + comma
            utf8 = None if utf8 is None or job_utf8 is None else utf8 + job_utf8 + comma
        yield {"UploadUrl": url, "JobIds": chunk}, (utf8, escaped)

    def _close(self, *, without: ItemOutcome | None = None) -> None:
        """Close the part; ``without``: an outcome counted already whose entries all go to the next part."""
        counts = dict(self.counts)
        if without is not None:
            counts["Requested"] -= 1
            counts[without.kind.value] -= 1
        self._ready.append((self.next_part, self._part.lists, counts, self._part.escaped))
        self.next_part += 1
        self._part = _Part(escaped=self._escape_all)

    def close_part(self) -> None:
        """Close the part being filled, if it holds anything, so the next :meth:`take` hands it over."""
        if self._part.entries:
            self._close()

    def take(self) -> list[tuple[str, str]]:
        """The closed parts' documents, as (JSON text, MNS tag), in order; they are then forgotten."""
        ready, self._ready = self._ready, []
        return [self._write(number, lists, counts, escaped, final=False) for number, lists, counts, escaped in ready]

    def finish(self, *, error: dict[str, str] | None = None) -> tuple[str, str]:
        """The final part: what is left (possibly nothing), ``Final`` and ``PartCount`` set, the totals; ``error``
        when the rest of the request could not be read (its items have no outcome: the part is tagged failed)."""
        if self._ready:
            raise RuntimeError("take() the closed parts before the final one")
        lists = {**self._part.lists, "Error": error} if error else self._part.lists
        text, tag = self._write(self.next_part, lists, dict(self.counts), self._part.escaped, final=True)
        document = (text, TAG_FAILED if error else tag)
        self.next_part += 1
        self._part = _Part(escaped=self._escape_all)
        return document

    def _document(self, number: int, counts: dict[str, int], lists: dict[str, list[Any]], *, final: bool) -> dict:
        document: dict[str, Any] = {**self._ids.head(), "Part": number, "Final": final}
        if final:
            document["PartCount"] = number
        document["Counts"] = counts
        document.update(lists)
        return document

    def _write(self, number: int, lists: Any, counts: dict[str, int], escaped: bool, *, final: bool) -> tuple[str, str]:
        document = self._document(number, counts, lists, final=final)
        text = _ESCAPED.encode(document) if escaped else _dumps(document)
        return text, TAG_FAILED if counts[OutcomeKind.FAILED.value] else TAG_OK

    # -- carried over to another invocation ---------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """What another invocation needs to go on writing: the next part's number, the running counts and the
        part being filled (at most one message of entries). Closed parts must have been taken."""
        if self._ready:
            raise RuntimeError("take() the closed parts before saving the state")
        lists = {name: list(values) for name, values in self._part.lists.items()}  # a snapshot: writing goes on
        return {"NextPart": self.next_part, "Counts": dict(self.counts), "Lists": lists}

    def _restore(self, state: Any) -> None:
        self.next_part = int(state["NextPart"])
        self.counts = {name: int(state["Counts"][name]) for name in COUNT_NAMES}
        for name in LISTS:
            for value in state["Lists"][name]:
                self._part.put(name, value, _sizes(value))


def results_documents(
    results: Iterable[ItemOutcome], ids: DocumentIds, *, max_bytes: int = NOTIFY_MAX_MESSAGE_BYTES
) -> list[tuple[str, str]]:
    """Every part of the results of ``results`` at once, as (JSON text, MNS tag), the last one final."""
    writer = PartWriter(ids, max_bytes=max_bytes)
    documents = []
    for outcome in results:
        writer.add(outcome)
        documents.extend(writer.take())
    return [*documents, writer.finish()]


def summary_document(ids: DocumentIds, counts: dict[str, int], parts: int, *, final: bool) -> str:
    """What a manifest request's invocation returns: the head, whether the request is finished, how many parts
    are out and the running counts (the parts themselves are on the results topic)."""
    return _dumps({**ids.head(), "Final": final, "Parts": parts, "Counts": counts})


def whole_document(results: Results, ids: DocumentIds) -> str:
    """The results as one document, whatever its size: the HTTP reply (HTTP requests are small)."""
    ((text, _),) = results_documents(results, ids, max_bytes=_UNLIMITED_BYTES)
    return text
