"""Classify VOD SDK errors and retry transient ones until the invocation's deadline.

The VOD SDK (alibabacloud-tea-openapi 0.4.x on darabonba-core) does not retry by default and raises:
``ClientException`` (4xx), ``ServerException`` (5xx), ``ThrottlingException`` (any status with a positive
``x-acs-retry-after`` header, ``.retry_after`` in ms), and ``UnretryableException`` whose ``.inner_exception``
is a ``RetryError`` for I/O failures (timeouts, resets, refused connections) or a ``RuntimeError`` for an
unparsable body. This module never imports the SDK: it reads attributes and class names, so it stays cheap to
import and the classification works on whichever SDK generation raised.

Retries run until the deadline rather than a fixed count: a throttled burst of 100,000 URLs must still drain,
and the deadline is what bounds the invocation. Times are ``time.monotonic()`` seconds.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from lib.limits import MAX_ERROR_MESSAGE_CHARS

__all__ = ["Backoff", "CallFailed", "CallStats", "ErrorInfo", "RetryPolicy", "call_with_retry", "classify", "scrub"]

T = TypeVar("T")

# Codes compared lower-cased. VOD spells ServiceUnAvailable; gateways spell ServiceUnavailable.
THROTTLE_CODES = frozenset({"throttling", "throttling.user", "throttling.api"})
TRANSIENT_CODES = frozenset({"serviceunavailable", "internalerror", "serviceunavailable.temporary"})
# A nonce collision: the SDK draws a fresh nonce per attempt, so one retry fixes it; never loop on it.
FLAKY_CODES = frozenset({"signaturenonceused"})
PERMANENT_PREFIXES = (
    "invalidparameter",
    "missingparameter",
    "forbidden",
    "operationdenied",
    "signaturedoesnotmatch",
    "invalidaccesskeyid",
    "invalidsecuritytoken",
    "invalidtimestamp",
    "invalidcredentials",
)
# Errors we cannot explain (unparsable bodies, unknown wrappers) get a few attempts, not the whole deadline.
UNEXPLAINED_MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class ErrorInfo:
    """What one failed attempt means: the code to report, and whether (and how soon) to try again."""

    code: str
    message: str
    retryable: bool
    throttled: bool = False
    status: int | None = None
    retry_after_s: float | None = None
    max_attempts: int | None = None  # None: retry until the deadline


class CallFailed(Exception):
    """A call that will not succeed within this invocation; ``code``/``message`` are safe to report."""

    def __init__(self, code: str, message: str, attempts: int) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.attempts = attempts


_SECRET_PARAM = re.compile(
    r"(?i)(signature|securitytoken|security-token|accesskeysecret|access_key_secret|accesskeyid|authorization)"
    r"([\"']?\s*[=:]\s*[\"']?)[^\s&,\"')]+"
)
_QUERY = re.compile(r"\?[^\s\"'()]*=[^\s\"'()]*")
_STRING_TO_SIGN = re.compile(r"(?is)(string\s*to\s*sign|stringtosign).*")


def scrub(text: object, limit: int = MAX_ERROR_MESSAGE_CHARS) -> str:
    """An SDK/transport message made safe to publish: no query strings, credentials or string-to-sign."""
    s = str(text)
    s = _STRING_TO_SIGN.sub(r"\1 <redacted>", s)
    s = _QUERY.sub("?<query>", s)
    s = _SECRET_PARAM.sub(r"\1\2<redacted>", s)
    s = " ".join(s.split())
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _status_of(exc: BaseException) -> int | None:
    for attr in ("status_code", "statusCode"):
        value = getattr(exc, attr, None)
        if isinstance(value, int):
            return value
    data = getattr(exc, "data", None)
    if isinstance(data, dict) and isinstance(data.get("statusCode"), int):
        return data["statusCode"]
    return None


def _class_names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def _io_code(exc: BaseException, text: str) -> str:
    low = f"{type(exc).__name__} {text}".lower()
    if "timed out" in low or "timeout" in low:
        return "NetworkTimeout"
    if "refused" in low:
        return "ConnectionRefused"
    if any(word in low for word in ("reset", "aborted", "remotedisconnected", "broken", "closed")):
        return "ConnectionReset"
    return "NetworkError"


def _classify_io(exc: BaseException, text: str) -> ErrorInfo:
    return ErrorInfo(code=_io_code(exc, text), message=scrub(text) or type(exc).__name__, retryable=True)


def _classify_response(exc: BaseException) -> ErrorInfo:
    status = _status_of(exc)
    raw_code = getattr(exc, "code", None)
    code = str(raw_code) if raw_code not in (None, "", "None") else (f"HTTP{status}" if status else "UnknownError")
    message = scrub(getattr(exc, "message", None) or exc)
    low = code.lower()
    retry_after = getattr(exc, "retry_after", None)
    retry_after_s = retry_after / 1000.0 if isinstance(retry_after, (int, float)) and retry_after > 0 else None
    is_throttling_exc = "ThrottlingException" in _class_names(exc)
    if is_throttling_exc or low in THROTTLE_CODES or low.startswith("throttling."):
        return ErrorInfo(code, message, True, True, status, retry_after_s)
    if low in TRANSIENT_CODES:
        return ErrorInfo(code, message, True, False, status, retry_after_s)
    if low in FLAKY_CODES:
        return ErrorInfo(code, message, True, False, status, retry_after_s, max_attempts=UNEXPLAINED_MAX_ATTEMPTS)
    if low.startswith(PERMANENT_PREFIXES):
        return ErrorInfo(code, message, False, False, status)
    if status is not None and status >= 500:
        return ErrorInfo(code, message, True, False, status, retry_after_s)
    return ErrorInfo(code, message, False, False, status)


def classify(exc: BaseException) -> ErrorInfo:
    """Map any exception from a VOD call to an :class:`ErrorInfo` (never raises)."""
    names = _class_names(exc)
    if "UnretryableException" in names:
        inner = getattr(exc, "inner_exception", None)
        if inner is not None and inner is not exc:
            return classify(inner)
        return ErrorInfo("UnexpectedError", scrub(exc), True, max_attempts=UNEXPLAINED_MAX_ATTEMPTS)
    if "ResponseException" in names or "AlibabaCloudException" in names or "TeaException" in names:
        return _classify_response(exc)
    if "RetryError" in names:  # darabonba's wrapper of requests' IOError: text is all that survives
        return _classify_io(exc, str(getattr(exc, "message", None) or exc))
    if isinstance(exc, OSError) or type(exc).__module__.split(".")[0] in ("requests", "urllib3"):
        return _classify_io(exc, str(exc) or type(exc).__name__)
    if isinstance(exc, RuntimeError):  # the SDK's "Failed to parse the value as json format"
        return ErrorInfo("InvalidResponse", scrub(exc), True, max_attempts=UNEXPLAINED_MAX_ATTEMPTS)
    return ErrorInfo("UnexpectedError", scrub(f"{type(exc).__name__}: {exc}"), False)


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with full jitter (AWS architecture blog): sleep U(0, min(cap, base * 2**n))."""

    base_s: float = 0.08
    cap_s: float = 3.0

    def ceiling(self, retry_number: int) -> float:
        """Upper bound of the delay before retry number ``retry_number`` (1 = first retry)."""
        return min(self.cap_s, self.base_s * (2 ** max(0, retry_number - 1)))

    def delay(self, retry_number: int, retry_after_s: float | None = None, rng: random.Random | None = None) -> float:
        """The delay before retry ``retry_number``; never shorter than the server's ``retry_after``."""
        jitter = (rng or random).uniform(0.0, self.ceiling(retry_number))
        return max(jitter, retry_after_s or 0.0)


