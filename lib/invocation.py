"""One invocation, start to finish: FC event → envelope → cancel request → VOD batches → outcomes → results parts.

This module is the straight line and nothing else: each step lives in its own module, and each door's way of
answering lives in its envelope (lib.envelopes). The policy the README documents:

* bad input → a clear error and no VOD call; the envelope answers it (an HTTP 400/405, or a published rejection
  and a normal return: a poison message must not be redelivered forever);
* item failures (after retries, or at the deadline) are reported in the results, not raised;
* a manifest request (lib.job) publishes its parts as it goes, checkpointed, and continues in a new invocation
  when the deadline nears;
* the invocation raises — so FC's async retry or MNS's retry delivers the event again — only when nobody could be
  told: an event's results could not be published, a manifest or its checkpoint could not be read for a
  transient reason, a manifest request could neither continue nor report what is left, or the function is
  misconfigured.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any

from lib import logs
from lib.documents import summary_document, whole_document
from lib.envelopes import Envelope, open_envelope
from lib.errors import BadRequestError, ConfigurationError, EventIgnored
from lib.limits import DEFAULT_FUNCTION_TIMEOUT_S
from lib.outcome import Results
from lib.pipeline import SafePublisher, cancel_in_memory
from lib.request import CancelRequest
from lib.wiring import Wiring

if TYPE_CHECKING:
    from lib.job import ManifestJob

__all__ = ["handle", "run", "summary_level"]

_state = {"cold": True}


def _deadline(context: Any, started: float) -> float:
    """When FC ends this invocation: ``context.function.timeout`` seconds (else ``FC_TIMEOUT``) from its start."""
    function = getattr(context, "function", None)
    timeout = getattr(function, "timeout", None) or os.environ.get("FC_TIMEOUT") or DEFAULT_FUNCTION_TIMEOUT_S
    try:
        return started + float(timeout)
    except (TypeError, ValueError):
        return started + DEFAULT_FUNCTION_TIMEOUT_S


def request_id_of(context: Any) -> str:
    return str(getattr(context, "request_id", "") or "")


def handle(event: bytes | str, context: Any, *, loaded_at: float | None = None) -> Any:
    """FC 3.0 unified handler body for the OSS, MNS topic and HTTP triggers; ``loaded_at``: when the handler module
    was imported (``time.monotonic()``), the earliest a cold invocation's time can be known to start."""
    return run(open_envelope(event, fc_request_id=request_id_of(context)), context, loaded_at=loaded_at)


def run(envelope: Envelope, context: Any, *, loaded_at: float | None = None) -> Any:
    """The flow for an opened envelope (see the module docstring for when it returns, reports or raises)."""
    started = time.monotonic()
    cold, _state["cold"] = _state["cold"], False
    if cold and loaded_at is not None:  # the imports before this line count against FC's timeout too
        started = min(started, loaded_at)
    wiring = Wiring(context, deadline=_deadline(context, started))
    fields: dict[str, Any] = {"requestId": envelope.request_id, "coldStart": cold, **envelope.log_fields()}
    if wiring.request_id and wiring.request_id != envelope.request_id:
        fields["invocationId"] = wiring.request_id  # a continuation: the request keeps its first invocation's id
    try:
        request = envelope.read_request(wiring)
        canceller = wiring.canceller() if isinstance(request, CancelRequest) else None
    except (BadRequestError, ConfigurationError, EventIgnored) as refusal:
        return _refuse(envelope, refusal, wiring, fields)
    except Exception as error:  # e.g. a manifest that could not be read now may be readable on redelivery
        logs.error("failed before any VOD call; failing so FC retries", error=str(error), **fields)
        raise
    if not isinstance(request, CancelRequest):
        return _run_job(request, envelope, wiring, fields, started)
    results, publisher, settings = Results(), SafePublisher(wiring.publish), wiring.settings
    report = cancel_in_memory(
        request,
        canceller,  # type: ignore[arg-type]
        publisher,
        ids=envelope.ids,
        deadline=wiring.deadline,
        max_bytes=settings.max_message_bytes,
        results=results,
        progress_interval_s=settings.checkpoint_interval_s,
    )
    fields.update(vod=wiring.vod_stats(), counts=report.counts, parts=report.parts)
    if publisher.error is not None:
        logs.error("results could not be published", error=str(publisher.error), **fields)
        envelope.publish_failed(publisher.error)
    fields.update(published=report.published, durationMs=_ms_since(started))
    logs.log(summary_level(report.counts), "cancel request handled", **fields)
    return envelope.reply(whole_document(results, envelope.ids), published=report.published)


def _run_job(job: ManifestJob, envelope: Envelope, wiring: Wiring, fields: dict[str, Any], started: float) -> Any:
    """A manifest request: this invocation's share of it (lib.job), the parts published as they were made."""
    try:
        report = job.run()
    except Exception as error:  # results not published, or a manifest not readable now: FC runs the event again
        logs.error("manifest request failed; failing so FC retries", error=str(error), **fields)
        raise
    fields.update(vod=wiring.vod_stats(), counts=report.counts, parts=report.parts, final=report.final)
    fields.update(report.extra, durationMs=_ms_since(started))
    if report.final:
        logs.log(summary_level(report.counts), "cancel request handled", **fields)
    else:
        logs.info("cancel request continues", **fields)
    return envelope.reply(summary_document(job.ids, report.counts, report.parts, final=report.final), published=True)


def _refuse(
    envelope: Envelope, refusal: BadRequestError | ConfigurationError | EventIgnored, wiring: Wiring, fields: Any
) -> Any:
    """Answer through the envelope an event that will not reach VOD: bad input, misconfiguration, nothing to do."""
    if isinstance(refusal, EventIgnored):
        logs.warning("event ignored: nothing to cancel", reason=refusal.reason, **fields)
        return None
    if isinstance(refusal, ConfigurationError):
        logs.error("configuration error", code=refusal.code, detail=refusal.message, **fields)
        return envelope.misconfigured(refusal)
    answer = envelope.reject(refusal, wiring)
    logs.warning("request rejected", code=refusal.code, detail=refusal.message, **fields)
    return answer


def summary_level(counts: dict[str, int]) -> str:
    """The summary line's level, so alerts on WARNING or ERROR see failed items: ERROR when every item failed,
    WARNING when some did, INFO otherwise."""
    failed = counts["Failed"]
    if failed and failed == counts["Requested"]:
        return "ERROR"
    return "WARNING" if failed else "INFO"


def _ms_since(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)
