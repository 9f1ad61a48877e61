"""Going on in a new invocation: starting it through FC (lib.handoff writes the event it carries).

When the deadline nears with items left, the function hands its checkpoint to a new asynchronous invocation of
itself, through FC 3.0's own API (``InvokeFunction``, 2023-03-30, ``x-fc-invocation-type: Async``, with the
official SDK ``alibabacloud-fc20230330`` and the function's role). FC then applies its async machinery to every
continuation as to the first invocation: its retries (``maxAsyncRetryAttempts``) and its ``onFailure``
destination.

The event names only the checkpoint (a key under ``CHECKPOINT_PREFIX``, in the manifest bucket) and the token the
checkpoint holds for this hand-off; the checkpoint holds the manifests. An event that names anything else, or a
checkpoint whose token differs (a stale or forged event), is ignored: an invocation cannot be made to read an
object the function did not write for itself. The SDK is imported only when a continuation is started.
"""

from __future__ import annotations

from typing import Any

from lib import clients, logs
from lib.config import Credentials, Settings
from lib.retry import CallFailed, call_with_retry

__all__ = ["ContinuationFailed", "prepare_continuation", "start_continuation"]

INVOKE_API = "InvokeFunction"


class ContinuationFailed(Exception):
    """The next invocation could not be started: what is left is reported instead of being cancelled.
    ``attempted`` is False when not even one call could be made in the time left (FC said nothing)."""

    def __init__(self, code: str, message: str, *, attempted: bool = True) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.attempted = attempted


def prepare_continuation(settings: Settings, credentials: Credentials) -> None:
    """Load the FC SDK and build its client ahead of :func:`start_continuation` (it is the slowest part, and the
    invocation is about to run out of time)."""
    if settings.fc_endpoint:
        clients.fc_client(settings, credentials)


def start_continuation(
    settings: Settings, credentials: Credentials, function_name: str, event: bytes, *, cutoff: float
) -> str:
    """Invoke ``function_name`` asynchronously with ``event``; FC's request id of the new invocation.

    Transient failures are retried until ``cutoff``; ContinuationFailed when FC does not accept it.
    """
    if not settings.fc_endpoint:
        raise ContinuationFailed("MissingSetting", "FC_ENDPOINT is not set and FC_ACCOUNT_ID is unknown")
    client = clients.fc_client(settings, credentials)
    from alibabacloud_fc20230330 import models
    from darabonba.runtime import RuntimeOptions

    request = models.InvokeFunctionRequest(body=event)
    headers = models.InvokeFunctionHeaders(x_fc_invocation_type="Async")

    def attempt(budget_s: float) -> Any:
        half_ms = max(1, int(budget_s * 500))
        runtime = RuntimeOptions(connect_timeout=min(5000, half_ms), read_timeout=min(10000, half_ms))
        return client.invoke_function_with_options(function_name, request, headers, runtime)

    try:
        response = call_with_retry(INVOKE_API, attempt, cutoff=cutoff)
    except CallFailed as failure:
        raise ContinuationFailed(failure.code, logs.redact(failure.message), attempted=failure.attempts > 0) from None
    status = response.status_code
    if status != 202:
        raise ContinuationFailed(f"HTTP{status}", f"{INVOKE_API} answered {status}, not 202 Accepted")
    return str((response.headers or {}).get("x-fc-request-id", ""))