class Limiter(Protocol):
    """Pacing (lib.ratelimit): a permit per attempt, handed back with the attempt's answer."""

    def acquire(self, deadline: float | None = None) -> Any: ...

    def accepted(self, permit: Any) -> None: ...

    def throttled(self, pause_s: float | None = None, permit: Any = None) -> None: ...


@dataclass
class CallStats:
    """Thread-safe counters for one invocation's VOD traffic, for the summary log line."""

    calls: dict[str, int] = field(default_factory=dict)
    retries: int = 0
    throttles: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def record_call(self, api: str) -> None:
        with self._lock:
            self.calls[api] = self.calls.get(api, 0) + 1

    def record_error(self, info: ErrorInfo, will_retry: bool) -> None:
        with self._lock:
            self.errors[info.code] = self.errors.get(info.code, 0) + 1
            self.throttles += int(info.throttled)
            self.retries += int(will_retry)

    def as_dict(self) -> dict[str, object]:
        with self._lock:
            return {
                "calls": dict(self.calls),
                "retries": self.retries,
                "throttles": self.throttles,
                "errors": dict(self.errors),
            }


@dataclass(frozen=True)
class RetryPolicy:
    """How one API call is retried.

    ``min_attempt_s``: the least time an attempt needs; no attempt starts (and no backoff sleep begins) unless
    that much is left before the cutoff. Each attempt is told its time budget so its socket timeouts can be
    capped to the cutoff and a slow answer cannot overrun the invocation.
    """

    backoff: Backoff = field(default_factory=Backoff)
    min_attempt_s: float = 0.3


