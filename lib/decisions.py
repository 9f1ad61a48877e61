"""What VOD's answers mean for each item: the outcome decisions of one batch.

``CancelUrlUploadJobs`` only says which job IDs were cancelled and which items do not exist. An item in neither
list exists but was not cancelled (already started, or already cancelled), and which URL a cancelled job belongs to
is not said. One ``GetURLUploadInfos`` call per batch resolves both; it is skipped when the answer already says it
all. A job already cancelled counts as cancelled, so a redelivered request converges on the same answer.

Pure and stdlib-only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import unquote, unquote_plus

from lib.batches import Batch, encode_url
from lib.outcome import ItemOutcome
from lib.urls import url_key

__all__ = [
    "CANCELED_STATUSES",
    "MAX_LISTED_JOBS",
    "NOT_SENT",
    "JobInfo",
    "UrlMatcher",
    "decide_answer",
    "decide_infos",
    "decide_job_batch",
    "decide_jobs_from_infos",
    "decide_url_batch",
    "decide_urls_from_infos",
    "failed_outcomes",
    "listed",
    "never_sent",
]

CANCELED_STATUSES = frozenset({"CANCELED", "CANCELLED"})
"""Statuses meaning "already cancelled" (real enum unconfirmed: compared upper-cased, both spellings)."""
MAX_LISTED_JOBS = 20
"""How many job IDs a failure message lists before it says "and N more"."""


class UrlMatcher:
    """Finds which sent URL a URL in VOD's answer means. VOD may echo a URL encoded as sent or decoded, and holds a
    job under the spelling it was given, so an answer matches a sent URL as text first, then by its key (lib.urls)."""

    def __init__(self, urls: Iterable[str]) -> None:
        urls = list(urls)
        self._forms: dict[str, str] = {url: url for url in urls}
        for url in urls:
            self._forms.setdefault(encode_url(url), url)
        self._keys = {url_key(url): url for url in reversed(urls)}  # the first URL wins a shared key

    def match(self, returned: str) -> str | None:
        """The sent URL that ``returned`` stands for, or None."""
        forms = (returned, unquote(returned), unquote_plus(returned))
        for form in forms:
            url = self._forms.get(form)
            if url is not None:
                return url
        for form in forms:
            url = self._keys.get(url_key(form))
            if url is not None:
                return url
        return None


@dataclass(frozen=True)
class JobInfo:
    """The fields of one GetURLUploadInfos entry that decide an outcome."""

    job_id: str
    upload_url: str
    status: str
    creation_time: str = ""

    @property
    def is_canceled(self) -> bool:
        return self.status.strip().upper() in CANCELED_STATUSES


NOT_SENT = "not attempted: the invocation deadline was reached before this batch could be sent"
"""The message of a batch the deadline kept from VOD: nothing was asked, so a later invocation may simply send it."""


def never_sent(outcomes: Sequence[ItemOutcome]) -> bool:
    """Whether these are the outcomes of a batch that never reached VOD (every item FAILED ``NOT_SENT``)."""
    return bool(outcomes) and all(o.code == "DeadlineExceeded" and o.message == NOT_SENT for o in outcomes)


def failed_outcomes(batch: Batch, code: str, message: str, items: Sequence[str] | None = None) -> list[ItemOutcome]:
    """A FAILED outcome for each of ``items`` (default: the whole batch)."""
    return [
        ItemOutcome.failed(item, is_url=batch.is_url, code=code, message=message) for item in (items or batch.items)
    ]


def listed(job_ids: Sequence[str]) -> str:
    """Job IDs for a message: the first MAX_LISTED_JOBS, then how many more."""
    shown = ", ".join(job_ids[:MAX_LISTED_JOBS])
    more = len(job_ids) - MAX_LISTED_JOBS
    return shown + (f" and {more} more" if more > 0 else "")


def decide_job_batch(
    batch: Batch, canceled: Iterable[str], non_exists: Iterable[str]
) -> tuple[list[ItemOutcome], list[str]]:
    """Outcomes the cancel answer settles, and the job IDs it leaves open (they exist, not cancelled now)."""
    canceled_set, missing_set = set(canceled), set(non_exists)
    decided: list[ItemOutcome] = []
    unresolved: list[str] = []
    for job_id in batch.keys:
        if job_id in canceled_set:
            decided.append(ItemOutcome.canceled(job_id, is_url=False))
        elif job_id in missing_set:
            decided.append(ItemOutcome.not_found(job_id, is_url=False))
        else:
            unresolved.append(job_id)
    return decided, unresolved


def decide_jobs_from_infos(job_ids: Sequence[str], infos: Iterable[JobInfo]) -> list[ItemOutcome]:
    """Job IDs the cancel call did not settle: already cancelled → CANCELED, started → NOT_CANCELLABLE."""
    by_id = {info.job_id: info for info in infos}
    decided = []
    for job_id in job_ids:
        info = by_id.get(job_id)
        if info is None:
            decided.append(ItemOutcome.not_found(job_id, is_url=False))
        elif info.is_canceled:
            decided.append(ItemOutcome.canceled(job_id, is_url=False))
        else:
            decided.append(ItemOutcome.not_cancellable(job_id, is_url=False, job_id=job_id, status=info.status))
    return decided


def decide_url_batch(
    batch: Batch, canceled: Sequence[str], non_exists: Iterable[str]
) -> tuple[list[ItemOutcome], list[str]]:
    """Outcomes the cancel answer settles for a URL batch, and the URLs left to resolve (GetURLUploadInfos).

    NonExists URLs are NOT_FOUND. If exactly one URL is left and jobs were cancelled, they are all its jobs.
    """
    matcher = UrlMatcher(batch.keys)
    missing = {url for url in (matcher.match(entry) for entry in non_exists) if url is not None}
    item_of = batch.item_of()
    decided = [ItemOutcome.not_found(item_of[url], is_url=True) for url in batch.keys if url in missing]
    remaining = [url for url in batch.keys if url not in missing]
    if len(remaining) == 1 and canceled:
        decided.append(ItemOutcome.canceled(item_of[remaining[0]], is_url=True, job_ids=canceled))
        return decided, []
    return decided, remaining


def decide_urls_from_infos(
    batch: Batch, urls: Sequence[str], canceled: Sequence[str], infos: Iterable[JobInfo]
) -> tuple[list[ItemOutcome], list[str]]:
    """Outcomes for URLs resolved through their jobs; also returns cancelled job IDs no URL claimed.

    A URL whose jobs we just cancelled → CANCELED with those job IDs; else one with an already cancelled job →
    CANCELED (a redelivered request converges); else NOT_CANCELLABLE with its latest job; unknown → NOT_FOUND.
    """
    matcher = UrlMatcher(urls)
    jobs_of: dict[str, list[JobInfo]] = {url: [] for url in urls}
    for info in infos:
        url = matcher.match(info.upload_url)
        if url is not None:
            jobs_of[url].append(info)
    item_of = batch.item_of()
    canceled_set = set(canceled)
    claimed: set[str] = set()
    decided = []
    for url in urls:
        jobs = jobs_of[url]
        ours = [job.job_id for job in jobs if job.job_id in canceled_set]
        earlier = [job.job_id for job in jobs if job.is_canceled]
        if ours:
            claimed.update(ours)
            decided.append(ItemOutcome.canceled(item_of[url], is_url=True, job_ids=ours))
        elif earlier:
            decided.append(ItemOutcome.canceled(item_of[url], is_url=True, job_ids=earlier))
        elif jobs:
            latest = max(enumerate(jobs), key=lambda pair: (pair[1].creation_time, pair[0]))[1]
            decided.append(
                ItemOutcome.not_cancellable(item_of[url], is_url=True, job_id=latest.job_id, status=latest.status)
            )
        else:
            decided.append(ItemOutcome.not_found(item_of[url], is_url=True))
    unclaimed = [job_id for job_id in canceled if job_id not in claimed]
    return decided, unclaimed


def decide_answer(
    batch: Batch, canceled: Sequence[str], non_exists: Iterable[str]
) -> tuple[list[ItemOutcome], list[str]]:
    """What the CancelUrlUploadJobs answer settles for ``batch``, and the keys it leaves to GetURLUploadInfos."""
    if batch.is_url:
        return decide_url_batch(batch, canceled, non_exists)
    return decide_job_batch(batch, canceled, non_exists)


def decide_infos(
    batch: Batch, keys: Sequence[str], canceled: Sequence[str], infos: Iterable[JobInfo]
) -> tuple[list[ItemOutcome], list[str]]:
    """Outcomes of the keys the cancel answer left open, and the cancelled job IDs no URL claimed."""
    if batch.is_url:
        return decide_urls_from_infos(batch, keys, canceled, infos)
    return decide_jobs_from_infos(keys, infos), []
