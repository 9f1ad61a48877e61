"""From batches to published parts: what every request shares between the canceller and the results topic.

Batches finish in any order; :class:`InOrder` hands their outcomes on in the order the batches were made, so what
has been reported is always a prefix of the request (which is what lets a manifest request resume from a position).
:func:`cancel_in_memory` is the whole path for a request held in memory (HTTP, MNS: at most ``MAX_REQUEST_ITEMS``):
outcomes into a :class:`lib.documents.PartWriter`, each part published as soon as it is full, the final part at the
end. Manifest requests use the same pieces with checkpoints around them (lib.job).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from lib.batches import Batch, iter_batches
from lib.decisions import failed_outcomes
from lib.documents import DocumentIds, PartWriter
from lib.outcome import ItemOutcome, Results
from lib.progress import Progress
from lib.request import CancelRequest

__all__ = ["Drainer", "Engine", "InOrder", "Report", "SafePublisher", "cancel_in_memory"]

Documents = list[tuple[str, str]]


class Engine(Protocol):
    """What turns batches into outcomes: lib.vod.Canceller, or a :class:`Drainer`."""

    def stream(self, batches: Iterable[Batch], deadline: float) -> Iterator[tuple[Batch, list[ItemOutcome]]]: ...


class Drainer:
    """Reports every item of every batch FAILED with one code, without calling VOD: what is left of a request
    that cannot go on (see lib.job)."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message

    def stream(self, batches: Iterable[Batch], deadline: float) -> Iterator[tuple[Batch, list[ItemOutcome]]]:
        for batch in batches:
            yield batch, failed_outcomes(batch, self.code, self.message)


class InOrder:
    """Outcomes of batches as they finish, handed on in batch order (batches are numbered from ``after + 1``)."""

    def __init__(self, after: int = 0) -> None:
        self.released = after
        self._held: dict[int, list[ItemOutcome]] = {}

    def add(self, batch: Batch, outcomes: list[ItemOutcome]) -> Iterator[list[ItemOutcome]]:
        """The outcomes that may now be reported, a batch at a time: this batch's and any held ones it was waiting
        for. While a batch's outcomes are handed on, ``released`` is that batch's number."""
        self._held[batch.seq] = outcomes
        while self.released + 1 in self._held:
            self.released += 1
            yield self._held.pop(self.released)

    @property
    def held(self) -> int:
        return len(self._held)


@dataclass
class Report:
    """What a request's run did, for the summary log line and the invocation's answer."""

    counts: dict[str, int]
    parts: int
    final: bool
    published: bool = True
    vod: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class SafePublisher:
    """Publishes documents in order until one fails; then publishes nothing more and keeps the error (an HTTP
    request still gets its reply; an event raises at the end, see lib.envelopes)."""

    def __init__(self, publish: Callable[[Documents], None]) -> None:
        self._publish = publish
        self.error: Exception | None = None

    def send(self, documents: Documents) -> None:
        if not documents or self.error is not None:
            return
        try:
            self._publish(documents)
        except Exception as error:  # NotifyError or an SDK surprise: the caller decides what it means
            self.error = error


def cancel_in_memory(
    request: CancelRequest,
    engine: Engine,
    publisher: SafePublisher,
    *,
    ids: DocumentIds,
    deadline: float,
    max_bytes: int,
    results: Results,
    progress_interval_s: float,
) -> Report:
    """Cancel every item of ``request``; publish the parts as they fill and the final one at the end."""
    writer = PartWriter(ids, max_bytes=max_bytes)
    order = InOrder()
    progress = Progress(interval_s=progress_interval_s, total=request.item_count)
    for batch, outcomes in engine.stream(iter_batches(request), deadline):
        for released in order.add(batch, outcomes):
            for outcome in released:
                writer.add(outcome)
                results.add(outcome)
        publisher.send(writer.take())
        progress.update(writer.counts["Requested"])
    publisher.send([writer.finish()])
    return Report(dict(writer.counts), writer.next_part - 1, final=True, published=publisher.error is None)
