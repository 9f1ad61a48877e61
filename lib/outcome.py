"""Outcome per requested item, and the results documents published to MNS (each message ≤ 64 KB).

Every requested item gets exactly one outcome, so the sender can account for all of them; a second outcome for
the same item is a bug, not data. Big results are split into parts that are each complete JSON with the whole
request's counts, and whose lists together hold every entry exactly once. Pure and stdlib-only.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from lib.errors import CancelError
from lib.request import CancelRequest, RequestedItem

MAX_MESSAGE_BYTES = 65536
"""MNS's largest message body."""
DOCUMENT_VERSION = 1
MAX_FAILURE_MESSAGE_CHARS = 500
MAX_FAILURE_CODE_CHARS = 100

TAG_OK = "ok"
TAG_FAILED = "failed"
TAG_REJECTED = "rejected"

_LISTS = ("CanceledJobs", "CanceledUrls", "NonExists", "NotCancellable", "Failed")
_MAX_PART_NUMBER = 999_999_999  # the widest Part / PartCount the size budget reserves room for
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_ASCII_ENCODER = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"))


class OutcomeKind(enum.Enum):
    """What happened to one item; the value is the results document's count name."""

    CANCELED = "Canceled"
    NOT_FOUND = "NonExists"
    NOT_CANCELLABLE = "NotCancellable"
    FAILED = "Failed"


@dataclass(frozen=True, slots=True)
class ItemOutcome:
    """The outcome of one item, keyed by the item's original text. Build it with the class methods."""

    item: str
    is_url: bool
    kind: OutcomeKind
    job_ids: tuple[str, ...] = ()
    job_id: str | None = None
    status: str | None = None
    code: str | None = None
    message: str | None = None

    @classmethod
    def canceled(cls, item: str, *, is_url: bool, job_ids: Iterable[str] = ()) -> ItemOutcome:
        """Cancelled (or already cancelled); a job ID item's ``job_ids`` default to the item itself."""
        ids = tuple(job_ids) or (() if is_url else (item,))
        return cls(item, is_url, OutcomeKind.CANCELED, job_ids=ids)

    @classmethod
    def not_found(cls, item: str, *, is_url: bool) -> ItemOutcome:
        return cls(item, is_url, OutcomeKind.NOT_FOUND)

    @classmethod
    def not_cancellable(cls, item: str, *, is_url: bool, job_id: str, status: str) -> ItemOutcome:
        """The job exists but has left Pending; ``status`` is as GetURLUploadInfos reported it."""
        return cls(item, is_url, OutcomeKind.NOT_CANCELLABLE, job_id=job_id, status=status)

    @classmethod
    def failed(cls, item: str, *, is_url: bool, code: str, message: str) -> ItemOutcome:
        """Could not be settled (errors after retries, deadline); code and message are kept short."""
        if len(message) > MAX_FAILURE_MESSAGE_CHARS:
            message = message[: MAX_FAILURE_MESSAGE_CHARS - 1] + "…"
        return cls(item, is_url, OutcomeKind.FAILED, code=code[:MAX_FAILURE_CODE_CHARS], message=message)


class DuplicateOutcomeError(ValueError):
    """A second outcome for one item: a programming error in the caller."""


_MISSING = object()
# A compact stored outcome (see Results): None = a job ID item cancelled (its job is itself); str = a URL item
# cancelled with that one job; tuple = a URL item cancelled with these jobs; anything else is an ItemOutcome.
_Stored = ItemOutcome | str | tuple[str, ...] | None


