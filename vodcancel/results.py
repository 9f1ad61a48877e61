"""Assembling results documents into one answer per request (pure: no I/O).

Every request ends in one or more JSON documents on the results topic, all with the same ``DedupeKey``; parts are
published as the request goes (a manifest's across several invocations, all under its first ``RequestId``), and a
redelivered HTTP or MNS request may publish the whole set again under another ``RequestId``. A set is complete
when parts 1..N are in and part N says ``Final: true`` (it also carries ``PartCount`` N and the totals; every part
carries the running ``Counts``). A copy of a part already in is dropped. A document with ``Error`` and no ``Part``
is a rejected request: complete at once; a final part with ``Error`` says the rest of the manifest could not be read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

OUTCOMES = ("Canceled", "NonExists", "NotCancellable", "Failed")


@dataclass(frozen=True)
class ItemResult:
    """One requested item and its outcome, as the results documents report it."""

    item: str
    outcome: str
    job_ids: tuple[str, ...] = ()
    status: str = ""
    code: str = ""
    message: str = ""


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def items_of(parts: Iterable[dict[str, Any]]) -> list[ItemResult]:
    """Every item in ``parts``: URLs cancelled (their entries merged when a long one was split), job IDs
    cancelled (``CanceledJobs`` less the URLs' jobs), then not found, not cancellable and failed items."""
    parts = list(parts)
    url_jobs: dict[str, list[str]] = {}
    for part in parts:
        for entry in part.get("CanceledUrls") or []:
            url_jobs.setdefault(str(entry.get("UploadUrl")), []).extend(map(str, entry.get("JobIds") or []))
    jobs_of_urls = {job for jobs in url_jobs.values() for job in jobs}
    items = [ItemResult(url, "Canceled", tuple(jobs)) for url, jobs in url_jobs.items()]
    seen: set[str] = set()
    for part in parts:
        for job_id in map(str, part.get("CanceledJobs") or []):
            if job_id not in jobs_of_urls and job_id not in seen:
                seen.add(job_id)
                items.append(ItemResult(job_id, "Canceled", (job_id,)))
    for part in parts:
        items.extend(ItemResult(str(item), "NonExists") for item in part.get("NonExists") or [])
    for part in parts:
        for entry in part.get("NotCancellable") or []:
            job = str(entry.get("JobId") or "")
            items.append(
                ItemResult(str(entry.get("Item")), "NotCancellable", (job,) if job else (), str(entry.get("Status")))
            )
    for part in parts:
        for entry in part.get("Failed") or []:
            items.append(
                ItemResult(
                    str(entry.get("Item")), "Failed", code=str(entry.get("Code")), message=str(entry.get("Message"))
                )
            )
    return items


class RequestRun:
    """The parts one invocation (``RequestId``) published for a request."""

    def __init__(self) -> None:
        self.parts: dict[int, dict[str, Any]] = {}

    def add(self, document: dict[str, Any]) -> bool:
        """Keep the part; False when it was already in (an at-least-once redelivery)."""
        number = _int(document.get("Part")) or 1
        if number in self.parts:
            return False
        self.parts[number] = document
        return True

    @property
    def last_part(self) -> int | None:
        """N when part N says ``Final: true``, else ``PartCount`` when a part tells it."""
        for number, part in self.parts.items():
            if part.get("Final") is True:
                return number
        return next((count for part in self.parts.values() if (count := _int(part.get("PartCount")))), None)

    @property
    def contiguous(self) -> int:
        """The highest N with parts 1..N all in."""
        number = 0
        while number + 1 in self.parts:
            number += 1
        return number

    @property
    def complete(self) -> bool:
        last = self.last_part
        return last is not None and all(number in self.parts for number in range(1, last + 1))

    def ordered(self) -> list[dict[str, Any]]:
        return [self.parts[number] for number in sorted(self.parts)]


class RequestResults:
    """Everything received for one ``DedupeKey``: its runs, or the rejection."""

    def __init__(self, dedupe_key: str) -> None:
        self.dedupe_key = dedupe_key
        self.runs: dict[str, RequestRun] = {}
        self.rejection: dict[str, Any] | None = None

    def add(self, document: dict[str, Any]) -> bool:
        """Take one results document of this request; False when nothing new was learnt."""
        if isinstance(document.get("Error"), dict) and "Part" not in document:
            if self.rejection is not None:
                return False
            self.rejection = document
            return True
        run = self.runs.setdefault(str(document.get("RequestId", "")), RequestRun())
        return run.add(document)

    @property
    def complete(self) -> bool:
        return self.rejection is not None or any(run.complete for run in self.runs.values())

    def best_run(self) -> RequestRun | None:
        """The first complete run, else the one with the most parts."""
        runs = list(self.runs.values())
        complete = [run for run in runs if run.complete]
        return (complete or sorted(runs, key=lambda run: len(run.parts), reverse=True) or [None])[0]

    @property
    def head(self) -> dict[str, Any]:
        """The request's fixed fields, from its final part when there is one (it carries the totals)."""
        if self.rejection is not None:
            return self.rejection
        run = self.best_run()
        if run is None:
            return {"DedupeKey": self.dedupe_key}
        last = run.last_part
        return run.parts.get(last) if last in run.parts else run.ordered()[-1]  # type: ignore[index,return-value]

    @property
    def counts(self) -> dict[str, int]:
        counts = self.head.get("Counts")
        return dict(counts) if isinstance(counts, dict) else {}

    @property
    def total(self) -> int | None:
        """Items requested, once the final part tells it (the others carry running counts)."""
        run = self.best_run()
        if self.rejection is not None or run is None or run.last_part not in run.parts:
            return None
        return _int(self.counts.get("Requested"))

    def items(self) -> list[ItemResult]:
        run = self.best_run()
        return items_of(run.ordered()) if run is not None else []

    @property
    def done(self) -> int:
        """Items whose outcome has arrived: the running count of the last part with none missing before it."""
        run = self.best_run()
        if run is None or not run.contiguous:
            return 0
        counts = run.parts[run.contiguous].get("Counts")
        return _int(counts.get("Requested") if isinstance(counts, dict) else None) or 0


class Assembler:
    """Collects the documents of the request it follows: one ``DedupeKey`` or ``RequestId``, or (``key=None``)
    the first request whose document arrives."""

    def __init__(self, key: str | None = None) -> None:
        self.key = key
        self.request: RequestResults | None = None

    def matches(self, document: dict[str, Any]) -> bool:
        if self.request is not None:
            return document.get("DedupeKey") == self.request.dedupe_key
        return self.key is None or self.key in (document.get("DedupeKey"), document.get("RequestId"))

    def add(self, document: dict[str, Any]) -> bool:
        """Take a document if it belongs to the followed request; True when it did."""
        if not isinstance(document, dict) or not self.matches(document):
            return False
        if self.request is None:
            self.request = RequestResults(str(document.get("DedupeKey", "")))
        self.request.add(document)
        return True

    @property
    def complete(self) -> bool:
        return self.request is not None and self.request.complete
