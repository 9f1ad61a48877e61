"""VOD state: URL-upload jobs, their lifecycle, per-account QPS quotas and the log of handled calls.

Models never see HTTP: the wire layer hands them :class:`Item` lists (already split and URL-decoded) and
renders what they return. Job status is computed lazily on read from the clock and :class:`JobPolicy`,
like moto's ManagedState, so no background thread moves jobs and tests can jump time with
``cloud.clock.advance``.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any, Literal

from localcloud.clock import Clock
from localcloud.core.backend import BaseBackend

PENDING = "PENDING"
PROCESSING = "PROCESSING"
SUCCESS = "SUCCESS"
FAIL = "FAIL"
CANCELED = "CANCELED"
STATUSES = (PENDING, PROCESSING, SUCCESS, FAIL, CANCELED)

# Real per-account QPS limits (VOD "QPS limits on API operations"); UploadMediaByURL is limited per day only.
DEFAULT_QUOTAS: dict[str, int | None] = {
    "CancelUrlUploadJobs": 50,
    "GetURLUploadInfos": 100,
    "UploadMediaByURL": None,
}
# How a quota counts calls. VOD does not document it; the window is the default (see localcloud/README.md).
QUOTA_RULE_KINDS = ("window", "bucket")
DEFAULT_FILE_SIZE = 10 * 1024 * 1024
CALL_LOG_LIMIT = 100_000  # a long soak must not grow memory without bound; the counts stay exact
FAIL_CODE = "DownloadFailed"  # unconfirmed: the real error codes of failed URL uploads are not documented
FAIL_MESSAGE = "Failed to download the file from the source URL."
# GetURLUploadInfos' sample shows a SUCCESS job with ErrorCode "200"; its ErrorMessage there is a placeholder
# ("error_message"), so a finished job carries an empty message.
SUCCESS_CODE = "200"
SUCCESS_MESSAGE = ""


@dataclass
class JobPolicy:
    """How jobs move on their own. ``None`` = never by themselves (only via start_job/finish_job).

    ``start_after_s`` counts from creation (PENDING → PROCESSING); ``finish_after_s`` counts from the start
    (PROCESSING → SUCCESS, or FAIL for a ``fail_rate`` share of jobs, chosen by job id so it is repeatable).
    """

    start_after_s: float | None = None
    finish_after_s: float | None = None
    fail_rate: float = 0.0


@dataclass(frozen=True)
class Item:
    """One item of a JobIds/UploadURLs list: ``sent`` as it arrived, ``key`` the job id or decoded URL."""

    sent: str
    key: str


@dataclass(frozen=True)
class VodCall:
    """One handled request, for assertions such as "the function made zero VOD calls"."""

    action: str
    params: dict[str, str]
    status: int
    error_code: str | None
    access_key_id: str | None
    at: float


@dataclass(frozen=True)
class JobInfo:
    """A consistent snapshot of a job, taken under the backend lock (what GetURLUploadInfos reports)."""

    job_id: str
    upload_url: str
    status: str
    created_at: float
    completed_at: float | None
    media_id: str | None
    file_size: int | None
    error_code: str | None
    error_message: str | None
    user_data: str | None


class Job:
    """A URL-upload job. ``status`` is brought up to date with the clock and policy whenever it is read."""

    def __init__(
        self,
        backend: VodBackend,
        job_id: str,
        upload_url: str,
        created_at: float,
        user_data: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self._backend = backend
        self.job_id = job_id
        self.upload_url = upload_url
        self.created_at = created_at
        self.user_data = user_data
        self.metadata = metadata or {}
        self.started_at: float | None = None
        self.completed_at: float | None = None
        self.media_id: str | None = None
        self.file_size: int | None = None
        self.error_code: str | None = None
        self.error_message: str | None = None
        self._status = PENDING

    @property
    def status(self) -> str:
        with self._backend._lock:
            self._backend._refresh(self)
            return self._status

    def __repr__(self) -> str:
        return f"Job({self.job_id!r}, {self.upload_url!r}, {self._status})"

    def info(self) -> JobInfo:
        with self._backend._lock:
            self._backend._refresh(self)
            return JobInfo(
                self.job_id,
                self.upload_url,
                self._status,
                self.created_at,
                self.completed_at,
                self.media_id,
                self.file_size,
                self.error_code,
                self.error_message,
                self.user_data,
            )

    # -- transitions (caller holds the backend lock) -----------------------------------------------------
    def _start(self, at: float) -> None:
        self._status = PROCESSING
        self.started_at = at

    def _finish(self, at: float, success: bool) -> None:
        self.completed_at = at
        if success:
            self._status = SUCCESS
            self.media_id = uuid.uuid5(uuid.NAMESPACE_URL, self.job_id).hex
            self.file_size = DEFAULT_FILE_SIZE
            self.error_code, self.error_message = SUCCESS_CODE, SUCCESS_MESSAGE
        else:
            self._status = FAIL
            self.error_code, self.error_message = FAIL_CODE, FAIL_MESSAGE

    def _cancel(self) -> None:
        self._status = CANCELED


@dataclass(frozen=True)
class QuotaRule:
    """How VOD counts an account's calls of one API against its quota of N calls/s (undocumented: both offered).

    ``"window"``: at most N accepted calls in any trailing second (a sliding window). ``"bucket"``: a token bucket
    refilled at N tokens/s that holds at most ``burst`` (None: N, one second's worth) and starts full; each
    accepted call takes a token. Throttled calls count against neither.
    """

    kind: Literal["window", "bucket"] = "window"
    burst: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in QUOTA_RULE_KINDS:
            raise ValueError(f"unknown quota rule {self.kind!r}; one of {QUOTA_RULE_KINDS}")
        if self.burst is not None and (self.kind != "bucket" or self.burst < 1):
            raise ValueError("burst is a bucket's size: a whole number of calls ≥ 1, for kind 'bucket' only")

    @classmethod
    def parse(cls, text: str) -> QuotaRule:
        """``window``, ``bucket`` or ``bucket:BURST`` (the CLI's spelling)."""
        kind, _, burst = text.strip().partition(":")
        try:
            return cls(kind, int(burst) if burst else None)  # type: ignore[arg-type]
        except ValueError as exc:
            raise ValueError(f"quota rule {text!r}: expected window, bucket or bucket:BURST ({exc})") from None

    def __str__(self) -> str:
        return self.kind if self.burst is None else f"{self.kind}:{self.burst}"


DEFAULT_QUOTA_RULE = QuotaRule()


class QuotaCounter:
    """One account's count of one API's calls under one rule: ``try_acquire`` decides a call and counts it.

    Plain state on the caller's clock: the backend keeps one per account and API, and a unit test can replay
    either rule in process.
    """

    def __init__(self, rule: QuotaRule) -> None:
        self._rule = rule
        self._lock = threading.Lock()
        self._times: deque[float] = deque()  # window: accepted calls in the trailing second
        self._tokens: float | None = None  # bucket: None until the first call (a new bucket is full)
        self._filled_at = 0.0

    def try_acquire(self, now: float, limit: int) -> bool:
        with self._lock:
            if self._rule.kind == "bucket":
                return self._take_token(now, limit)
            times = self._times
            while times and times[0] <= now - 1.0:
                times.popleft()
            if len(times) >= limit:
                return False
            times.append(now)
            return True

    def _take_token(self, now: float, rate: int) -> bool:
        burst = self._rule.burst or rate
        if self._tokens is None:
            self._tokens = float(burst)
        else:
            self._tokens = min(float(burst), self._tokens + max(0.0, now - self._filled_at) * rate)
        self._filled_at = max(self._filled_at, now)
        if self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        return True


@dataclass
class CancelResult:
    canceled_jobs: list[str] = field(default_factory=list)
    non_exists: list[Item] = field(default_factory=list)


@dataclass
class InfoResult:
    jobs: list[JobInfo] = field(default_factory=list)
    non_exists: list[Item] = field(default_factory=list)


class VodBackend(BaseBackend):
    """ApsaraVideo VOD URL uploads (API 2017-03-21). Python API for tests (internal, may change):

    - jobs: ``seed_job(url, status, user_data, job_id)``, ``start_job``, ``finish_job``, ``job``, ``jobs``,
      ``jobs_for_url``; ``policy`` (:class:`JobPolicy`) moves jobs with ``cloud.clock``.
    - calls: ``calls`` (the latest :data:`CALL_LOG_LIMIT` :class:`VodCall` records, oldest first) and
      ``call_count(action=None, status=None)`` (exact, over all calls since the last reset).
    - knobs: ``quotas[action] = n | None``, ``quota_rules[action]`` (:class:`QuotaRule`: a sliding window or a
      token bucket; ``set_quota_rule(rule, action=None)``; the constructor's ``quota_rules`` are the defaults),
      ``forbidden_access_keys`` (set), ``non_exists_url_form``
      (``"sent"`` echoes URL items URL-encoded as sent, ``"decoded"`` echoes the decoded URL),
      ``send_retry_after_ms`` (adds ``x-acs-retry-after`` to throttling errors; real behaviour unconfirmed).
    - ``reset()`` forgets everything and restores the defaults.
    """

    def __init__(self, clock: Clock, quota_rules: dict[str, QuotaRule] | None = None) -> None:
        """``quota_rules`` (action → rule, over the default window) is what :meth:`reset` comes back to."""
        self._clock = clock
        self._lock = threading.RLock()
        self._jobs: dict[str, Job] = {}
        self._by_url: dict[str, list[Job]] = {}
        self._calls: deque[VodCall] = deque(maxlen=CALL_LOG_LIMIT)
        self._call_counts: Counter[tuple[str, int]] = Counter()
        self._counters: dict[tuple[str, str, QuotaRule], QuotaCounter] = {}
        self.policy = JobPolicy()
        self.quotas: dict[str, int | None] = dict(DEFAULT_QUOTAS)
        self.quota_rules: dict[str, QuotaRule] = {action: DEFAULT_QUOTA_RULE for action in DEFAULT_QUOTAS}
        self.quota_rules.update(quota_rules or {})
        self.forbidden_access_keys: set[str] = set()
        self.non_exists_url_form: Literal["sent", "decoded"] = "sent"
        self.send_retry_after_ms: int | None = None

    # -- test API: jobs ----------------------------------------------------------------------------------
    def seed_job(self, url: str, status: str = PENDING, user_data: str | None = None, job_id: str | None = None) -> Job:
        """Create a job for ``url`` directly in ``status`` (as if UploadMediaByURL had run earlier)."""
        if status not in STATUSES:
            raise ValueError(f"unknown job status {status!r}; one of {STATUSES}")
        with self._lock:
            job = self._create(url, user_data=user_data, job_id=job_id)
            now = job.created_at
            if status in (PROCESSING, SUCCESS, FAIL):
                job._start(now)
            if status in (SUCCESS, FAIL):
                job._finish(now, success=status == SUCCESS)
            elif status == CANCELED:
                job._cancel()
            return job

    def start_job(self, job_id: str) -> Job:
        """PENDING → PROCESSING now (the job can no longer be cancelled)."""
        with self._lock:
            job = self._get(job_id)
            if job._status != PENDING:
                raise ValueError(f"job {job_id} is {job._status}, not {PENDING}")
            job._start(self._clock.now())
            return job

    def finish_job(self, job_id: str, success: bool = True) -> Job:
        """PENDING/PROCESSING → SUCCESS (or FAIL) now."""
        with self._lock:
            job = self._get(job_id)
            now = self._clock.now()
            if job._status == PENDING:
                job._start(now)
            if job._status != PROCESSING:
                raise ValueError(f"job {job_id} is {job._status}; only pending or processing jobs can finish")
            job._finish(now, success)
            return job

    def job(self, job_id: str) -> Job | None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None:
                self._refresh(job)
            return job

    def jobs(self) -> list[Job]:
        with self._lock:
            jobs = list(self._jobs.values())
            for job in jobs:
                self._refresh(job)
            return jobs

    def jobs_for_url(self, url: str) -> list[Job]:
        """Every job ever created for ``url`` (the original, decoded URL), oldest first."""
        with self._lock:
            jobs = list(self._by_url.get(url, ()))
            for job in jobs:
                self._refresh(job)
            return jobs

    # -- test API: calls ---------------------------------------------------------------------------------
    @property
    def calls(self) -> list[VodCall]:
        with self._lock:
            return list(self._calls)

    def call_count(self, action: str | None = None, status: int | None = None) -> int:
        with self._lock:
            return sum(
                count
                for (call_action, call_status), count in self._call_counts.items()
                if action in (None, call_action) and status in (None, call_status)
            )

    def record_call(self, call: VodCall) -> None:
        with self._lock:
            self._calls.append(call)
            self._call_counts[call.action, call.status] += 1

    # -- quotas ------------------------------------------------------------------------------------------
    def set_quota_rule(self, rule: QuotaRule | str, action: str | None = None) -> None:
        """Count ``action``'s calls (every API's when None) by ``rule`` from now on (a new rule starts afresh)."""
        rule = QuotaRule.parse(rule) if isinstance(rule, str) else rule
        for name in [action] if action is not None else list(self.quotas):
            self.quota_rules[name] = rule

    def admit(self, action: str, account_id: str) -> bool:
        """Count one call against the account's per-second quota for ``action``; False = throttle it."""
        limit = self.quotas.get(action)
        if limit is None:
            return True
        key = (account_id, action, self.quota_rules.get(action, DEFAULT_QUOTA_RULE))
        counter = self._counters.get(key)
        if counter is None:
            with self._lock:
                counter = self._counters.setdefault(key, QuotaCounter(key[2]))
        return counter.try_acquire(self._clock.now(), limit)

    # -- API operations ----------------------------------------------------------------------------------
    def upload_media_by_url(
        self, items: list[Item], metadatas: dict[str, dict[str, Any]], user_data: str | None
    ) -> list[tuple[Job, Item]]:
        """One new PENDING job per item, even for a URL already uploaded (VOD makes a new media each time)."""
        with self._lock:
            created = []
            for item in items:
                metadata = metadatas.get(item.sent) or metadatas.get(item.key)
                created.append((self._create(item.key, user_data=user_data, metadata=metadata), item))
            return created

    def get_url_upload_infos(self, job_ids: list[Item] | None, urls: list[Item] | None) -> InfoResult:
        result = InfoResult()
        with self._lock:
            for item, jobs in self._lookup(job_ids, urls):
                if jobs:
                    result.jobs.extend(job.info() for job in jobs)
                else:
                    result.non_exists.append(item)
        return result

    def cancel_url_upload_jobs(self, job_ids: list[Item] | None, urls: list[Item] | None) -> CancelResult:
        """Cancel PENDING jobs; a job that exists but started is in neither result list."""
        result = CancelResult()
        with self._lock:
            for item, jobs in self._lookup(job_ids, urls):
                if not jobs:
                    result.non_exists.append(item)
                for job in jobs:
                    if job._status == PENDING:
                        job._cancel()
                        result.canceled_jobs.append(job.job_id)
        return result

    # -- internals (caller holds the lock) ---------------------------------------------------------------
    def _lookup(self, job_ids: list[Item] | None, urls: list[Item] | None) -> list[tuple[Item, list[Job]]]:
        """Each item with its jobs, refreshed; JobIds wins when both are given."""
        found = []
        if job_ids is not None:
            for item in job_ids:
                job = self._jobs.get(item.key)
                found.append((item, [job] if job is not None else []))
        else:
            for item in urls or []:
                found.append((item, list(self._by_url.get(item.key, ()))))
        for _, jobs in found:
            for job in jobs:
                self._refresh(job)
        return found

    def _create(
        self,
        url: str,
        user_data: str | None = None,
        job_id: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Job:
        job_id = job_id or uuid.uuid4().hex
        if job_id in self._jobs:
            raise ValueError(f"job {job_id} already exists")
        job = Job(self, job_id, url, self._clock.now(), user_data=user_data, metadata=metadata)
        self._jobs[job_id] = job
        self._by_url.setdefault(url, []).append(job)
        return job

    def _get(self, job_id: str) -> Job:
        job = self._jobs.get(job_id)
        if job is None:
            raise KeyError(f"no VOD job {job_id}")
        self._refresh(job)
        return job

    def _refresh(self, job: Job) -> None:
        """Apply the time-driven transitions the policy implies up to now (ManagedState-style, lazily)."""
        policy = self.policy
        if policy.start_after_s is None and policy.finish_after_s is None:
            return
        now = self._clock.now()
        if job._status == PENDING and policy.start_after_s is not None:
            start_at = job.created_at + policy.start_after_s
            if now >= start_at:
                job._start(start_at)
        if job._status == PROCESSING and policy.finish_after_s is not None and job.started_at is not None:
            finish_at = job.started_at + policy.finish_after_s
            if now >= finish_at:
                job._finish(finish_at, success=not _fails(job.job_id, policy.fail_rate))


def _fails(job_id: str, fail_rate: float) -> bool:
    """Repeatable per job: the job id's hash, not read order, decides which jobs fail."""
    if fail_rate <= 0:
        return False
    digest = uuid.uuid5(uuid.NAMESPACE_OID, job_id).int
    return (digest % 10_000) / 10_000 < fail_rate
