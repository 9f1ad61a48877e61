"""The VOD layer: turn a CancelRequest into exactly one outcome per item with CancelUrlUploadJobs.

How it talks to VOD, and why:

- Job IDs and upload URLs go in SEPARATE calls of at most 10 items: when both are sent, VOD drops the URLs.
- Each URL is encoded with ``urllib.parse.quote`` and the encoded URLs are comma-joined (as Alibaba's own
  samples do; the SDK then encodes the whole value once more on the wire, and the server decodes that layer).
  A comma inside a URL is therefore ``%2C`` and cannot split the list.
- The answer only says which job IDs were cancelled and which items do not exist. An item in neither list
  exists but was not cancelled (already started, or already cancelled), and which URL a cancelled job belongs
  to is not said. One GetURLUploadInfos call per batch resolves both; it is skipped when the answer already
  says it all.
- Batches run concurrently in a bounded pool, paced by the instance-wide per-API limiters, retried until the
  invocation deadline (lib.retry). Batches are generated lazily, so a 100,000-URL manifest never exists as
  10,000 prepared batches at once.
- The SDK (~470 ms of imports) is imported only when a call is really made, never at module import.
- Only the calling thread records outcomes into ``Results`` (workers return them), so Results needs no lock.
- Every item ends with exactly one outcome: a gap left by a bug is filled as FAILED ``InternalError``.

Times are ``time.monotonic()`` seconds.
"""

from __future__ import annotations

import itertools
import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote, unquote, unquote_plus

from lib.outcome import DuplicateOutcomeError, ItemOutcome, Results
from lib.ratelimit import WindowLimiter, get_limiter
from lib.request import CancelRequest
from lib.retry import CallFailed, CallStats, RetryPolicy, call_with_retry, scrub

CANCEL_API = "CancelUrlUploadJobs"
INFO_API = "GetURLUploadInfos"
MAX_BATCH_ITEMS = 10
"""VOD's limit for both JobIds and UploadUrls, per call."""
CANCELED_STATUSES = frozenset({"CANCELED", "CANCELLED"})
"""Statuses meaning "already cancelled" (real enum unconfirmed: compared upper-cased, both spellings)."""
MAX_QUERY_CHARS = 6000
"""Most characters one URL batch may take in the request line. [INFERRED] HTTP front ends commonly refuse request
lines over 8 KB (HTTP 414); VOD's real limit is undocumented. Typical URLs fit ten to a batch many times over."""
_WIRE_COMMA = "%2C"
MAX_LISTED_JOBS = 20
"""How many job IDs a failure message lists before it says "and N more"."""
IN_FLIGHT_HEADROOM = 1.5
"""Batches in flight = cancel quota (batches/s) × seconds a batch spends in VOD calls × this, + 1 (Little's law)."""
INITIAL_IN_FLIGHT = 8
"""Batches in flight before the first one has been timed."""


# -- settings --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VodOptions:
    """Tuning knobs; :func:`canceller_from_settings` fills them from ``lib.config.Settings`` (env vars).

    ``max_workers`` caps the batches in flight; within it the canceller keeps quota × measured batch time × 1.5
    in flight (:meth:`Canceller.in_flight_target`): 50 calls/s × ~0.2 s (cancel + lookup at 100 ms each) needs
    ~16, a raised quota on a fast network far fewer. ``safety_margin_s`` is kept free before the deadline for
    publishing the results.
    """

    max_workers: int = 16
    safety_margin_s: float = 1.5
    connect_timeout_ms: int = 5000
    read_timeout_ms: int = 10000
    retry: RetryPolicy = field(default_factory=RetryPolicy)