def call_with_retry(
    api: str,
    attempt: Callable[[float], T],
    *,
    cutoff: float,
    limiter: Limiter | None = None,
    policy: RetryPolicy | None = None,
    stats: CallStats | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> T:
    """Run ``attempt(budget_s)`` until it succeeds, fails permanently, or the cutoff leaves no room to retry.

    Raises :class:`CallFailed` with code ``DeadlineExceeded`` when no attempt could be started at all, else
    with the last error's code and a message that says how many attempts were made and why we stopped.
    """
    policy = policy or RetryPolicy()
    attempts = 0
    last: ErrorInfo | None = None
    while True:
        latest_start = cutoff - policy.min_attempt_s
        if clock() > latest_start:
            raise _deadline_failure(api, attempts, last)
        permit = limiter.acquire(latest_start) if limiter is not None else None
        if limiter is not None and permit is None:
            raise _deadline_failure(api, attempts, last)
        attempts += 1
        if stats is not None:
            stats.record_call(api)
        try:
            result = attempt(max(cutoff - clock(), 0.001))
        except Exception as exc:  # every failure is classified and reported
            info = classify(exc)
            last = info
            limit_hit = info.max_attempts is not None and attempts >= info.max_attempts
            if not info.retryable or limit_hit:
                if stats is not None:
                    stats.record_error(info, will_retry=False)
                suffix = "" if not info.retryable else f" (gave up after {attempts} attempts)"
                raise CallFailed(info.code, f"{api}: {info.message}{suffix}", attempts) from None
            if info.throttled and limiter is not None:
                limiter.throttled(info.retry_after_s, permit)
            delay = policy.backoff.delay(attempts, info.retry_after_s, rng)
            will_retry = clock() + delay <= latest_start
            if stats is not None:
                stats.record_error(info, will_retry=will_retry)
            if not will_retry:
                raise _deadline_failure(api, attempts, last) from None
            sleep(delay)
        else:
            if limiter is not None:
                limiter.accepted(permit)
            return result


def _deadline_failure(api: str, attempts: int, last: ErrorInfo | None) -> CallFailed:
    if last is None:
        return CallFailed(
            "DeadlineExceeded",
            f"{api} was not attempted: the invocation deadline was reached before a call could be made",
            0,
        )
    return CallFailed(
        last.code,
        f"{api}: {last.message} (gave up after {attempts} attempts: the invocation deadline was reached)",
        attempts,
    )
