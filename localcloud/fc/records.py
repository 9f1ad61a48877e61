"""What the local FC remembers of each invocation attempt, and the record FC sends to async destinations."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from localcloud.fc.runtime import WorkerResult


def _text_or_base64(data: bytes) -> dict[str, Any]:
    try:
        return {"text": data.decode("utf-8"), "base64": False}
    except UnicodeDecodeError:
        return {"text": base64.b64encode(data).decode("ascii"), "base64": True}


@dataclass
class InvocationRecord:
    """One attempt of one invocation. Async retries share the request id and count up ``attempt``."""

    request_id: str
    source: str  # "api" | "http" | "oss" | "mns" | "destination"
    trigger: str | None
    invocation_type: str  # "Sync" | "Async"
    event: bytes
    status: str  # "succeeded" | "failed" | "timeout"
    result: bytes = b""
    error: dict[str, Any] | None = None
    duration_ms: float = 0.0
    attempt: int = 1
    cold_start: bool = False
    logs: str = ""
    instance_id: str = ""
    started_at: float = 0.0
    max_memory_mb: float | None = None

    @property
    def error_type(self) -> str | None:
        return (self.error or {}).get("errorType")

    def result_json(self) -> Any:
        """The result parsed as JSON (what most tests want)."""
        return json.loads(self.result)

    def to_dict(self) -> dict[str, Any]:
        event, result = _text_or_base64(self.event), _text_or_base64(self.result)
        return {
            "request_id": self.request_id,
            "source": self.source,
            "trigger": self.trigger,
            "invocation_type": self.invocation_type,
            "status": self.status,
            "attempt": self.attempt,
            "cold_start": self.cold_start,
            "duration_ms": round(self.duration_ms, 3),
            "instance_id": self.instance_id,
            "started_at": self.started_at,
            "max_memory_mb": self.max_memory_mb,
            "event": event["text"],
            "event_base64": event["base64"],
            "result": result["text"],
            "result_base64": result["base64"],
            "error": self.error,
            "logs": self.logs,
        }


def destination_record(record: InvocationRecord, function_arn: str) -> dict[str, Any]:
    """The JSON FC sends to an async destination (FC result-callback doc's shape; values partly inferred)."""
    failed = record.status != "succeeded"
    response = json.dumps(record.error) if failed else record.result.decode("utf-8", errors="replace")
    return {
        "timestamp": int(record.started_at * 1000 + record.duration_ms),
        "requestContext": {
            "requestId": record.request_id,
            "functionArn": function_arn,
            "condition": "UnhandledInvocationError" if failed else "Success",
            "approximateInvokeCount": record.attempt,
        },
        "requestPayload": record.event.decode("utf-8", errors="replace"),
        "responseContext": {
            "statusCode": 200,
            "functionError": "UnhandledInvocationError" if failed else "",
        },
        "responsePayload": response,
    }


def framed_logs(request_id: str, result: WorkerResult) -> str:
    """FC's log lines around the function's own output."""
    body = result.logs if not result.logs or result.logs.endswith("\n") else result.logs + "\n"
    end = f"FC Invoke End RequestId: {request_id}"
    if result.status == "timeout" or (result.error or {}).get("errorType") == "ProcessExited":
        end += f", Error: {(result.error or {}).get('errorMessage')}"
    return f"FC Invoke Start RequestId: {request_id}\n{body}{end}\n"
