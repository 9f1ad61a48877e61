"""A manifest request from its first line to its final part, across as many invocations as it takes.

Each invocation that works on it (the OSS event's, its FC retries, the continuations) does the same:

1. load the checkpoint (lib.checkpoint) and take the request over (a new ``owner-<n>``);
2. **validate** (first pass, from the checkpoint's position): every line, before any VOD call — one invalid item
   rejects the whole request;
3. **cancel** (second pass): lines → first occurrences (lib.dedupe) → batches → VOD → outcomes in order → parts.
   Every ``CHECKPOINT_INTERVAL_S``, and whenever a part is full, it *cuts*: batches up to that line are finished,
   the checkpoint is written (with the parts about to go out), then the parts are published;
4. near the deadline it stops sending batches, cuts, and hands the checkpoint to a new asynchronous invocation of
   itself (lib.continuation). It also stops as soon as a batch comes back unsent (the quota had no room for it
   before the deadline): the batches in flight are reported ``DeadlineExceeded``, the lines after them go on.
   Past ``MAX_CONTINUATIONS``, or when FC does not accept the continuation, what is left is reported FAILED
   (``ContinuationLimitExceeded`` / ``ContinuationFailed``) without calling VOD — never dropped.

A checkpoint that says the request is done answers a late redelivery: nothing new is published.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from lib import logs
from lib.batches import Batch, BatchBuilder
from lib.checkpoint import Checkpoint, CheckpointStore
from lib.config import Settings
from lib.continuation import ContinuationFailed
from lib.decisions import never_sent
from lib.dedupe import SeenStore, ordinal
from lib.documents import DocumentIds, PartWriter
from lib.errors import BadRequestError, EventIgnored
from lib.handoff import Handoff, continuation_event, new_handoff
from lib.manifest import START, Line, ManifestReader, ManifestReadError, OssObjectRef, Position
from lib.objects import OssFailure, OssObjects
from lib.pipeline import Drainer, Engine, InOrder, Report
from lib.progress import Progress

__all__ = ["JobContext", "ManifestJob", "Superseded"]

Documents = list[tuple[str, str]]
_DRAIN_STOP_S = 1.0  # what a drain in the same invocation leaves for its last checkpoint and publish
_HANDOFF_SAFETY_S = 0.25  # the hand-off may use the deadline margin, all but this
_LEAST_SEND_S = 0.6  # the last batches taken get this long before the cutoff (a VOD attempt needs RetryPolicy's 0.3 s)


@dataclass(frozen=True)
class JobContext:
    """What a manifest job needs from its invocation (lib.wiring builds it)."""

    objects: OssObjects
    request_id: str
    deadline: float
    settings: Settings
    publish: Callable[[Documents], None]
    engine: Callable[[], Engine]
    continue_with: Callable[[bytes, float], str]
    prepare_continuation: Callable[[], None] = lambda: None
    clock: Callable[[], float] = time.monotonic


class Superseded(Exception):
    """A newer invocation has taken the request over: this one stops without publishing."""


def _checkpoint_failure(store: CheckpointStore, failure: OssFailure) -> Exception:
    where = f"oss://{store.bucket}/{store.folder}"
    if failure.kind in ("missing", "invalid"):
        return BadRequestError("ManifestNotFound", f"bucket {store.bucket!r} cannot be used ({failure.code})")
    if failure.kind == "denied":
        return BadRequestError(
            "CheckpointAccessDenied",
            f"the function's role may not use {where} ({failure.code}); grant oss:GetObject and oss:PutObject on "
            "the checkpoint prefix",
        )
    return ManifestReadError(f"checkpoint {where}: {failure.code}")


class ManifestJob:
    """One manifest request (all the manifests of one OSS delivery), as this invocation works on it."""

    def __init__(self, ctx: JobContext, store: CheckpointStore, checkpoint: Checkpoint, own: Handoff | None) -> None:
        self.ctx = ctx
        self.store = store
        self.cp = checkpoint
        self._own_handoff = own  # the hand-off this invocation was started for (None: the OSS event itself)
        self._validated = checkpoint.phase != "validating"
        s = ctx.settings
        cutoff = ctx.deadline - s.deadline_margin_s  # no VOD call starts after it
        margin = min(s.continuation_margin_s, max(cutoff - ctx.clock(), 0.0) / 4)  # a short timeout still works
        # never so close to the cutoff that a batch taken could not be sent: it would be reported, not continued
        self._stop_at = cutoff - max(margin, _LEAST_SEND_S)
        self.send_by = cutoff - _LEAST_SEND_S  # a batch taken must be sent by then: the quota's queue counts too
        self.reader = ManifestReader(ctx.objects, max_bytes=s.max_manifest_bytes)

    @property
    def ids(self) -> DocumentIds:
        return DocumentIds(self.cp.request_id, "oss", self.cp.dedupe_key)

    # -- taking the request on ------------------------------------------------------------------------------
    @classmethod
    def start(cls, ctx: JobContext, refs: Sequence[OssObjectRef], ids: DocumentIds) -> ManifestJob:
        """The job of an OSS event: new, or resumed from its checkpoint (a redelivery or FC's retry)."""
        store = CheckpointStore(ctx.objects, refs[0].bucket, ctx.settings.checkpoint_prefix, ids.dedupe_key)
        checkpoint = cls._load(store) or Checkpoint(ids.request_id, ids.dedupe_key, [])
        job = cls(ctx, store, checkpoint, None)
        job._take_over(refs)
        return job

    @classmethod
    def resume(cls, ctx: JobContext, bucket: str, key: str, dedupe_key: str, handoff: Handoff) -> ManifestJob:
        """The job a continuation event names; EventIgnored when the event is not the checkpoint's own."""
        store = CheckpointStore(ctx.objects, bucket, ctx.settings.checkpoint_prefix, dedupe_key)
        if key != store.key:
            raise EventIgnored(f"continuation names {key!r}, which is not the checkpoint of {dedupe_key!r}")
        checkpoint = cls._load(store)
        if checkpoint is None or checkpoint.dedupe_key != dedupe_key or checkpoint.handoff != handoff:
            raise EventIgnored("continuation does not match its checkpoint's hand-off (stale, or not this function's)")
        job = cls(ctx, store, checkpoint, handoff)
        job._take_over(())
        return job

    @staticmethod
    def _load(store: CheckpointStore) -> Checkpoint | None:
        try:
            return store.load()
        except OssFailure as failure:
            raise _checkpoint_failure(store, failure) from None
        except ValueError as problem:
            raise BadRequestError("InvalidCheckpoint", f"oss://{store.bucket}/{store.key}: {problem}") from None

    def _take_over(self, refs: Sequence[OssObjectRef]) -> None:
        """Become the request's newest owner, then read its checkpoint again: whatever an older owner published
        was written there before this claim (lib.checkpoint), so nothing published is missed or redone."""
        if self.cp.finished:
            return
        try:
            generation = self.store.claim(self.cp.generation, self.ctx.request_id)
        except OssFailure as failure:
            raise _checkpoint_failure(self.store, failure) from None
        latest = self._load(self.store)
        if latest is not None:
            self.cp = latest
            self._validated = latest.phase != "validating"
        self.cp.generation = generation
        if self.cp.finished:
            return
        self.cp.invocations += 1
        if not self.cp.manifests:
            self.cp.manifests = [self.reader.resolve(ref) for ref in refs]
        if not self._validated:
            self._validate()

    def _validate(self) -> None:
        """The first pass: every line checked before any VOD call; stops (to continue) near the deadline."""
        cp = self.cp
        position, count = cp.position, cp.lines_done
        for block in self.reader.blocks(cp.manifests, cp.position):
            count += len(block)
            position = block[-1].after if block else position
            if self.ctx.clock() >= self._stop_at:
                cp.position, cp.lines_done = position, count
                self.ctx.prepare_continuation()
                return
        if count == 0:
            raise BadRequestError("EmptyRequest", "the manifest names no job IDs and no upload URLs")
        cp.phase, cp.lines_total, cp.position, cp.lines_done = "cancelling", count, START, 0
        self._validated = True

    # -- the invocation's work ------------------------------------------------------------------------------
    def run(self) -> Report:
        """Work until done or until the deadline nears, then hand over; returns what was done."""
        cp = self.cp
        if cp.finished:
            self._publish(cp.pending)
            logs.info("manifest already finished: nothing new to publish", dedupeKey=cp.dedupe_key)
            return self._report(extra={"alreadyFinished": True})
        self._publish(cp.pending)
        cp.pending = []
        try:
            if self._validated:
                engine = Drainer(**_drain_args(cp.drain)) if cp.phase == "draining" else self.ctx.engine()
                _Run(self, engine, self._stop_at).execute()
            return self._report() if cp.finished else self._hand_off()
        except BadRequestError as unreadable:  # the manifest was deleted or replaced mid-way
            return self._finish_unreadable(unreadable)
        except Superseded as superseded:
            logs.warning("a newer invocation took the request over: stopping", detail=str(superseded))
            return self._report(extra={"superseded": True})

    def _hand_off(self) -> Report:
        cp, settings = self.cp, self.ctx.settings
        if cp.phase == "cancelling" and cp.continuations >= settings.max_continuations:
            message = (
                f"the manifest needed more than {settings.max_continuations} continuations (MAX_CONTINUATIONS): "
                "not attempted; send these items again"
            )
            if self._drain("ContinuationLimitExceeded", message):
                return self._report()
        handoff = new_handoff(cp.continuations + 1)
        cp.handoff, cp.continuations = handoff, handoff.number
        self.save()
        if self.store.superseded(cp.generation):
            raise Superseded(f"owner {cp.generation + 1} has taken the request over")
        event = continuation_event(
            bucket=self.store.bucket,
            checkpoint_key=self.store.key,
            dedupe_key=cp.dedupe_key,
            request_id=cp.request_id,
            handoff=handoff,
        )
        try:
            continued = self.ctx.continue_with(event, self.ctx.deadline - _HANDOFF_SAFETY_S)
        except ContinuationFailed as failure:
            return self._continuation_failed(failure)
        logs.info("continues in a new invocation", continuation=handoff.number, continuedAs=continued)
        return self._report(extra={"continuation": handoff.number, "continuedAs": continued})

    def _continuation_failed(self, failure: ContinuationFailed) -> Report:
        """Report what is left (without VOD); if even that does not fit, fail so FC runs this event again."""
        logs.error("the next invocation could not be started", code=failure.code, error=failure.message)
        cp = self.cp
        cp.handoff, cp.continuations = self._own_handoff, cp.continuations - 1  # so FC's retry of this event counts
        if not failure.attempted:  # no time was left even to ask FC: its retry of this event goes on cancelling
            self.save()
            raise failure
        message = f"the next invocation could not be started ({failure.code}): not attempted; send these items again"
        if self._drain("ContinuationFailed", message):
            return self._report()
        self.save()
        raise failure

    def _drain(self, code: str, message: str) -> bool:
        """Switch to reporting what is left FAILED ``code``, and do it until just before the deadline."""
        cp = self.cp
        if cp.phase != "draining":
            cp.phase, cp.drain = "draining", {"Code": code, "Message": message}
            self.save()
        stop_at = self.ctx.deadline - self.ctx.settings.deadline_margin_s - _DRAIN_STOP_S
        _Run(self, Drainer(**_drain_args(cp.drain)), stop_at).execute()
        return cp.finished

    def _finish_unreadable(self, error: BadRequestError) -> Report:
        """The manifest cannot be read any more: the final part says why; its remaining items have no outcome."""
        cp = self.cp
        logs.error("manifest unreadable mid-way", code=error.code, detail=error.message, position=list(cp.position))
        writer = PartWriter(self.ids, max_bytes=self.ctx.settings.max_message_bytes, resume=cp.writer)
        cp.error = {"Code": error.code, "Message": error.message}
        writer.close_part()  # the error goes alone in the final part, which then surely fits
        documents = [*writer.take(), writer.finish(error=cp.error)]
        cp.writer = writer.state()
        self.checkpoint_and_publish(documents, done=True)
        return self._report()

    # -- checkpoint, then publish -------------------------------------------------------------------------------
    def save(self) -> None:
        try:
            self.store.save(self.cp)
        except OssFailure as failure:
            raise _checkpoint_failure(self.store, failure) from None

    def checkpoint_and_publish(self, documents: Documents, *, done: bool = False) -> None:
        """Write the checkpoint with ``documents`` pending, make sure nobody took over, then publish them."""
        cp = self.cp
        cp.pending = list(documents)
        if done:
            cp.phase = "done"
        self.save()
        if self.store.superseded(cp.generation):
            raise Superseded(f"owner {cp.generation + 1} has taken the request over")
        self._publish(documents)
        cp.pending = []
        if done:  # a late redelivery must find nothing left to publish
            self.save()

    def _publish(self, documents: Documents) -> None:
        if documents:
            self.ctx.publish(documents)

    def _report(self, extra: dict[str, Any] | None = None) -> Report:
        writer = self.cp.writer or {"Counts": {}, "NextPart": 1}
        return Report(dict(writer["Counts"]), int(writer["NextPart"]) - 1, final=self.cp.finished, extra=extra or {})


def _drain_args(drain: dict[str, str] | None) -> dict[str, str]:
    drain = drain or {}
    return {"code": drain.get("Code", "ContinuationFailed"), "message": drain.get("Message", "")}


class _Cut(NamedTuple):
    """A point in the manifest where every batch before it is known: ``batch`` is the last one."""

    batch: int
    position: Position
    lines: int
    last: bool
    partial: bool


class _Run:
    """One stretch of the second pass: from the checkpoint's position until the end or ``stop_at``."""

    def __init__(self, job: ManifestJob, engine: Engine, stop_at: float) -> None:
        self.job = job
        self.cp = job.cp
        self.engine = engine
        self.stop_at = stop_at
        self.clock = job.ctx.clock
        self.builder = BatchBuilder()
        self.order = InOrder()
        self.cuts: deque[_Cut] = deque()
        self.short_of_time = False  # a batch came back unsent: the quota has no room left before the deadline
        self.returned = 0  # batches back from the engine (the builder counts those taken)
        self.quota_s = 1.0 / job.ctx.settings.cancel_qps  # what each batch waiting for the quota adds to the queue
        self.writer = PartWriter(job.ids, max_bytes=job.ctx.settings.max_message_bytes, resume=self.cp.writer)
        self.last_cut = self.clock()
        self.progress = Progress(
            interval_s=job.ctx.settings.checkpoint_interval_s, total=self.cp.lines_total, done=self.cp.lines_done
        )

    def execute(self) -> None:
        identity = "\n".join(f"{m.bucket}/{m.key}@{m.etag}" for m in self.cp.manifests)
        store = SeenStore.for_identity(identity)
        try:
            if not self._catch_up(store):
                return  # out of time: the next invocation goes on filling it (on this instance, if it lands here)
            for batch, outcomes in self.engine.stream(self._batches(store), self.job.ctx.deadline):
                self.returned += 1
                # (only once something went through: an invocation that sends nothing still gets somewhere)
                self.short_of_time = self.short_of_time or (never_sent(outcomes) and self.order.released > 0)
                for released in self.order.add(batch, outcomes):
                    for outcome in released:
                        self.writer.add(outcome)
                    self._reach_cuts()  # a cut's checkpoint holds the outcomes of its batches and no later ones
            self._reach_cuts()
        finally:
            store.close(delete=self.cp.finished)

    def _catch_up(self, store: SeenStore) -> bool:
        """Fill the store with the lines before the resume position it has not seen (another instance read them);
        False when ``stop_at`` came first."""
        filled = store.filled
        begin = Position(*filled) if filled is not None else START
        if begin >= self.cp.position:
            return True
        started, lines, done = self.clock(), 0, True
        for block in self.job.reader.blocks(self.cp.manifests, begin, validated=True):
            within = [line for line in block if line.after <= self.cp.position]
            if within:
                store.first_occurrences(_keys(within), within[-1].after)
                lines += len(within)
            if len(within) < len(block) or (within and within[-1].after == self.cp.position):
                break
            if self.clock() >= self.stop_at:
                done = False
                self.job.ctx.prepare_continuation()
                break
        logs.info("dedupe store rebuilt", lines=lines, seconds=round(self.clock() - started, 2), complete=done)
        return done

    def _batches(self, store: SeenStore) -> Iterator[Batch]:
        """The batches from the resume position on; cuts as it goes; stops (with a cut) when it is time to hand over."""
        position, lines = self.cp.position, self.cp.lines_done
        for block in self.job.reader.blocks(self.cp.manifests, self.cp.position, validated=True):
            firsts = store.first_occurrences(_keys(block), block[-1].after) if block else []
            for line, first in zip(block, firsts, strict=True):
                if self._time_to_stop():
                    self.job.ctx.prepare_continuation()  # while the batches in flight finish
                    yield from self._cut_here(position, lines, last=False)
                    return
                closed = self.builder.add(line.item) if first else []
                position, lines = line.after, lines + 1
                yield from closed
                if closed and self._cut_due():
                    yield from self._cut_here(position, lines, last=False)
            if self._cut_due():
                yield from self._cut_here(position, lines, last=False)
        yield from self._cut_here(position, lines, last=True)

    def _time_to_stop(self) -> bool:
        """``stop_at`` has come; or a batch came back unsent; or the batches taken and not back yet fill the quota
        until ``send_by``, so one more would wait past it and come back unsent: the next invocation should have it."""
        now = self.clock()
        queued = self.builder.closed - self.returned
        return now >= self.stop_at or self.short_of_time or now + queued * self.quota_s >= self.job.send_by

    def _cut_due(self) -> bool:
        """A part is full (and no cut is on its way already), or the interval has passed since the last cut."""
        if self.writer.ready and not self.cuts:
            return True
        return self.clock() - self.last_cut >= self.job.ctx.settings.checkpoint_interval_s

    def _cut_here(self, position: Position, lines: int, *, last: bool) -> Iterator[Batch]:
        partial = last or self.clock() - self.last_cut >= self.job.ctx.settings.checkpoint_interval_s
        self.last_cut = self.clock()
        yield from self.builder.flush()
        self.cuts.append(_Cut(self.builder.closed, position, lines, last, partial))
        self._reach_cuts()

    def _reach_cuts(self) -> None:
        while self.cuts and self.cuts[0].batch <= self.order.released:
            cut = self.cuts.popleft()
            if cut.partial and not cut.last:  # the last cut's part is the final one
                self.writer.close_part()
            documents = self.writer.take()
            self.cp.position, self.cp.lines_done = cut.position, cut.lines
            if cut.last:
                documents.append(self.writer.finish())
            self.cp.writer = self.writer.state()
            self.job.checkpoint_and_publish(documents, done=cut.last)
            self.progress.update(cut.lines, counts=dict(self.writer.counts), phase=self.cp.phase)


def _keys(lines: list[Line]) -> list[tuple[str, int]]:
    return [(line.item.dedupe_key, ordinal(line.after.manifest, line.after.line - 1)) for line in lines]