def build_vod_client(
    endpoint: str,
    credentials: Any,
    region: str,
    *,
    connect_timeout_ms: int = 5000,
    read_timeout_ms: int = 10000,
) -> Any:
    """The official VOD SDK client for ``endpoint`` (``host[:port]``, optionally with an http/https scheme).

    ``credentials`` has ``access_key_id``, ``access_key_secret`` and optionally ``security_token`` (STS).
    The scheme picks the protocol (plain ``http://`` for the local cloud) and is stripped from the host,
    because the SDK would otherwise sign a literal ``host: http://…`` header. SDK retries stay off: lib.retry
    owns them.
    """
    from alibabacloud_tea_openapi.models import Config
    from alibabacloud_vod20170321.client import Client

    host, protocol = endpoint.strip(), "https"
    lower = host.lower()
    if lower.startswith("http://"):
        host, protocol = host[len("http://") :], "http"
    elif lower.startswith("https://"):
        host = host[len("https://") :]
    host = host.rstrip("/")
    config = Config(
        access_key_id=credentials.access_key_id,
        access_key_secret=credentials.access_key_secret,
        security_token=getattr(credentials, "security_token", None) or None,
        endpoint=host,
        protocol=protocol,
        region_id=region,
        connect_timeout=int(connect_timeout_ms),
        read_timeout=int(read_timeout_ms),
    )
    return Client(config)


def canceller_from_settings(settings: Any, credentials: Any) -> Canceller:
    """A Canceller wired from ``lib.config.Settings`` (endpoint, region, QPS quotas, concurrency, timeouts)."""
    options = VodOptions(
        max_workers=settings.vod_concurrency,
        safety_margin_s=settings.deadline_margin_s,
        connect_timeout_ms=settings.connect_timeout_ms,
        read_timeout_ms=settings.read_timeout_ms,
    )

    def client_factory() -> Any:
        return build_vod_client(
            settings.vod_endpoint,
            credentials,
            settings.region,
            connect_timeout_ms=settings.connect_timeout_ms,
            read_timeout_ms=settings.read_timeout_ms,
        )

    return Canceller(
        client_factory,
        cancel_limiter=get_limiter(CANCEL_API, settings.cancel_qps),
        info_limiter=get_limiter(INFO_API, settings.info_qps),
        options=options,
    )


# -- batching and encoding (pure) ------------------------------------------------------------------------


def encode_url(url: str) -> str:
    """One URL as VOD's UploadUrls/UploadURLs lists want it: ``quote(url)``, so ``,`` → ``%2C``."""
    return quote(url)


@dataclass(frozen=True)
class Batch:
    """≤10 items of one kind. ``items`` are what outcomes are reported for: job IDs, or the URLs as given."""

    kind: Literal["job_ids", "urls"]
    items: tuple[str, ...]
    keys: tuple[str, ...]  # what is sent: the job IDs, or the decoded URLs (same order as items)

    def param(self) -> str:
        """The comma-joined JobIds / UploadUrls value."""
        if self.kind == "job_ids":
            return ",".join(self.keys)
        return ",".join(encode_url(key) for key in self.keys)


def wire_length(url: str) -> int:
    """Characters ``url`` takes in the request line: quoted by us, then form-encoded again by the SDK.

    ``quote`` leaves only ``A-Za-z0-9_.-~/%``; the SDK's form encoding then turns each ``%`` and ``/`` into three
    characters. Counting is cheaper than encoding twice, which matters for 100,000-URL manifests.
    """
    quoted = encode_url(url)
    return len(quoted) + 2 * (quoted.count("%") + quoted.count("/"))


def _chunks(
    pairs: Iterable[tuple[str, str]], size: int, cost: Callable[[str], int] | None = None, budget: int = 0
) -> Iterator[list[tuple[str, str]]]:
    """Lists of ≤``size`` pairs whose keys' ``cost`` sums to ≤``budget`` (a lone oversized pair goes alone)."""
    chunk: list[tuple[str, str]] = []
    used = 0
    for pair in pairs:
        weight = cost(pair[1]) + len(_WIRE_COMMA) if cost is not None else 0
        if chunk and (len(chunk) == size or (cost is not None and used + weight > budget)):
            yield chunk
            chunk, used = [], 0
        chunk.append(pair)
        used += weight
    if chunk:
        yield chunk


