"""The canceller: every item of a CancelRequest to exactly one outcome, through VOD.

- The request becomes batches of ≤10 items of one kind (lib.batches); each batch is one CancelUrlUploadJobs call,
  plus one GetURLUploadInfos call when the answer leaves something open (lib.vodapi); lib.decisions says what the
  answers mean for each item.
- Batches run concurrently in a bounded pool, as many in flight as the cancel quota can use at the latency seen
  so far, paced by the instance-wide per-API limiters and retried until the invocation's deadline.
- Only the calling thread records outcomes into ``Results`` (workers return them), so Results needs no lock.
- Every item ends with exactly one outcome: a gap left by a bug is filled as FAILED ``InternalError``.

Times are ``time.monotonic()`` seconds.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from lib.batches import Batch, iter_batches, respelled
from lib.decisions import MAX_LISTED_JOBS, NOT_SENT, decide_answer, decide_infos, failed_outcomes, listed
from lib.limits import (
    DEADLINE_MARGIN_S,
    VOD_CANCEL_QPS,
    VOD_CONCURRENCY,
    VOD_CONNECT_TIMEOUT_MS,
    VOD_INFO_QPS,
    VOD_READ_TIMEOUT_MS,
)
from lib.outcome import DuplicateOutcomeError, ItemOutcome, OutcomeKind, Results
from lib.ratelimit import QuotaLimiter, get_limiter
from lib.request import CancelRequest
from lib.retry import CallFailed, CallStats, RetryPolicy, scrub
from lib.vodapi import CANCEL_API, INFO_API, VodApi

__all__ = ["INITIAL_IN_FLIGHT", "IN_FLIGHT_HEADROOM", "Canceller", "VodOptions", "VodStats"]

IN_FLIGHT_HEADROOM = 1.5
"""Batches in flight = cancel quota (batches/s) × seconds a batch spends in VOD calls × this, + 1 (Little's law)."""
INITIAL_IN_FLIGHT = 8
"""Batches in flight before the first one has been timed."""

_NO_ANSWER = "no answer from VOD before the invocation deadline; these items may or may not have been cancelled"
_GAP = "no outcome was recorded for this item (a bug); retry it"

_Done = tuple[Batch, list[ItemOutcome]]


@dataclass(frozen=True)
class VodOptions:
    """Tuning knobs, from the settings (lib.wiring): see the README's configuration table.

    ``max_workers`` caps the batches in flight (:meth:`Canceller.in_flight_target` keeps fewer when fewer can use
    the quota). ``safety_margin_s`` is kept free before the deadline for publishing the results.
    """

    max_workers: int = VOD_CONCURRENCY
    safety_margin_s: float = DEADLINE_MARGIN_S
    connect_timeout_ms: int = VOD_CONNECT_TIMEOUT_MS
    read_timeout_ms: int = VOD_READ_TIMEOUT_MS
    retry: RetryPolicy = field(default_factory=RetryPolicy)


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
            out["unclaimed_canceled_jobs"] = self.unclaimed_canceled_jobs[:MAX_LISTED_JOBS]
        return out


class _InlineExecutor(Executor):
    """Runs each task at once in the calling thread: a single batch needs no pool, no thread start, no hand-off."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # handed to the caller through the future, as a pool would
            future.set_exception(exc)
        return future


def _resolve_failed(batch: Batch, keys: list[str], canceled: list[str], failure: CallFailed) -> list[ItemOutcome]:
    """The items the cancel answer left open, when GetURLUploadInfos could not say what became of them."""
    if batch.is_url:
        reported = f"it reported jobs {listed(canceled)} as cancelled" if canceled else "it cancelled no jobs"
        what = f"succeeded for this batch ({reported}) but which URL each job belongs to could not be read"
    else:
        what = "did not report these jobs as cancelled and their status could not be read"
    item_of = batch.item_of()
    message = f"{CANCEL_API} {what}: {failure.message}"
    return failed_outcomes(batch, f"ResolveFailed.{failure.code}", message, [item_of[key] for key in keys])


class Canceller:
    """Cancels a request's items through VOD with bounded concurrency, pacing and deadline-bound retries.

    Build one per invocation (it is cheap; its ``stats`` are that invocation's) with the instance's shared VOD
    client (lib.clients). ``cancel_limiter``/``info_limiter`` default to the instance-wide ones in
    :mod:`lib.ratelimit`, which must stay shared: the quota is per account.
    """

    def __init__(
        self,
        client: Any,
        *,
        cancel_limiter: QuotaLimiter | None = None,
        info_limiter: QuotaLimiter | None = None,
        options: VodOptions | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.options = options or VodOptions()
        self.stats = VodStats()
        self._clock = clock
        self._batch_s: float | None = None  # moving average of the VOD call time per batch
        self._api = VodApi(
            client,
            cancel_limiter=cancel_limiter or get_limiter(CANCEL_API, VOD_CANCEL_QPS),
            info_limiter=info_limiter or get_limiter(INFO_API, VOD_INFO_QPS),
            connect_timeout_ms=self.options.connect_timeout_ms,
            read_timeout_ms=self.options.read_timeout_ms,
            retry=self.options.retry,
            stats=self.stats.calls,
            clock=clock,
        )

    def cancel(self, request: CancelRequest, results: Results, deadline: float) -> VodStats:
        """Record one outcome per item of ``request`` into ``results`` by ``deadline`` minus the margin.

        ``deadline`` is the ``time.monotonic()`` at which the invocation ends (lib.invocation derives it from
        ``context.function.timeout``). Items not settled by then are FAILED ``DeadlineExceeded``; no item is ever
        left without an outcome.
        """
        for _, outcomes in self.stream(iter_batches(request), deadline):
            self._record(results, outcomes)
        self._fill_gaps(request, results)
        return self.stats

    def stream(self, batches: Iterable[Batch], deadline: float) -> Iterator[tuple[Batch, list[ItemOutcome]]]:
        """Each batch with exactly one outcome per item, as batches finish (not in order), by ``deadline`` minus
        the margin.

        ``batches`` is pulled only as workers free up, so its producer may stop early (an invocation that
        continues in another ends its batches before the deadline). Batches that cannot be sent before the cutoff
        are FAILED ``DeadlineExceeded``.
        """
        started = self._clock()
        cutoff = deadline - self.options.safety_margin_s
        batches = iter(batches)
        head = list(itertools.islice(batches, 2))
        workers = max(1, self.options.max_workers)
        pool = _InlineExecutor() if len(head) == 1 else ThreadPoolExecutor(workers, thread_name_prefix="vod")
        try:
            for batch, outcomes in self._run_all(pool, itertools.chain(head, batches), cutoff):
                yield batch, self._exactly_once(batch, outcomes)
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
            self.stats.elapsed_s += self._clock() - started

    def in_flight_target(self) -> int:
        """How many batches to keep in flight: enough to use the cancel quota at the latency seen so far.

        Every batch takes one CancelUrlUploadJobs call, so the quota is a rate of batches; times the time a batch
        spends in VOD calls (limiter waits excluded) that is how many must overlap (Little's law), with headroom.
        More would only wait for the limiter while holding a thread and the objects of an SDK call in flight
        (bench/README.md shows what that costs in memory).
        """
        workers = max(1, self.options.max_workers)
        if self._batch_s is None:
            return min(workers, INITIAL_IN_FLIGHT)
        needed = math.ceil(self._api.cancel_limiter.rate * self._batch_s * IN_FLIGHT_HEADROOM) + 1
        return max(2, min(workers, needed))

    # -- orchestration ------------------------------------------------------------------------------------
    def _run_all(self, pool: Executor, batches: Iterator[Batch], cutoff: float) -> Iterator[_Done]:
        """Submit every batch while there is time, keeping the in-flight target; yield each as it finishes."""
        workers = max(1, self.options.max_workers)
        in_flight: dict[Future[list[ItemOutcome]], Batch] = {}
        for batch in batches:
            self.stats.batches += 1
            if self._clock() >= cutoff - self.options.retry.min_attempt_s:
                yield batch, failed_outcomes(batch, "DeadlineExceeded", NOT_SENT)
                continue
            while len(in_flight) >= self._submit_limit(workers):
                done = self._collect(in_flight, cutoff)
                if not done:
                    break
                yield from done
            if len(in_flight) >= self._submit_limit(workers):  # nothing finished by the cutoff: stop sending
                yield batch, failed_outcomes(batch, "DeadlineExceeded", NOT_SENT)
                continue
            in_flight[pool.submit(self._run_batch, batch, cutoff)] = batch
        while in_flight:
            done = self._collect(in_flight, cutoff)
            if not done:
                break
            yield from done
        for batch in in_flight.values():
            yield batch, failed_outcomes(batch, "DeadlineExceeded", _NO_ANSWER)

    def _submit_limit(self, workers: int) -> int:
        """Batches submitted at once: the target plus one queued (no idle gap while the caller hands out the next);
        when every worker is needed, a full second round queued, so no worker ever waits for the caller."""
        target = self.in_flight_target()
        return 2 * workers if target >= workers else target + 1

    def _observe_batch(self, seconds: float) -> None:
        previous = self._batch_s
        self._batch_s = seconds if previous is None else 0.8 * previous + 0.2 * seconds

    def _collect(self, in_flight: dict[Future[list[ItemOutcome]], Batch], cutoff: float) -> list[_Done]:
        """Whatever finishes next; empty if nothing finished before the cutoff (plus a short grace)."""
        grace = self.options.safety_margin_s / 4
        timeout = max(0.0, cutoff + grace - self._clock())
        done, _ = wait(list(in_flight), timeout=timeout, return_when=FIRST_COMPLETED)
        finished = []
        for future in done:
            batch = in_flight.pop(future)
            try:
                decisions = future.result()
            except Exception as exc:  # _run_batch already guards; belt and braces
                decisions = failed_outcomes(batch, "InternalError", scrub(f"{type(exc).__name__}: {exc}"))
            finished.append((batch, decisions))
        return finished

    # -- one batch ----------------------------------------------------------------------------------------
    def _run_batch(self, batch: Batch, cutoff: float) -> list[ItemOutcome]:
        """One batch's outcomes; never raises (a bug must not lose items)."""
        self._api.start_timing()
        try:
            outcomes = self._settle(batch, cutoff)
            return self._settle_other_spellings(batch, outcomes, cutoff) if batch.is_url else outcomes
        except Exception as exc:  # reported per item, never dropped
            return failed_outcomes(batch, "InternalError", scrub(f"{type(exc).__name__}: {exc}"))
        finally:
            self._observe_batch(self._api.timed_seconds())

    def _settle(self, batch: Batch, cutoff: float) -> list[ItemOutcome]:
        """Cancel the batch; ask GetURLUploadInfos only about what the answer leaves open."""
        try:
            canceled, non_exists = self._api.cancel(cutoff, **batch.fields())
        except CallFailed as failure:
            if failure.attempts == 0:  # the deadline (or the quota up to it) kept the batch from VOD altogether
                return failed_outcomes(batch, "DeadlineExceeded", NOT_SENT)
            return failed_outcomes(batch, failure.code, failure.message)
        decided, open_keys = decide_answer(batch, canceled, non_exists)
        if not open_keys:
            return decided
        try:
            infos = self._api.infos(cutoff, **batch.fields(open_keys))
        except CallFailed as failure:
            return decided + _resolve_failed(batch, open_keys, canceled, failure)
        resolved, unclaimed = decide_infos(batch, open_keys, canceled, infos)
        self.stats.unclaimed_canceled_jobs.extend(unclaimed)
        return decided + resolved

    def _settle_other_spellings(self, batch: Batch, outcomes: list[ItemOutcome], cutoff: float) -> list[ItemOutcome]:
        """URLs VOD does not know as sent are asked about again in their other spellings (lib.urls): VOD holds a
        job under the spelling it was given, which may be ``e f`` when the request says ``e%20f``, or the other
        way round. What the last spelling asked says is the item's outcome."""
        by_item = {outcome.item: outcome for outcome in outcomes}
        for attempt in itertools.count():
            not_found = {item for item, outcome in by_item.items() if outcome.kind is OutcomeKind.NOT_FOUND}
            retries = respelled(batch, not_found, attempt) if not_found else []
            if not retries:
                return list(by_item.values())
            for retry in retries:
                by_item.update((outcome.item, outcome) for outcome in self._settle(retry, cutoff))
        raise AssertionError("unreachable")

    # -- results ------------------------------------------------------------------------------------------
    def _exactly_once(self, batch: Batch, outcomes: list[ItemOutcome]) -> list[ItemOutcome]:
        """The batch's outcomes, one per item: a second is dropped and a missing one is FAILED (both are bugs,
        counted in the stats; an item is never dropped)."""
        wanted = set(batch.items)
        kept: list[ItemOutcome] = []
        for outcome in outcomes:
            if outcome.item in wanted:
                wanted.discard(outcome.item)
                kept.append(outcome)
            else:
                self.stats.duplicate_outcomes += 1
        if wanted:
            self.stats.gaps_filled += len(wanted)
            missing = [item for item in batch.items if item in wanted]
            kept.extend(failed_outcomes(batch, "InternalError", _GAP, missing))
        return kept

    def _record(self, results: Results, outcomes: Iterable[ItemOutcome]) -> None:
        for outcome in outcomes:
            try:
                results.add(outcome)
            except DuplicateOutcomeError:  # a bug; keep the first outcome rather than crash the invocation
                self.stats.duplicate_outcomes += 1

    def _fill_gaps(self, request: CancelRequest, results: Results) -> None:
        """Every item must end with exactly one outcome: a gap is a bug, reported as FAILED, never dropped."""
        self.stats.gaps_filled += results.fail_missing(request, code="InternalError", message=_GAP)
