"""Classification of real SDK exception objects, backoff bounds, and the retry loop's deadline arithmetic."""

from __future__ import annotations

import random

import pytest
from alibabacloud_tea_openapi.exceptions import ClientException, ServerException, ThrottlingException
from darabonba.exceptions import RetryError, UnretryableException
from darabonba.policy.retry import RetryPolicyContext
from fake_time import FakeTime

from lib.retry import Backoff, CallFailed, CallStats, RetryPolicy, call_with_retry, classify, scrub


def client_error(code: str, status: int = 400) -> ClientException:
    return ClientException(
        status_code=status,
        code=code,
        message=f"code: {status}, some text request id: RID",
        data={"Code": code, "RequestId": "RID"},
        request_id="RID",
    )


def io_error(text: str) -> UnretryableException:
    return UnretryableException(RetryPolicyContext(exception=RetryError(text)))


# -- classification ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["Throttling", "Throttling.User", "Throttling.Api", "throttling.user"])
def test_throttling_codes_are_retryable_throttles(code):
    info = classify(client_error(code))
    assert (info.retryable, info.throttled, info.code) == (True, True, code)


def test_throttling_exception_honours_retry_after_in_ms():
    exc = ThrottlingException(status_code=400, code="Throttling.User", message="m", retry_after=300)
    info = classify(exc)
    assert info.retryable and info.throttled
    assert info.retry_after_s == pytest.approx(0.3)


@pytest.mark.parametrize(
    ("code", "status"),
    [("ServiceUnavailable", 503), ("ServiceUnAvailable", 503), ("InternalError", 500), ("Whatever", 502)],
)
def test_server_side_errors_are_retryable(code, status):
    exc = ServerException(status_code=status, code=code, message="m", data={"Code": code})
    info = classify(exc)
    assert info.retryable and not info.throttled
    assert info.max_attempts is None  # retried until the deadline
    assert info.status == status


def test_a_503_carrying_a_throttling_code_is_a_throttle():
    exc = ServerException(status_code=503, code="Throttling.User", message="m", data={})
    assert classify(exc).throttled


@pytest.mark.parametrize(
    "code",
    [
        "InvalidParameter",
        "MissingParameter",
        "Forbidden",
        "Forbidden.RAM",
        "OperationDenied.Suspended",
        "SignatureDoesNotMatch",
        "InvalidAccessKeyId.NotFound",
        "InvalidSecurityToken.Expired",
        "InvalidTimeStamp.Expired",
        "InvalidCredentials",
        "IncompleteSignature",
        "SomethingElse",
    ],
)
def test_client_errors_are_permanent(code):
    info = classify(client_error(code, 404 if code.endswith("NotFound") else 400))
    assert not info.retryable
    assert info.code == code


def test_a_permanent_code_is_permanent_even_on_a_5xx():
    exc = ServerException(status_code=500, code="InvalidParameter", message="m", data={})
    assert not classify(exc).retryable


def test_missing_code_falls_back_to_the_http_status():
    exc = ServerException(status_code=502, code="None", message="m", data={})
    info = classify(exc)
    assert info.code == "HTTP502" and info.retryable


def test_credentials_missing_before_any_request_is_permanent():
    exc = ClientException(code="InvalidCredentials", message="Please set up the credentials correctly.")
    assert not classify(exc).retryable


def test_nonce_collision_gets_a_few_attempts_only():
    info = classify(client_error("SignatureNonceUsed"))
    assert info.retryable and info.max_attempts == 3


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (
            "HTTPConnectionPool(host='127.0.0.1', port=1): Read timed out. (read timeout=10.0)",
            "NetworkTimeout",
        ),
        (
            "HTTPConnectionPool(host='h', port=80): Max retries exceeded with url: /?JobIds=a%2Cb "
            "(Caused by NewConnectionError('Failed to establish a new connection: "
            "[Errno 111] Connection refused'))",
            "ConnectionRefused",
        ),
        ("('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))", "ConnectionReset"),
        (
            "('Connection aborted.', RemoteDisconnected('Remote end closed connection without response'))",
            "ConnectionReset",
        ),
        ("something odd on the wire", "NetworkError"),
    ],
)
def test_io_failures_wrapped_by_darabonba_are_retryable(text, code):
    info = classify(io_error(text))
    assert info.retryable and info.code == code
    assert "JobIds" not in info.message  # query strings are scrubbed