def iter_batches(
    request: CancelRequest, size: int = MAX_BATCH_ITEMS, max_query_chars: int = MAX_QUERY_CHARS
) -> Iterator[Batch]:
    """Batches of ≤``size`` job IDs, then of ≤``size`` URLs; lazy, so memory stays flat for any size.

    A URL batch also stays under ``max_query_chars`` on the wire, so ten long (say, presigned) URLs do not
    make a request line that a gateway rejects.
    """
    if not 1 <= size <= MAX_BATCH_ITEMS:
        raise ValueError(f"batch size must be 1..{MAX_BATCH_ITEMS}, got {size}")
    for chunk in _chunks(((job_id, job_id) for job_id in request.job_ids), size):
        yield Batch("job_ids", tuple(item for item, _ in chunk), tuple(key for _, key in chunk))
    url_pairs = ((u.original, u.url) for u in request.upload_urls)
    for chunk in _chunks(url_pairs, size, wire_length, max_query_chars):
        yield Batch("urls", tuple(item for item, _ in chunk), tuple(key for _, key in chunk))


class UrlMatcher:
    """Finds which sent URL a returned URL string means: VOD may echo it encoded as sent, or decoded."""

    def __init__(self, urls: Iterable[str]) -> None:
        urls = list(urls)
        self._forms: dict[str, str] = {url: url for url in urls}
        for url in urls:
            self._forms.setdefault(encode_url(url), url)

    def match(self, returned: str) -> str | None:
        """The sent (decoded) URL that ``returned`` stands for, or None."""
        for form in (returned, unquote(returned), unquote_plus(returned)):
            url = self._forms.get(form)
            if url is not None:
                return url
        return None


# -- outcomes (pure) -------------------------------------------------------------------------------------


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


def _failed(batch: Batch, code: str, message: str, items: Sequence[str] | None = None) -> list[ItemOutcome]:
    is_url = batch.kind == "urls"
    return [ItemOutcome.failed(item, is_url=is_url, code=code, message=message) for item in (items or batch.items)]


def _listed(job_ids: Sequence[str]) -> str:
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
    item_of = dict(zip(batch.keys, batch.items, strict=True))
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
    item_of = dict(zip(batch.keys, batch.items, strict=True))
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


# -- stats -----------------------------------------------------------------------------------------------


@dataclass
class VodStats:
    """What one ``Canceller.cancel`` did, for the invocation's summary log line."""

    calls: CallStats = field(default_factory=CallStats)
    batches: int = 0
    elapsed_s: float = 0.0
    unclaimed_canceled_jobs: list[str] = field(default_factory=list)
    duplicate_outcomes: int = 0
    gaps_filled: int = 0

    def as_dict(self) -> dict[str, object]:
        out = self.calls.as_dict()
        out.update(batches=self.batches, elapsed_ms=round(self.elapsed_s * 1000, 1))
        if self.duplicate_outcomes or self.gaps_filled:
            out.update(duplicate_outcomes=self.duplicate_outcomes, gaps_filled=self.gaps_filled)
        if self.unclaimed_canceled_jobs:
            out["unclaimed_canceled_jobs"] = list(self.unclaimed_canceled_jobs[:MAX_LISTED_JOBS])
        return out


# -- the canceller ---------------------------------------------------------------------------------------


