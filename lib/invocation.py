"""One invocation, start to finish: FC event → envelope → CancelRequest → VOD batches → outcomes → results message.

This module is the straight line and nothing else: each step lives in its own module, and each door's way of
answering lives in its envelope (lib.envelopes). The policy the README documents:

* bad input → a clear error and no VOD call; the envelope answers it (an HTTP 400/405, or a published rejection
  and a normal return: a poison message must not be redelivered forever);
* item failures (after retries, or at the deadline) are reported in the results, not raised;
* the invocation raises — so FC's async retry or MNS's retry delivers the event again — only when nobody could be
  told: an event's results could not be published, a manifest could not be read for a transient reason, or the
  function is misconfigured.
"""

from __future__ import annotations

import os
import time
from typing import Any

from lib import logs
from lib.documents import ResultsParts
from lib.envelopes import Envelope, open_envelope
from lib.errors import BadRequestError, ConfigurationError, EventIgnored
from lib.limits import DEFAULT_FUNCTION_TIMEOUT_S
from lib.outcome import Results
from lib.wiring import Wiring

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


def handle(event: bytes | str, context: Any) -> Any:
    """FC 3.0 unified handler body for the OSS, MNS topic and HTTP triggers."""
    return run(open_envelope(event, fc_request_id=request_id_of(context)), context)


def run(envelope: Envelope, context: Any) -> Any:
    """The flow for an opened envelope (see the module docstring for when it returns, reports or raises)."""
    started = time.monotonic()
    cold, _state["cold"] = _state["cold"], False
    wiring = Wiring(context, deadline=_deadline(context, started))
    fields: dict[str, Any] = {"requestId": envelope.request_id, "coldStart": cold, **envelope.log_fields()}
    try:
        request = envelope.read_request(wiring)
        canceller = wiring.canceller()
    except (BadRequestError, ConfigurationError, EventIgnored) as refusal:
        return _refuse(envelope, refusal, wiring, fields)
    except Exception as error:  # e.g. a manifest that could not be read now may be readable on redelivery
        logs.error("failed before any VOD call; failing so FC retries", error=str(error), **fields)
        raise
    results = Results()
    fields["vod"] = canceller.cancel(request, results, wiring.deadline).as_dict()
    parts = ResultsParts(results, envelope.ids, max_bytes=wiring.settings.max_message_bytes)
    fields.update(counts=parts.counts, parts=parts.count)
    published = _publish(parts, envelope, wiring, fields)
    fields.update(published=published, durationMs=_ms_since(started))
    logs.log(summary_level(parts.counts), "cancel request handled", **fields)
    return envelope.reply(parts.whole(max_items=wiring.settings.max_request_items), published=published)


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


def _publish(parts: ResultsParts, envelope: Envelope, wiring: Wiring, fields: dict[str, Any]) -> bool:
    """Publish the results part by part; on failure the envelope decides (raise for a retry, or answer)."""
    try:
        wiring.publish(parts)
    except Exception as error:  # NotifyError or an SDK surprise: the results topic has not been told
        logs.error("results could not be published", error=str(error), **fields)
        envelope.publish_failed(error)
        return False
    return True


def summary_level(counts: dict[str, int]) -> str:
    """The summary line's level, so alerts on WARNING or ERROR see failed items: ERROR when every item failed,
    WARNING when some did, INFO otherwise."""
    failed = counts["Failed"]
    if failed and failed == counts["Requested"]:
        return "ERROR"
    return "WARNING" if failed else "INFO"


def _ms_since(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)