def test_unparsable_body_gets_a_few_attempts_only():
    exc = UnretryableException(RetryPolicyContext(exception=RuntimeError("Failed to parse the value as json format")))
    info = classify(exc)
    assert info.code == "InvalidResponse" and info.retryable and info.max_attempts == 3


def test_leaked_socket_and_requests_errors_are_io():
    import requests

    assert classify(TimeoutError("timed out")).code == "NetworkTimeout"
    assert classify(ConnectionResetError(104, "Connection reset by peer")).code == "ConnectionReset"
    assert classify(requests.exceptions.ConnectionError("Connection refused")).code == "ConnectionRefused"
    assert classify(requests.exceptions.ReadTimeout("read timeout")).code == "NetworkTimeout"


def test_programming_errors_are_not_retried():
    info = classify(AttributeError("'NoneType' object has no attribute 'x'"))
    assert not info.retryable and info.code == "UnexpectedError"


def test_scrub_removes_secrets_and_query_strings_and_bounds_length():
    text = (
        "url: /?AccessKeyId=LTAIxyz&Signature=abc%3D&SecurityToken=CAIS123 failed; "
        "server string to sign is: POST&%2F&AccessKeyId%3DLTAI " + "x" * 1000
    )
    out = scrub(text)
    for secret in ("LTAIxyz", "abc%3D", "CAIS123", "LTAI "):
        assert secret not in out
    assert len(out) <= 300
    assert scrub("Signature=deadbeef, next") == "Signature=<redacted>, next"


# -- backoff -------------------------------------------------------------------------------------------------


def test_full_jitter_backoff_stays_within_exponential_ceiling_and_cap():
    backoff = Backoff(base_s=0.1, cap_s=2.0)
    rng = random.Random(7)
    assert [backoff.ceiling(n) for n in range(1, 7)] == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.6, 2.0])
    for n in range(1, 30):
        for _ in range(50):
            assert 0.0 <= backoff.delay(n, rng=rng) <= backoff.ceiling(n)


def test_backoff_never_undercuts_retry_after():
    backoff = Backoff(base_s=0.05, cap_s=0.1)
    assert backoff.delay(1, retry_after_s=1.5, rng=random.Random(1)) == pytest.approx(1.5)


# -- the retry loop ------------------------------------------------------------------------------------------


class RecordingLimiter:
    """Hands out numbered permits and records which came back, with which answer."""

    def __init__(self) -> None:
        self.throttles: list[float | None] = []
        self.deadlines: list[float | None] = []
        self.answers: list[tuple[str, object]] = []

    def acquire(self, deadline: float | None = None) -> object | None:
        self.deadlines.append(deadline)
        return f"permit-{len(self.deadlines)}"

    def accepted(self, permit: object) -> None:
        self.answers.append(("accepted", permit))

    def throttled(self, pause_s: float | None = None, permit: object = None) -> None:
        self.throttles.append(pause_s)
        self.answers.append(("throttled", permit))


def failing(excs, result="ok", t: FakeTime | None = None, cost_s: float = 0.0):
    """An attempt function that raises the given exceptions in turn, then returns ``result``."""
    budgets: list[float] = []
    pending = list(excs)

    def attempt(budget_s: float):
        budgets.append(budget_s)
        if t is not None:
            t.now += cost_s
        if pending:
            raise pending.pop(0)
        return result

    return attempt, budgets