def _as_str_list(value: Any) -> list[str]:
    """A response list field, tolerating what the SDK lets through untyped (None, a bare string)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    return [str(entry) for entry in value if entry is not None]


class Canceller:
    """Cancels a request's items through VOD with bounded concurrency, pacing and deadline-bound retries.

    Build one per invocation (it is cheap; its ``stats`` are that invocation's), so the client factory can
    capture the invocation's credentials: FC rotates STS tokens. ``client_factory()`` builds an SDK client (see
    :func:`build_vod_client`); each worker thread builds its own once. ``cancel_limiter``/``info_limiter``
    default to the instance-wide ones in :mod:`lib.ratelimit`, which must stay shared: the quota is per account.
    """

    def __init__(
        self,
        client_factory: Callable[[], Any],
        *,
        cancel_limiter: WindowLimiter | None = None,
        info_limiter: WindowLimiter | None = None,
        options: VodOptions | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client_factory = client_factory
        self._cancel_limiter = cancel_limiter or get_limiter(CANCEL_API)
        self._info_limiter = info_limiter or get_limiter(INFO_API)
        self.options = options or VodOptions()
        self._clock = clock
        self._local = threading.local()
        self._batch_s: float | None = None  # moving average of the VOD call time per batch
        self.stats = VodStats()

    # -- public -------------------------------------------------------------------------------------------
    def cancel(self, request: CancelRequest, results: Results, deadline: float) -> VodStats:
        """Record one outcome per item of ``request`` into ``results`` by ``deadline`` minus the margin.

        ``deadline`` is the ``time.monotonic()`` at which the invocation ends, e.g. ``time.monotonic() +
        context.get_remaining_time_in_millis() / 1000``. Items not settled by then are FAILED
        ``DeadlineExceeded``; no item is ever left without an outcome.
        """
        started = self._clock()
        cutoff = deadline - self.options.safety_margin_s
        batches = iter_batches(request)
        head = list(itertools.islice(batches, 2))
        if len(head) == 1:  # one batch (the common single-event case): no pool, no thread start, no hand-off
            try:
                self.stats.batches += 1
                if self._clock() >= cutoff - self.options.retry.min_attempt_s:
                    self._record(results, _failed(head[0], "DeadlineExceeded", _NOT_ATTEMPTED))
                else:
                    self._record(results, self._run_batch(head[0], cutoff))
            finally:
                self.stats.elapsed_s += self._clock() - started
            self._fill_gaps(request, results)
            return self.stats
        workers = max(1, self.options.max_workers)
        in_flight: dict[Future[list[ItemOutcome]], Batch] = {}
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="vod")
        try:
            for batch in itertools.chain(head, batches):
                self.stats.batches += 1
                if self._clock() >= cutoff - self.options.retry.min_attempt_s:
                    self._record(results, _failed(batch, "DeadlineExceeded", _NOT_ATTEMPTED))
                    continue
                while len(in_flight) >= self._submit_limit(workers):
                    if not self._collect(in_flight, results, cutoff):
                        break
                if len(in_flight) >= self._submit_limit(workers):  # nothing finished by the cutoff: stop sending
                    self._record(results, _failed(batch, "DeadlineExceeded", _NOT_ATTEMPTED))
                    continue
                in_flight[pool.submit(self._run_batch, batch, cutoff)] = batch
            while in_flight and self._collect(in_flight, results, cutoff):
                pass
            for batch in in_flight.values():
                self._record(results, _failed(batch, "DeadlineExceeded", _NO_ANSWER))
            in_flight.clear()
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
            self.stats.elapsed_s += self._clock() - started
        self._fill_gaps(request, results)
        return self.stats

    # -- orchestration ------------------------------------------------------------------------------------
    def in_flight_target(self) -> int:
        """How many batches to keep in flight: enough to use the cancel quota at the latency seen so far.

        Every batch takes one CancelUrlUploadJobs call, so the quota is a rate of batches; times the time a batch
        spends in VOD calls (limiter waits excluded) that is how many must overlap (Little's law), with headroom.
        More would only wait for the limiter while holding a thread and its in-flight objects: each concurrent
        SDK call keeps ~0.5 MB of transient objects alive (measured: 16 vs 4 in flight, +8 MB peak RSS).
        """
        workers = max(1, self.options.max_workers)
        if self._batch_s is None:
            return min(workers, INITIAL_IN_FLIGHT)
        needed = math.ceil(self._cancel_limiter.rate * self._batch_s * IN_FLIGHT_HEADROOM) + 1
        return max(2, min(workers, needed))

    def _submit_limit(self, workers: int) -> int:
        """Batches submitted at once: the target plus one queued (no idle gap while the caller hands out the next);
        when every worker is needed, a full second round queued, so no worker ever waits for the caller."""
        target = self.in_flight_target()
        return 2 * workers if target >= workers else target + 1

    def _observe_batch(self, seconds: float) -> None:
        previous = self._batch_s
        self._batch_s = seconds if previous is None else 0.8 * previous + 0.2 * seconds

    def _collect(self, in_flight: dict[Future[list[ItemOutcome]], Batch], results: Results, cutoff: float) -> bool:
        """Record whatever finishes next; False if nothing finished before the cutoff (plus a short grace)."""
        grace = self.options.safety_margin_s / 4
        timeout = max(0.0, cutoff + grace - self._clock())
        done, _ = wait(list(in_flight), timeout=timeout, return_when=FIRST_COMPLETED)
        if not done:
            return False
        for future in done:
            batch = in_flight.pop(future)
            try:
                decisions = future.result()
            except Exception as exc:  # _run_batch already guards; belt and braces
                decisions = _failed(batch, "InternalError", scrub(f"{type(exc).__name__}: {exc}"))
            self._record(results, decisions)
        return True

    def _run_batch(self, batch: Batch, cutoff: float) -> list[ItemOutcome]:
        """One batch's outcomes; never raises (a bug must not lose items)."""
        self._local.sdk_s = 0.0
        try:
            if batch.kind == "job_ids":
                return self._cancel_job_ids(batch, cutoff)
            return self._cancel_urls(batch, cutoff)
        except Exception as exc:  # reported per item, never dropped
            return _failed(batch, "InternalError", scrub(f"{type(exc).__name__}: {exc}"))
        finally:
            self._observe_batch(self._local.sdk_s)

    def _timed_sdk_call(self, call: Callable[[], Any]) -> Any:
        """Run one SDK call, adding its duration to this batch's VOD time (see :meth:`in_flight_target`)."""
        started = self._clock()
        try:
            return call()
        finally:
            self._local.sdk_s = getattr(self._local, "sdk_s", 0.0) + self._clock() - started

    def _cancel_job_ids(self, batch: Batch, cutoff: float) -> list[ItemOutcome]:
        try:
            canceled, non_exists = self._call_cancel(cutoff, job_ids=batch.param())
        except CallFailed as failure:
            return _failed(batch, failure.code, failure.message)
        decided, unresolved = decide_job_batch(batch, canceled, non_exists)
        if not unresolved:
            return decided
        try:
            infos = self._call_infos(cutoff, job_ids=",".join(unresolved))
        except CallFailed as failure:
            message = (
                f"{CANCEL_API} did not report these jobs as cancelled and their status could not be read: "
                f"{failure.message}"
            )
            return decided + _failed(batch, f"ResolveFailed.{failure.code}", message, unresolved)
        return decided + decide_jobs_from_infos(unresolved, infos)

    def _cancel_urls(self, batch: Batch, cutoff: float) -> list[ItemOutcome]:
        try:
            canceled, non_exists = self._call_cancel(cutoff, upload_urls=batch.param())
        except CallFailed as failure:
            return _failed(batch, failure.code, failure.message)
        decided, remaining = decide_url_batch(batch, canceled, non_exists)
        if not remaining:
            return decided
        try:
            infos = self._call_infos(cutoff, upload_urls=",".join(encode_url(url) for url in remaining))
        except CallFailed as failure:
            item_of = dict(zip(batch.keys, batch.items, strict=True))
            reported = f"it reported jobs {_listed(canceled)} as cancelled" if canceled else "it cancelled no jobs"
            message = (
                f"{CANCEL_API} succeeded for this batch ({reported}) but which URL each job belongs to "
                f"could not be read: {failure.message}"
            )
            return decided + _failed(
                batch, f"ResolveFailed.{failure.code}", message, [item_of[url] for url in remaining]
            )
        resolved, unclaimed = decide_urls_from_infos(batch, remaining, canceled, infos)
        if unclaimed:
            self.stats.unclaimed_canceled_jobs.extend(unclaimed)
        return decided + resolved

    # -- SDK calls ----------------------------------------------------------------------------------------
    def _client(self) -> Any:
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = self._client_factory()
        return client

    def _runtime(self, budget_s: float) -> Any:
        """Per-attempt socket timeouts, capped so connect + read together fit in the time left."""
        from darabonba.runtime import RuntimeOptions

        half_ms = max(1, int(budget_s * 500))
        return RuntimeOptions(
            connect_timeout=min(self.options.connect_timeout_ms, half_ms),
            read_timeout=min(self.options.read_timeout_ms, half_ms),
        )

    def _call_cancel(
        self, cutoff: float, *, job_ids: str | None = None, upload_urls: str | None = None
    ) -> tuple[list[str], list[str]]:
        from alibabacloud_vod20170321 import models

        def attempt(budget_s: float) -> tuple[list[str], list[str]]:
            request = models.CancelUrlUploadJobsRequest(job_ids=job_ids, upload_urls=upload_urls)
            client, runtime = self._client(), self._runtime(budget_s)
            body = self._timed_sdk_call(lambda: client.cancel_url_upload_jobs_with_options(request, runtime)).body
            if body is None:
                return [], []
            return _as_str_list(body.canceled_jobs), _as_str_list(body.non_exists)

        return call_with_retry(
            CANCEL_API,
            attempt,
            cutoff=cutoff,
            limiter=self._cancel_limiter,
            policy=self.options.retry,
            stats=self.stats.calls,
            clock=self._clock,
        )

    def _call_infos(
        self, cutoff: float, *, job_ids: str | None = None, upload_urls: str | None = None
    ) -> list[JobInfo]:
        from alibabacloud_vod20170321 import models

        def attempt(budget_s: float) -> list[JobInfo]:
            request = models.GetURLUploadInfosRequest(job_ids=job_ids, upload_urls=upload_urls)
            client, runtime = self._client(), self._runtime(budget_s)
            body = self._timed_sdk_call(lambda: client.get_urlupload_infos_with_options(request, runtime)).body
            entries = getattr(body, "urlupload_info_list", None) or []
            return [
                JobInfo(
                    job_id=str(entry.job_id or ""),
                    upload_url=str(entry.upload_url or ""),
                    status=str(entry.status or ""),
                    creation_time=str(entry.creation_time or ""),
                )
                for entry in entries
                if entry is not None and entry.job_id
            ]

        return call_with_retry(
            INFO_API,
            attempt,
            cutoff=cutoff,
            limiter=self._info_limiter,
            policy=self.options.retry,
            stats=self.stats.calls,
            clock=self._clock,
        )

    # -- results ------------------------------------------------------------------------------------------
    def _record(self, results: Results, outcomes: Iterable[ItemOutcome]) -> None:
        for outcome in outcomes:
            try:
                results.add(outcome)
            except DuplicateOutcomeError:  # a bug; keep the first outcome rather than crash the invocation
                self.stats.duplicate_outcomes += 1

    def _fill_gaps(self, request: CancelRequest, results: Results) -> None:
        """Every item must end with exactly one outcome: a gap is a bug, reported as FAILED, never dropped."""
        self.stats.gaps_filled += results.fail_missing(
            request, code="InternalError", message="no outcome was recorded for this item (a bug); retry it"
        )


_NOT_ATTEMPTED = "not attempted: the invocation deadline was reached before this batch could be sent"
_NO_ANSWER = "no answer from VOD before the invocation deadline; these items may or may not have been cancelled"
