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


@dataclass(frozen=True)
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


class Results:
    """Exactly one outcome per requested item, in the order they were settled."""

    def __init__(self, outcomes: Iterable[ItemOutcome] = ()) -> None:
        self._outcomes: dict[tuple[bool, str], ItemOutcome] = {}
        self.extend(outcomes)

    def add(self, outcome: ItemOutcome) -> None:
        key = (outcome.is_url, outcome.item)
        if key in self._outcomes:
            raise DuplicateOutcomeError(
                f"item {outcome.item[:200]!r} already has outcome {self._outcomes[key].kind.name}; "
                f"cannot add {outcome.kind.name}"
            )
        self._outcomes[key] = outcome

    def extend(self, outcomes: Iterable[ItemOutcome]) -> None:
        for outcome in outcomes:
            self.add(outcome)

    def get(self, item: str, *, is_url: bool) -> ItemOutcome | None:
        return self._outcomes.get((is_url, item))

    def __contains__(self, item: object) -> bool:
        return isinstance(item, RequestedItem) and (item.is_url, item.text) in self._outcomes

    def __iter__(self) -> Iterator[ItemOutcome]:
        return iter(self._outcomes.values())

    def __len__(self) -> int:
        return len(self._outcomes)

    def missing(self, request: CancelRequest) -> list[RequestedItem]:
        """Requested items that have no outcome yet (e.g. when the deadline comes)."""
        return [item for item in request.items() if (item.is_url, item.text) not in self._outcomes]

    def fail_missing(self, request: CancelRequest, *, code: str, message: str) -> int:
        """Give every item still without an outcome a FAILED one; returns how many."""
        missing = self.missing(request)
        for item in missing:
            self.add(ItemOutcome.failed(item.text, is_url=item.is_url, code=code, message=message))
        return len(missing)

    def counts(self) -> dict[str, int]:
        """The document's ``Counts``: items per outcome kind."""
        counts = {"Requested": len(self._outcomes)} | {kind.value: 0 for kind in OutcomeKind}
        for outcome in self._outcomes.values():
            counts[outcome.kind.value] += 1
        return counts

    @property
    def has_failures(self) -> bool:
        return any(outcome.kind is OutcomeKind.FAILED for outcome in self._outcomes.values())


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


def _entries(results: Results) -> dict[str, list[tuple[str, int]]]:
    """Every list entry of the document, serialised once, in the order of the outcomes."""
    lists: dict[str, list[tuple[str, int]]] = {name: [] for name in _LISTS}
    seen_jobs: set[str] = set()
    for outcome in results:
        kind = outcome.kind
        if kind is OutcomeKind.CANCELED:
            for job_id in outcome.job_ids:
                if job_id not in seen_jobs:
                    seen_jobs.add(job_id)
                    lists["CanceledJobs"].append(_encode(job_id))
            if outcome.is_url:
                lists["CanceledUrls"].append(_encode({"UploadUrl": outcome.item, "JobIds": list(outcome.job_ids)}))
        elif kind is OutcomeKind.NOT_FOUND:
            lists["NonExists"].append(_encode(outcome.item))
        elif kind is OutcomeKind.NOT_CANCELLABLE:
            entry = {"Item": outcome.item, "JobId": outcome.job_id, "Status": outcome.status}
            lists["NotCancellable"].append(_encode(entry))
        else:
            lists["Failed"].append(_encode({"Item": outcome.item, "Code": outcome.code, "Message": outcome.message}))
    return lists


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


def results_documents(
    results: Results, *, request_id: str, source: str, dedupe_key: str, max_bytes: int = MAX_MESSAGE_BYTES
) -> list[tuple[str, str]]:
    """The results document as (JSON text, MNS tag) per message, split into parts of at most ``max_bytes``.

    Greedy packing in one pass: each entry is serialised once and its UTF-8 size summed, so 100,000 outcomes
    cost about as much as serialising them once.
    """
    counts = results.counts()
    tag = TAG_FAILED if counts[OutcomeKind.FAILED.value] else TAG_OK
    widest_head = _head(request_id, source, dedupe_key, _MAX_PART_NUMBER, _MAX_PART_NUMBER, counts)
    empty = {name: [] for name in _LISTS}
    overhead = len(_assemble(widest_head, empty).encode("utf-8"))
    if overhead > max_bytes:
        raise ValueError(f"results document header alone is {overhead} bytes; limit {max_bytes}")
    budget = max_bytes - overhead

    parts: list[dict[str, list[str]]] = []
    current: dict[str, list[str]] = {name: [] for name in _LISTS}
    used, part_has_entries = 0, False
    for name, entries in _entries(results).items():
        for text, size in entries:
            pieces = [(text, size)]
            if size > budget and name == "CanceledUrls":
                pieces = _split_canceled_url(text, size, budget)
            for piece, piece_size in pieces:
                extra = piece_size + (1 if current[name] else 0)
                if used + extra > budget and part_has_entries:
                    parts.append(current)
                    current = {list_name: [] for list_name in _LISTS}
                    used, extra = 0, piece_size
                if used + extra > budget:
                    raise ValueError(f"a {name} entry of {piece_size} bytes cannot fit in a {max_bytes}-byte message")
                current[name].append(piece)
                used += extra
                part_has_entries = True
    parts.append(current)
    if len(parts) > _MAX_PART_NUMBER:
        raise ValueError("results too big to number their parts")

    count = len(parts)
    return [
        (_assemble(_head(request_id, source, dedupe_key, number, count, counts), part), tag)
        for number, part in enumerate(parts, start=1)
    ]


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
