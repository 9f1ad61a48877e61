"""One invocation, start to finish: FC event → CancelRequest → VOD → one outcome per item → results topic.

This module is the flow and nothing else: envelopes, requests, VOD calls, outcomes and publishing each live in
their own module. It decides the policy the README documents:

* bad input → a clear error, no VOD call; HTTP gets 400/405, OSS/MNS events get a published rejection and a
  normal return (a poison message must not be redelivered forever);
* item failures (after retries, or at the deadline) are *reported* in the results, not raised;
* the invocation raises — so FC's async retry or MNS's retry delivers the event again — only when nobody could be
  told: the results could not be published, a manifest could not be read for a transient reason, or the function
  is misconfigured.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable
from typing import Any

from lib import logs
from lib.config import Credentials, Settings, credentials_from, settings
from lib.errors import BadRequestError, CancelError, ConfigurationError
from lib.outcome import Results, ResultsParts, rejection_document, results_documents
from lib.request import CancelRequest, CancelRequestBuilder, parse_cancel_request
from lib.triggers import TriggerEvent, parse_trigger_event

_JSON_HEADERS = {"Content-Type": "application/json"}
_UNLIMITED_BYTES = 1 << 62
_state = {"cold": True}
_vod_clients: dict[tuple[str, str, str], Any] = {}


def _deadline(context: Any, started: float) -> float:
    """FC's limit for this invocation: ``context.function.timeout`` seconds from its start."""
    function = getattr(context, "function", None)
    timeout = getattr(function, "timeout", None) or os.environ.get("FC_TIMEOUT") or 60
    try:
        return started + float(timeout)
    except (TypeError, ValueError):
        return started + 60.0


def _http_response(status: int, document: Any, extra_headers: dict[str, str] | None = None) -> dict[str, Any]:
    body = document if isinstance(document, str) else json.dumps(document, ensure_ascii=False)
    return {
        "statusCode": status,
        "headers": {**_JSON_HEADERS, **(extra_headers or {})},
        "isBase64Encoded": False,
        "body": body,
    }


def _http_error(error: CancelError, status: int) -> dict[str, Any]:
    return _http_response(status, {"error": {"code": error.code, "message": error.message}})


def _looks_like_http_event(event: bytes) -> bool:
    """An HTTP event we failed to unwrap must still be answered as HTTP (400, not a published rejection).

    The whole event is parsed: FC puts ``body`` before ``requestContext``, so with a body of a few KB the keys are
    far from the start (a prefix scan answered such a request 200 with a published "mns" rejection).
    """
    try:
        document = json.loads(event)
    except (ValueError, RecursionError):  # ValueError covers JSONDecodeError and UnicodeDecodeError
        return False
    return isinstance(document, dict) and "requestContext" in document and "version" in document


def vod_client(config: Settings, credentials: Credentials) -> Any:
    """The instance's VOD client for these credentials, built once and shared by every worker thread."""
    key = (config.vod_endpoint, credentials.access_key_id, credentials.security_token)
    client = _vod_clients.get(key)
    if client is None:
        from lib import sdk
        from lib.vod import build_vod_client

        sdk.load(sdk.VOD)

        _vod_clients.clear()  # FC rotated the token: the old client must not be used again
        client = build_vod_client(
            config.vod_endpoint,
            credentials,
            config.region,
            connect_timeout_ms=config.connect_timeout_ms,
            read_timeout_ms=config.read_timeout_ms,
        )
        _vod_clients[key] = client
    return client


def _build_request(trigger: TriggerEvent, config: Settings, credentials: Credentials) -> CancelRequest:
    if trigger.source != "oss":
        return parse_cancel_request(
            trigger.payload, max_items=config.max_request_items, max_bytes=config.max_request_bytes
        )
    from lib import sdk
    from lib.manifest import oss_client, read_manifest

    sdk.load(sdk.OSS)

    client = oss_client(config.oss_endpoint, config.region, credentials)
    builder = CancelRequestBuilder(max_items=None)
    for ref in trigger.objects:
        read_manifest(client, ref, builder, max_bytes=config.max_manifest_bytes)
    return builder.build()


def _cancel(
    request: CancelRequest, config: Settings, credentials: Credentials, deadline: float
) -> tuple[Results, dict[str, Any]]:
    from lib.ratelimit import get_limiter
    from lib.vod import CANCEL_API, INFO_API, Canceller, VodOptions

    client = vod_client(config, credentials)
    canceller = Canceller(
        lambda: client,
        cancel_limiter=get_limiter(CANCEL_API, config.cancel_qps),
        info_limiter=get_limiter(INFO_API, config.info_qps),
        options=VodOptions(
            max_workers=config.vod_concurrency,
            safety_margin_s=config.deadline_margin_s,
            connect_timeout_ms=config.connect_timeout_ms,
            read_timeout_ms=config.read_timeout_ms,
        ),
    )
    results = Results()
    stats = canceller.cancel(request, results, deadline)
    return results, stats.as_dict()


def _publish(documents: Iterable[tuple[str, str]], config: Settings, credentials: Credentials, deadline: float) -> int:
    from lib import sdk
    from lib.notify import publish_documents

    sdk.load(sdk.MNS)

    ids = publish_documents(
        documents,
        endpoint=config.mns_endpoint,
        topic=config.notify_topic,
        credentials=credentials,
        deadline=max(deadline, time.monotonic() + 5.0),
    )
    return len(ids)