class Results:
    """Exactly one outcome per requested item, in the order they were settled.

    A 100,000-line manifest keeps 100,000 outcomes for the whole invocation, so they are stored compactly: keyed by
    the item's text (job IDs and URLs cannot look alike, see lib.request; a text given as both kinds, which only a
    caller bypassing validation can do, goes to a second map), and a cancelled item is kept as its job IDs alone.
    :class:`ItemOutcome` objects are rebuilt when read. This halves the function's memory per item.
    """

    def __init__(self, outcomes: Iterable[ItemOutcome] = ()) -> None:
        self._by_item: dict[str, _Stored] = {}
        self._clashes: dict[tuple[bool, str], ItemOutcome] = {}
        self.extend(outcomes)

    @staticmethod
    def _pack(outcome: ItemOutcome) -> _Stored:
        if outcome.kind is OutcomeKind.CANCELED:
            if not outcome.is_url and outcome.job_ids == (outcome.item,):
                return None
            if outcome.is_url and outcome.job_ids:
                return outcome.job_ids[0] if len(outcome.job_ids) == 1 else outcome.job_ids
        return outcome

    @staticmethod
    def _unpack(item: str, stored: _Stored) -> ItemOutcome:
        if stored is None:
            return ItemOutcome(item, False, OutcomeKind.CANCELED, job_ids=(item,))
        if isinstance(stored, str):
            return ItemOutcome(item, True, OutcomeKind.CANCELED, job_ids=(stored,))
        if isinstance(stored, tuple):
            return ItemOutcome(item, True, OutcomeKind.CANCELED, job_ids=stored)
        return stored

    @staticmethod
    def _is_url(stored: _Stored) -> bool:
        return stored is not None and (not isinstance(stored, ItemOutcome) or stored.is_url)

    def add(self, outcome: ItemOutcome) -> None:
        existing = self.get(outcome.item, is_url=outcome.is_url)
        if existing is not None:
            raise DuplicateOutcomeError(
                f"item {outcome.item[:200]!r} already has outcome {existing.kind.name}; cannot add {outcome.kind.name}"
            )
        stored = self._by_item.get(outcome.item, _MISSING)
        if stored is _MISSING:
            self._by_item[outcome.item] = self._pack(outcome)
        else:  # the same text as the other kind of item
            self._clashes[(outcome.is_url, outcome.item)] = outcome

    def extend(self, outcomes: Iterable[ItemOutcome]) -> None:
        for outcome in outcomes:
            self.add(outcome)

    def get(self, item: str, *, is_url: bool) -> ItemOutcome | None:
        stored = self._by_item.get(item, _MISSING)
        if stored is not _MISSING and self._is_url(stored) == is_url:  # type: ignore[arg-type]
            return self._unpack(item, stored)  # type: ignore[arg-type]
        return self._clashes.get((is_url, item))

    def _has(self, item: str, is_url: bool) -> bool:
        stored = self._by_item.get(item, _MISSING)
        if stored is not _MISSING and self._is_url(stored) == is_url:  # type: ignore[arg-type]
            return True
        return bool(self._clashes) and (is_url, item) in self._clashes

    def __contains__(self, item: object) -> bool:
        return isinstance(item, RequestedItem) and self._has(item.text, item.is_url)

    def __iter__(self) -> Iterator[ItemOutcome]:
        for item, stored in self._by_item.items():
            yield self._unpack(item, stored)
        yield from self._clashes.values()

    def canceled_job_ids(self) -> Iterator[str]:
        """The job IDs of every cancelled item, in order (repeats included), without building outcomes."""
        for item, stored in self._by_item.items():
            if stored is None:
                yield item
            elif isinstance(stored, str):
                yield stored
            elif isinstance(stored, tuple):
                yield from stored
            elif stored.kind is OutcomeKind.CANCELED:
                yield from stored.job_ids
        for outcome in self._clashes.values():
            if outcome.kind is OutcomeKind.CANCELED:
                yield from outcome.job_ids

    def of_kind(self, kind: OutcomeKind, *, urls_only: bool = False) -> Iterator[ItemOutcome]:
        """The outcomes of one kind, in order; skips the others without building them."""
        for item, stored in self._by_item.items():
            if isinstance(stored, ItemOutcome):
                if stored.kind is kind and (stored.is_url or not urls_only):
                    yield stored
            elif kind is OutcomeKind.CANCELED and (stored is not None or not urls_only):
                yield self._unpack(item, stored)
        for outcome in self._clashes.values():
            if outcome.kind is kind and (outcome.is_url or not urls_only):
                yield outcome

    def __len__(self) -> int:
        return len(self._by_item) + len(self._clashes)

    def missing(self, request: CancelRequest) -> list[RequestedItem]:
        """Requested items that have no outcome yet (e.g. when the deadline comes)."""
        return [item for item in request.items() if not self._has(item.text, item.is_url)]

    def fail_missing(self, request: CancelRequest, *, code: str, message: str) -> int:
        """Give every item still without an outcome a FAILED one; returns how many."""
        missing = self.missing(request)
        for item in missing:
            self.add(ItemOutcome.failed(item.text, is_url=item.is_url, code=code, message=message))
        return len(missing)

    def counts(self) -> dict[str, int]:
        """The document's ``Counts``: items per outcome kind."""
        counts = {"Requested": len(self)} | {kind.value: 0 for kind in OutcomeKind}
        canceled = OutcomeKind.CANCELED.value
        for stored in self._by_item.values():
            counts[stored.kind.value if isinstance(stored, ItemOutcome) else canceled] += 1
        for outcome in self._clashes.values():
            counts[outcome.kind.value] += 1
        return counts

    @property
    def has_failures(self) -> bool:
        return self.counts()[OutcomeKind.FAILED.value] > 0


