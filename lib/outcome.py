"""The outcome of each requested item, and the store that holds exactly one per item.

Every requested item gets exactly one outcome, so the sender can account for all of them; a second outcome for
the same item is a bug, not data. lib.documents turns them into the results messages. Pure and stdlib-only.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from lib.limits import MAX_FAILURE_CODE_CHARS, MAX_FAILURE_MESSAGE_CHARS
from lib.request import CancelRequest, RequestedItem

__all__ = ["DuplicateOutcomeError", "ItemOutcome", "OutcomeKind", "Results"]


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
    :class:`ItemOutcome` objects are rebuilt when read, so a cancelled item costs a dict slot and no object.
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
