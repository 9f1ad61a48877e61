"""The two VOD calls the canceller makes, through the official SDK (alibabacloud-vod20170321).

Each call is paced by the instance-wide limiter of its API (the quota is per account, so every worker thread shares
it), retried until the cutoff (lib.retry), and every attempt gets socket timeouts capped to the time left, so a slow
answer cannot overrun the invocation. The time spent in VOD calls is added up per thread: the canceller sizes its
concurrency by it. The SDK is imported when a call is made, never at module import.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from lib.decisions import JobInfo
from lib.ratelimit import QuotaLimiter
from lib.retry import CallStats, RetryPolicy, call_with_retry

__all__ = ["CANCEL_API", "INFO_API", "VodApi"]

CANCEL_API = "CancelUrlUploadJobs"
INFO_API = "GetURLUploadInfos"
_SDK_CALLS = {
    CANCEL_API: ("CancelUrlUploadJobsRequest", "cancel_url_upload_jobs_with_options"),
    INFO_API: ("GetURLUploadInfosRequest", "get_urlupload_infos_with_options"),
}
"""Each API's request model and client method in alibabacloud-vod20170321."""


def _as_str_list(value: Any) -> list[str]:
    """A response list field, tolerating what the SDK lets through untyped (None, a bare string)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    return [str(entry) for entry in value if entry is not None]


class VodApi:
    """CancelUrlUploadJobs and GetURLUploadInfos for one invocation; every call is counted in ``stats``."""

    def __init__(
        self,
        client: Any,
        *,
        cancel_limiter: QuotaLimiter,
        info_limiter: QuotaLimiter,
        connect_timeout_ms: int,
        read_timeout_ms: int,
        retry: RetryPolicy,
        stats: CallStats,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self.cancel_limiter = cancel_limiter
        self._info_limiter = info_limiter
        self._connect_timeout_ms = connect_timeout_ms
        self._read_timeout_ms = read_timeout_ms
        self._retry = retry
        self._stats = stats
        self._clock = clock
        self._spent = threading.local()

    def cancel(
        self, cutoff: float, *, job_ids: str | None = None, upload_urls: str | None = None
    ) -> tuple[list[str], list[str]]:
        """(CanceledJobs, NonExists) for one comma-joined JobIds or UploadUrls value."""
        body = self._call(CANCEL_API, self.cancel_limiter, cutoff, job_ids=job_ids, upload_urls=upload_urls)
        if body is None:
            return [], []
        return _as_str_list(body.canceled_jobs), _as_str_list(body.non_exists)

    def infos(self, cutoff: float, *, job_ids: str | None = None, upload_urls: str | None = None) -> list[JobInfo]:
        """The jobs GetURLUploadInfos knows for one comma-joined JobIds or UploadURLs value."""
        body = self._call(INFO_API, self._info_limiter, cutoff, job_ids=job_ids, upload_urls=upload_urls)
        return [
            JobInfo(
                job_id=str(entry.job_id or ""),
                upload_url=str(entry.upload_url or ""),
                status=str(entry.status or ""),
                creation_time=str(entry.creation_time or ""),
            )
            for entry in getattr(body, "urlupload_info_list", None) or []
            if entry is not None and entry.job_id
        ]

    def start_timing(self) -> None:
        """Start adding up this thread's time in VOD calls (limiter waits and backoff sleeps excluded)."""
        self._spent.seconds = 0.0

    def timed_seconds(self) -> float:
        return getattr(self._spent, "seconds", 0.0)

    def _call(self, api: str, limiter: QuotaLimiter, cutoff: float, **fields: str | None) -> Any:
        """The response body of ``api`` called with ``fields``, paced and retried until the cutoff."""
        from alibabacloud_vod20170321 import models

        request_class, method = _SDK_CALLS[api]
        request = getattr(models, request_class)(**fields)
        send = getattr(self._client, method)

        def attempt(budget_s: float) -> Any:
            runtime = self._runtime(budget_s)
            started = self._clock()
            try:
                return send(request, runtime).body
            finally:
                self._spent.seconds = self.timed_seconds() + self._clock() - started

        return call_with_retry(
            api, attempt, cutoff=cutoff, limiter=limiter, policy=self._retry, stats=self._stats, clock=self._clock
        )

    def _runtime(self, budget_s: float) -> Any:
        """Per-attempt socket timeouts, capped so connect + read together fit in the time left."""
        from darabonba.runtime import RuntimeOptions

        half_ms = max(1, int(budget_s * 500))
        return RuntimeOptions(
            connect_timeout=min(self._connect_timeout_ms, half_ms),
            read_timeout=min(self._read_timeout_ms, half_ms),
        )