def _encode(value: Any) -> tuple[str, int]:
    """Compact JSON of ``value`` and its UTF-8 size; lone surrogates fall back to ``\\u`` escapes."""
    text = _ENCODER.encode(value)
    if text.isascii():
        return text, len(text)
    try:
        return text, len(text.encode("utf-8"))
    except UnicodeEncodeError:
        text = _ASCII_ENCODER.encode(value)
        return text, len(text)


def _entries(results: Results) -> Iterator[tuple[str, str, int]]:
    """(list name, JSON text, UTF-8 size) of every list entry, list by list in document order, outcome order
    within a list. Generated, not collected: 100,000 outcomes never exist a second time as JSON all at once."""
    seen_jobs: set[str] = set()
    for job_id in results.canceled_job_ids():
        if job_id not in seen_jobs:
            seen_jobs.add(job_id)
            yield ("CanceledJobs", *_encode(job_id))
    seen_jobs.clear()
    for outcome in results.of_kind(OutcomeKind.CANCELED, urls_only=True):
        yield ("CanceledUrls", *_encode({"UploadUrl": outcome.item, "JobIds": list(outcome.job_ids)}))
    for outcome in results.of_kind(OutcomeKind.NOT_FOUND):
        yield ("NonExists", *_encode(outcome.item))
    for outcome in results.of_kind(OutcomeKind.NOT_CANCELLABLE):
        yield ("NotCancellable", *_encode({"Item": outcome.item, "JobId": outcome.job_id, "Status": outcome.status}))
    for outcome in results.of_kind(OutcomeKind.FAILED):
        yield ("Failed", *_encode({"Item": outcome.item, "Code": outcome.code, "Message": outcome.message}))


def _split_canceled_url(text: str, size: int, budget: int) -> list[tuple[str, int]]:
    """A CanceledUrls entry too big for one message (a URL with very many jobs) as several, same URL."""
    entry = json.loads(text)
    empty_size = _encode({"UploadUrl": entry["UploadUrl"], "JobIds": []})[1]
    chunks: list[list[str]] = [[]]
    used = empty_size
    for job_id in entry["JobIds"]:
        job_size = _encode(job_id)[1] + 1
        if used + job_size > budget and chunks[-1]:
            chunks.append([])
            used = empty_size
        if used + job_size > budget:
            raise ValueError(f"a CanceledUrls entry of {size} bytes cannot be split to fit {budget} bytes")
        chunks[-1].append(job_id)
        used += job_size
    return [_encode({"UploadUrl": entry["UploadUrl"], "JobIds": chunk}) for chunk in chunks]


def _head(request_id: str, source: str, dedupe_key: str, part: int, part_count: int, counts: dict[str, int]) -> str:
    """The part's fixed fields as an unterminated JSON object: ``{"Version":1,...,"Counts":{...}``."""
    head = {
        "Version": DOCUMENT_VERSION,
        "RequestId": request_id,
        "Source": source,
        "DedupeKey": dedupe_key,
        "Part": part,
        "PartCount": part_count,
        "Counts": counts,
    }
    return _encode(head)[0][:-1]


def _assemble(head: str, part: dict[str, list[str]]) -> str:
    return head + "".join(f',"{name}":[{",".join(part[name])}]' for name in _LISTS) + "}"