def _reject(
    error: BadRequestError,
    trigger: TriggerEvent,
    request_id: str,
    config: Settings,
    credentials: Credentials,
    deadline: float,
    log_fields: dict[str, Any],
) -> Any:
    if trigger.source == "http":
        logs.warning("request rejected", code=error.code, detail=error.message, **log_fields)
        return _http_error(error, error.http_status)
    document = rejection_document(error, request_id=request_id, source=trigger.source, dedupe_key=trigger.dedupe_key)
    _publish([document], config, credentials, deadline)
    logs.warning("event rejected; rejection published", code=error.code, detail=error.message, **log_fields)
    return document[0]


def handle(event: bytes, context: Any) -> Any:
    """FC 3.0 unified handler body (see module docstring for when it returns, reports or raises)."""
    started = time.monotonic()
    cold, _state["cold"] = _state["cold"], False
    request_id = str(getattr(context, "request_id", "") or "")
    deadline = _deadline(context, started)
    event = event.encode("utf-8") if isinstance(event, str) else bytes(event)
    log_fields: dict[str, Any] = {"requestId": request_id, "coldStart": cold}

    try:
        trigger = parse_trigger_event(event, fc_request_id=request_id)
    except BadRequestError as error:
        if _looks_like_http_event(event):
            logs.warning("request rejected", code=error.code, detail=error.message, source="http", **log_fields)
            return _http_error(error, error.http_status)
        source = "oss" if b'"events"' in event[:4096] else "mns"
        trigger = TriggerEvent(source=source, envelope="invalid", dedupe_key=f"invalid-{source}-event:{request_id}")
        return _handle_unwrappable(error, trigger, context, request_id, deadline, log_fields)
    log_fields.update(source=trigger.source, envelope=trigger.envelope, dedupeKey=trigger.dedupe_key)

    if trigger.source == "http" and trigger.method and trigger.method.upper() != "POST":
        error = BadRequestError("MethodNotAllowed", f"use POST to submit a cancel request, not {trigger.method}")
        logs.warning("request rejected", code=error.code, **log_fields)
        return _http_error(error, 405)

    try:
        config = settings()
        if trigger.topic_name and trigger.topic_name == config.notify_topic:
            raise ConfigurationError(
                "NotifyTopicIsTriggerTopic",
                f"this function was triggered by {trigger.topic_name!r}, its own results topic (NOTIFY_TOPIC): "
                "refusing to publish there, which would invoke it again forever",
            )
        credentials = credentials_from(context)
    except ConfigurationError as error:
        logs.error("configuration error", code=error.code, detail=error.message, **log_fields)
        if trigger.source == "http":
            return _http_response(500, {"error": {"code": error.code, "message": error.message}})
        raise
    logs.register_secrets(credentials.access_key_secret, credentials.security_token)

    try:
        request = _build_request(trigger, config, credentials)
    except BadRequestError as error:
        return _reject(error, trigger, request_id, config, credentials, deadline, log_fields)
    except Exception as error:  # a manifest that could not be read now may be readable on redelivery
        logs.error("manifest could not be read; failing so FC retries", error=str(error), **log_fields)
        raise

    results, vod_stats = _cancel(request, config, credentials, deadline)
    parts = ResultsParts(
        results,
        request_id=request_id,
        source=trigger.source,
        dedupe_key=trigger.dedupe_key,
        max_bytes=config.max_message_bytes,
    )
    summary = {
        **log_fields,
        "counts": parts.counts,
        "parts": parts.count,
        "vod": vod_stats,
    }
    documents = list(parts) if parts.count == 1 else parts  # one part: it is also the whole document, below
    try:
        _publish(documents, config, credentials, deadline)  # several parts: built and sent one at a time
        published = True
    except Exception as error:  # NotifyError or an SDK surprise: nobody has been told
        published = False
        logs.error("results could not be published", error=str(error), **summary)
        if trigger.source != "http":
            raise
    logs.info(
        "cancel request handled",
        published=published,
        durationMs=round((time.monotonic() - started) * 1000, 1),
        **summary,
    )
    if trigger.source != "http" and len(results) > config.max_request_items:
        # A manifest result this big is on the topic in parts; holding it whole again (several MB per 10,000
        # items) just to return it is what would break the 128 MB instance. The return value is its summary.
        return parts.summary()
    if isinstance(documents, list):
        full_document = documents[0][0]
    else:
        full_document = results_documents(
            results,
            request_id=request_id,
            source=trigger.source,
            dedupe_key=trigger.dedupe_key,
            max_bytes=_UNLIMITED_BYTES,
        )[0][0]
    if trigger.source == "http":
        return _http_response(200, full_document, {"X-Results-Published": "true" if published else "false"})
    return full_document


def _handle_unwrappable(
    error: BadRequestError,
    trigger: TriggerEvent,
    context: Any,
    request_id: str,
    deadline: float,
    log_fields: dict[str, Any],
) -> Any:
    """An event we cannot even unwrap (e.g. a broken OSS envelope): reject it visibly, never retry it."""
    log_fields = {**log_fields, "source": trigger.source}
    config = settings()
    credentials = credentials_from(context)
    logs.register_secrets(credentials.access_key_secret, credentials.security_token)
    return _reject(error, trigger, request_id, config, credentials, deadline, log_fields)