def test_transient_errors_are_retried_until_success_and_counted():
    t, limiter, stats = FakeTime(), RecordingLimiter(), CallStats()
    attempt, budgets = failing([client_error("Throttling.User"), io_error("Read timed out")])
    out = call_with_retry(
        "CancelUrlUploadJobs",
        attempt,
        cutoff=100.0,
        limiter=limiter,
        stats=stats,
        clock=t.clock,
        sleep=t.sleep,
    )
    assert out == "ok"
    assert len(budgets) == 3
    assert limiter.throttles == [None]  # the throttle slowed the shared limiter once
    # each attempt's permit came back with its answer (the timeout tells the limiter nothing)
    assert limiter.answers == [("throttled", "permit-1"), ("accepted", "permit-3")]
    assert stats.as_dict()["calls"] == {"CancelUrlUploadJobs": 3}
    assert stats.retries == 2 and stats.throttles == 1


def test_each_attempt_gets_the_time_left_before_the_cutoff_as_its_budget():
    t = FakeTime()
    attempt, budgets = failing([])
    call_with_retry("X", attempt, cutoff=7.5, clock=t.clock, sleep=t.sleep)
    assert budgets == [pytest.approx(7.5)]


def test_permanent_error_fails_at_once_with_its_code():
    t = FakeTime()
    attempt, budgets = failing([client_error("Forbidden", 403)])
    with pytest.raises(CallFailed) as err:
        call_with_retry("CancelUrlUploadJobs", attempt, cutoff=100.0, clock=t.clock, sleep=t.sleep)
    assert err.value.code == "Forbidden" and err.value.attempts == 1
    assert len(budgets) == 1


def test_retries_go_on_until_the_deadline_then_report_the_last_code_and_attempts():
    t = FakeTime()
    policy = RetryPolicy(backoff=Backoff(0.05, 0.5), min_attempt_s=0.2)
    attempt, budgets = failing([client_error("Throttling.User")] * 10_000, t=t, cost_s=0.05)
    with pytest.raises(CallFailed) as err:
        call_with_retry(
            "CancelUrlUploadJobs",
            attempt,
            cutoff=10.0,
            policy=policy,
            clock=t.clock,
            sleep=t.sleep,
            rng=random.Random(3),
        )
    assert err.value.code == "Throttling.User"
    assert err.value.attempts == len(budgets) > 10  # many attempts, not a small fixed count
    assert f"after {len(budgets)} attempts" in err.value.message and "deadline" in err.value.message
    assert t.now <= 10.0  # never slept past the cutoff
    assert min(budgets) >= 0.2  # no attempt started with less than min_attempt_s left


def test_no_attempt_when_the_deadline_already_passed():
    t = FakeTime()
    t.now = 50.0
    attempt, budgets = failing([])
    with pytest.raises(CallFailed) as err:
        call_with_retry("GetURLUploadInfos", attempt, cutoff=50.1, clock=t.clock, sleep=t.sleep)
    assert err.value.code == "DeadlineExceeded" and err.value.attempts == 0
    assert budgets == []


def test_limiter_is_asked_for_a_slot_that_leaves_room_for_one_attempt():
    t, limiter = FakeTime(), RecordingLimiter()
    attempt, _ = failing([])
    call_with_retry(
        "X",
        attempt,
        cutoff=9.0,
        limiter=limiter,
        policy=RetryPolicy(min_attempt_s=0.5),
        clock=t.clock,
        sleep=t.sleep,
    )
    assert limiter.deadlines == [pytest.approx(8.5)]


def test_limiter_refusing_a_slot_means_deadline_exceeded():
    class Full(RecordingLimiter):
        def acquire(self, deadline=None):
            return None

    attempt, budgets = failing([])
    with pytest.raises(CallFailed) as err:
        call_with_retry("X", attempt, cutoff=9.0, limiter=Full())
    assert err.value.code == "DeadlineExceeded" and budgets == []


def test_unexplained_errors_stop_after_a_few_attempts():
    t = FakeTime()
    bad_body = UnretryableException(RetryPolicyContext(exception=RuntimeError("Failed to parse")))
    attempt, budgets = failing([bad_body] * 10, t=t)
    with pytest.raises(CallFailed) as err:
        call_with_retry("X", attempt, cutoff=100.0, clock=t.clock, sleep=t.sleep)
    assert err.value.code == "InvalidResponse" and len(budgets) == 3
    assert "after 3 attempts" in err.value.message