class ResultsParts:
    """The results document as messages of at most ``max_bytes``: ``count`` parts, produced one at a time.

    Iterating yields (JSON text, MNS tag) per part. Only the part being built is held, so publishing a
    100,000-item result costs one 64 KB message of memory rather than the whole document twice; the price is
    serialising the entries twice (once to count the parts, since every part carries ``PartCount``, once to
    emit them). Greedy packing: each part takes entries until the next one would not fit.
    """

    def __init__(
        self,
        results: Results,
        *,
        request_id: str,
        source: str,
        dedupe_key: str,
        max_bytes: int = MAX_MESSAGE_BYTES,
    ) -> None:
        self._results = results
        self._ids = (request_id, source, dedupe_key)
        self.counts = results.counts()
        self.tag = TAG_FAILED if self.counts[OutcomeKind.FAILED.value] else TAG_OK
        widest_head = _head(*self._ids, _MAX_PART_NUMBER, _MAX_PART_NUMBER, self.counts)
        overhead = len(_assemble(widest_head, {name: [] for name in _LISTS}).encode("utf-8"))
        if overhead > max_bytes:
            raise ValueError(f"results document header alone is {overhead} bytes; limit {max_bytes}")
        self._max_bytes = max_bytes
        self._budget = max_bytes - overhead
        self._only: dict[str, list[str]] | None = None  # kept from counting when there is one part (≤ max_bytes)
        self.count = 0
        for part in self._pack():
            self.count += 1
            self._only = part if self.count == 1 else None
        if self.count > _MAX_PART_NUMBER:
            raise ValueError("results too big to number their parts")

    def __len__(self) -> int:
        return self.count

    def summary(self) -> str:
        """The document's head alone (ids, ``PartCount``, ``Counts``, no lists): what an invocation returns when
        the results are too big to be worth holding whole; the parts themselves are on the results topic."""
        head = _head(*self._ids, 1, self.count, self.counts)
        return head[: head.index(',"Part":')] + head[head.index(',"PartCount":') :] + "}"

    def __iter__(self) -> Iterator[tuple[str, str]]:
        if self._only is not None:  # the common case, one message: no second serialisation
            yield _assemble(_head(*self._ids, 1, 1, self.counts), self._only), self.tag
            return
        for number, part in enumerate(self._pack(), start=1):
            yield _assemble(_head(*self._ids, number, self.count, self.counts), part), self.tag

    def _pack(self) -> Iterator[dict[str, list[str]]]:
        budget = self._budget
        current: dict[str, list[str]] = {name: [] for name in _LISTS}
        used, part_has_entries = 0, False
        for name, text, size in _entries(self._results):
            pieces = [(text, size)]
            if size > budget and name == "CanceledUrls":
                pieces = _split_canceled_url(text, size, budget)
            for piece, piece_size in pieces:
                extra = piece_size + (1 if current[name] else 0)
                if used + extra > budget and part_has_entries:
                    yield current
                    current = {list_name: [] for list_name in _LISTS}
                    used, extra = 0, piece_size
                if used + extra > budget:
                    raise ValueError(
                        f"a {name} entry of {piece_size} bytes cannot fit in a {self._max_bytes}-byte message"
                    )
                current[name].append(piece)
                used += extra
                part_has_entries = True
        yield current


def results_documents(
    results: Results, *, request_id: str, source: str, dedupe_key: str, max_bytes: int = MAX_MESSAGE_BYTES
) -> list[tuple[str, str]]:
    """Every part of the results document at once, as (JSON text, MNS tag); see :class:`ResultsParts`."""
    return list(ResultsParts(results, request_id=request_id, source=source, dedupe_key=dedupe_key, max_bytes=max_bytes))


def rejection_document(error: CancelError, *, request_id: str, source: str, dedupe_key: str) -> tuple[str, str]:
    """The message published for a rejected OSS / MNS request: the error instead of outcomes."""
    document = {
        "Version": DOCUMENT_VERSION,
        "RequestId": request_id,
        "Source": source,
        "DedupeKey": dedupe_key,
        "Error": {"Code": error.code, "Message": error.message},
    }
    return _encode(document)[0], TAG_REJECTED
