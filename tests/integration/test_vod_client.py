"""The Canceller against the local VOD emulator, through the official SDK on loopback (real signatures).

No mocks: every call goes over HTTP to ``localcloud.vod``; faults are injected server-side. Deadlines are
generous and only outcomes are asserted, never timings.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote

import pytest

from lib.clients import build_vod_client
from lib.outcome import OutcomeKind, Results
from lib.ratelimit import QuotaLimiter
from lib.request import CancelRequest, UploadUrl
from lib.vod import Canceller, VodOptions
from localcloud.auth.credentials import CredentialStore
from localcloud.clock import Clock
from localcloud.core.gateway import Gateway
from localcloud.faults import Faults
from localcloud.server import ServiceServer
from localcloud.vod.models import CANCELED, PENDING, PROCESSING, SUCCESS, VodBackend
from localcloud.vod.routes import make_app

ACCESS_KEY_ID = "LTAI5tVodClientTest"
ACCESS_KEY_SECRET = "vod-client-test-secret"


class VodOnlyCloud:
    """What the VOD app needs from LocalCloud, and nothing else."""

    def __init__(self) -> None:
        self.region = "cn-shanghai"
        self.account_id = "1234567890123456"
        self.clock = Clock()
        self.faults = Faults(seed=11)
        self.credentials = CredentialStore(self.clock)
        self.credentials.add_access_key(ACCESS_KEY_ID, ACCESS_KEY_SECRET)
        self.gateway = Gateway(self.region, self.account_id, self.clock, self.faults, self.credentials)
        self.vod = VodBackend(self.clock)


@dataclass(frozen=True)
class Creds:
    access_key_id: str
    access_key_secret: str
    security_token: str = ""


@dataclass
class Env:
    cloud: VodOnlyCloud
    server: ServiceServer

    @property
    def endpoint(self) -> str:
        return self.server.url  # http://127.0.0.1:PORT → protocol http

    def canceller(self, creds: Creds | None = None, endpoint: str | None = None, **options) -> Canceller:
        creds = creds or Creds(ACCESS_KEY_ID, ACCESS_KEY_SECRET)
        endpoint = endpoint or self.endpoint
        opts = {"max_workers": 8, "safety_margin_s": 0.5, "connect_timeout_ms": 2000, "read_timeout_ms": 5000}
        opts.update(options)
        return Canceller(
            build_vod_client(endpoint, creds, "cn-shanghai"),
            cancel_limiter=QuotaLimiter(50),
            info_limiter=QuotaLimiter(100),
            options=VodOptions(**opts),
        )

    def run(self, request: CancelRequest, seconds: float = 20.0, **kwargs) -> tuple[Results, Canceller]:
        canceller = self.canceller(**kwargs)
        results = Results()
        canceller.cancel(request, results, time.monotonic() + seconds)
        assert results.missing(request) == []  # every item ended with exactly one outcome
        assert len(results) == request.item_count
        return results, canceller


@pytest.fixture(scope="module")
def server_env() -> Iterator[Env]:
    cloud = VodOnlyCloud()
    server = ServiceServer("vod-client-test", make_app(cloud.vod, cloud.gateway)).start()
    try:
        yield Env(cloud, server)
    finally:
        server.stop()


@pytest.fixture
def env(server_env: Env) -> Env:
    server_env.cloud.faults.clear()
    server_env.cloud.vod.reset()
    return server_env


def urls(*texts: str) -> tuple[UploadUrl, ...]:
    return tuple(UploadUrl(t, t) for t in texts)


def kinds(results: Results) -> dict[str, str]:
    return {o.item: o.kind.name for o in results}


def test_more_than_ten_ids_and_urls_are_all_cancelled_in_separate_batches(env: Env):
    # GIVEN 25 pending jobs by id and 13 pending jobs by URL
    ids = [env.cloud.vod.seed_job(f"http://media.example/id/{i}.mp4").job_id for i in range(25)]
    by_url = {
        f"http://media.example/u/{i}.mp4": env.cloud.vod.seed_job(f"http://media.example/u/{i}.mp4") for i in range(13)
    }
    request = CancelRequest(job_ids=tuple(ids), upload_urls=urls(*by_url))
    # WHEN cancelled
    results, canceller = env.run(request)
    # THEN each is CANCELED with its own job id, in ≤10-item calls that never mix ids and URLs
    assert set(kinds(results).values()) == {"CANCELED"}
    for url, job in by_url.items():
        assert results.get(url, is_url=True).job_ids == (job.job_id,)
        assert env.cloud.vod.job(job.job_id).status == CANCELED
    cancel_calls = [c for c in env.cloud.vod.calls if c.action == "CancelUrlUploadJobs"]
    assert len(cancel_calls) == 5
    for call in cancel_calls:
        assert ("JobIds" in call.params) != ("UploadUrls" in call.params)
        assert len(next(iter(call.params.values())).split(",")) <= 10
    assert canceller.stats.calls.calls["CancelUrlUploadJobs"] == 5


def test_mixed_request_reports_started_unknown_and_already_cancelled_items(env: Env):
    vod = env.cloud.vod
    pending = vod.seed_job("http://m.example/pending.mp4")
    running = vod.seed_job("http://m.example/running.mp4", status=PROCESSING)
    done = vod.seed_job("http://m.example/done.mp4", status=SUCCESS)
    old = vod.seed_job("http://m.example/old.mp4", status=CANCELED)
    vod.seed_job("http://m.example/url-pending.mp4")
    vod.seed_job("http://m.example/url-started.mp4", status=PROCESSING)
    vod.seed_job("http://m.example/url-old.mp4", status=CANCELED)
    request = CancelRequest(
        job_ids=(pending.job_id, running.job_id, done.job_id, old.job_id, "nosuchjob"),
        upload_urls=urls(
            "http://m.example/url-pending.mp4",
            "http://m.example/url-started.mp4",
            "http://m.example/url-old.mp4",
            "http://m.example/url-unknown.mp4",
        ),
    )
    results, _ = env.run(request)
    assert kinds(results) == {
        pending.job_id: "CANCELED",
        running.job_id: "NOT_CANCELLABLE",
        done.job_id: "NOT_CANCELLABLE",
        old.job_id: "CANCELED",  # already cancelled: a redelivered request converges
        "nosuchjob": "NOT_FOUND",
        "http://m.example/url-pending.mp4": "CANCELED",
        "http://m.example/url-started.mp4": "NOT_CANCELLABLE",
        "http://m.example/url-old.mp4": "CANCELED",
        "http://m.example/url-unknown.mp4": "NOT_FOUND",
    }
    started = results.get(running.job_id, is_url=False)
    assert (started.job_id, started.status) == (running.job_id, PROCESSING)
    assert results.get(done.job_id, is_url=False).status == SUCCESS
    assert results.get("http://m.example/url-started.mp4", is_url=True).status == PROCESSING


ODD = [
    "http://m.example/a,b.mp4",
    "http://m.example/with space.mp4",
    "http://m.example/100%25.mp4",
    "http://m.example/a+b.mp4?sig=x&y=1",
    "https://m.example/视频/é.mp4",
]


@pytest.mark.parametrize("echo", ["sent", "decoded"])
def test_urls_with_commas_spaces_percent_plus_and_non_ascii(env: Env, echo: str):
    # GIVEN odd URLs, some pending, some unknown, and one given URL-encoded by the user
    env.cloud.vod.non_exists_url_form = echo
    jobs = {u: env.cloud.vod.seed_job(u) for u in ODD[:3]}
    encoded_given = UploadUrl(quote(ODD[2] + "x"), ODD[2] + "x")  # the user wrote it encoded; unknown
    request = CancelRequest(upload_urls=(*urls(*ODD), encoded_given))
    results, _ = env.run(request)
    for url in ODD[:3]:
        outcome = results.get(url, is_url=True)
        assert outcome.kind is OutcomeKind.CANCELED and outcome.job_ids == (jobs[url].job_id,)
    for url in ODD[3:]:
        assert results.get(url, is_url=True).kind is OutcomeKind.NOT_FOUND
    assert results.get(encoded_given.original, is_url=True).kind is OutcomeKind.NOT_FOUND  # reported as given


def test_a_url_uploaded_twice_reports_both_cancelled_jobs(env: Env):
    a = env.cloud.vod.seed_job("http://m.example/twice.mp4")
    b = env.cloud.vod.seed_job("http://m.example/twice.mp4")
    c = env.cloud.vod.seed_job("http://m.example/other.mp4")
    request = CancelRequest(upload_urls=urls("http://m.example/twice.mp4", "http://m.example/other.mp4"))
    results, _ = env.run(request)
    assert set(results.get("http://m.example/twice.mp4", is_url=True).job_ids) == {a.job_id, b.job_id}
    assert results.get("http://m.example/other.mp4", is_url=True).job_ids == (c.job_id,)


def test_thirty_percent_throttling_still_settles_every_item(env: Env):
    # GIVEN 30% of VOD calls answer Throttling.User
    env.cloud.faults.add(service="vod", error_code="Throttling.User", error_rate=0.3)
    ids = [env.cloud.vod.seed_job(f"http://m.example/t/{i}.mp4").job_id for i in range(60)]
    url_list = [f"http://m.example/tu/{i}.mp4" for i in range(60)]
    for u in url_list:
        env.cloud.vod.seed_job(u)
    results, canceller = env.run(CancelRequest(job_ids=tuple(ids), upload_urls=urls(*url_list)), seconds=60)
    # THEN nothing failed: throttled calls were retried
    assert set(kinds(results).values()) == {"CANCELED"}
    assert canceller.stats.calls.throttles > 0


def test_connection_resets_are_retried(env: Env):
    env.cloud.faults.add(service="vod", reset_rate=0.3)
    ids = [env.cloud.vod.seed_job(f"http://m.example/r/{i}.mp4").job_id for i in range(30)]
    results, _ = env.run(CancelRequest(job_ids=tuple(ids)), seconds=60)
    assert set(kinds(results).values()) == {"CANCELED"}


def test_a_timed_out_cancel_that_went_through_converges_to_cancelled(env: Env):
    # GIVEN the first call is slower than the read timeout (the server still cancels the jobs)
    env.cloud.faults.add(service="vod", operation="CancelUrlUploadJobs", latency_ms=1500, count=1)
    ids = tuple(env.cloud.vod.seed_job(f"http://m.example/slow/{i}.mp4").job_id for i in range(3))
    results, canceller = env.run(CancelRequest(job_ids=ids), read_timeout_ms=500)
    # THEN the retry finds them already cancelled and reports CANCELED
    assert set(kinds(results).values()) == {"CANCELED"}
    assert canceller.stats.calls.errors.get("NetworkTimeout") == 1


def test_vod_down_fails_every_item_with_the_code_before_the_deadline(env: Env):
    env.cloud.faults.add(service="vod", error_code="ServiceUnavailable")
    request = CancelRequest(job_ids=tuple(f"job{i}" for i in range(15)), upload_urls=urls("http://m.example/x.mp4"))
    results, canceller = env.run(request, seconds=2.5)
    assert {o.kind for o in results} == {OutcomeKind.FAILED}
    assert {o.code for o in results} == {"ServiceUnavailable"}
    message = results.get("job0", is_url=False).message
    assert "attempts" in message and "deadline" in message
    assert canceller.stats.calls.retries > 0


def test_unreachable_endpoint_fails_every_item_with_a_network_code(env: Env):
    with socket.socket() as probe:  # bind a free port, then close it: nothing listens there
        probe.bind(("127.0.0.1", 0))
        endpoint = f"http://127.0.0.1:{probe.getsockname()[1]}"
    results, _ = env.run(CancelRequest(job_ids=("a", "b")), seconds=2.5, endpoint=endpoint)
    assert {(o.kind, o.code) for o in results} == {(OutcomeKind.FAILED, "ConnectionRefused")}


def test_wrong_secret_fails_at_once_without_retrying(env: Env):
    ids = tuple(f"job{i}" for i in range(12))
    results, canceller = env.run(CancelRequest(job_ids=ids), creds=Creds(ACCESS_KEY_ID, "wrong-secret"))
    assert {(o.kind, o.code) for o in results} == {(OutcomeKind.FAILED, "SignatureDoesNotMatch")}
    assert canceller.stats.calls.calls == {"CancelUrlUploadJobs": 2}  # one call per batch, no retries
    assert "wrong-secret" not in " ".join(o.message for o in results)


def test_sts_credentials_work(env: Env):
    sts = env.cloud.credentials.issue_sts_token()
    job = env.cloud.vod.seed_job("http://m.example/sts.mp4")
    creds = Creds(sts.access_key_id, sts.access_key_secret, sts.security_token)
    results, _ = env.run(CancelRequest(job_ids=(job.job_id,)), creds=creds)
    assert results.get(job.job_id, is_url=False).kind is OutcomeKind.CANCELED


def test_failed_resolution_after_a_successful_cancel_names_the_cancelled_jobs(env: Env):
    env.cloud.faults.add(service="vod", operation="GetURLUploadInfos", error_code="Forbidden")
    a = env.cloud.vod.seed_job("http://m.example/ra.mp4")
    b = env.cloud.vod.seed_job("http://m.example/rb.mp4")
    results, _ = env.run(CancelRequest(upload_urls=urls("http://m.example/ra.mp4", "http://m.example/rb.mp4")))
    for outcome in results:
        assert (outcome.kind, outcome.code) == (OutcomeKind.FAILED, "ResolveFailed.Forbidden")
        assert a.job_id in outcome.message and b.job_id in outcome.message
    assert env.cloud.vod.job(a.job_id).status == CANCELED


def test_past_deadline_makes_no_calls_and_fails_every_item(env: Env):
    canceller = env.canceller()
    results = Results()
    request = CancelRequest(job_ids=("a", "b"), upload_urls=urls("http://m.example/late.mp4"))
    canceller.cancel(request, results, time.monotonic() + 0.1)
    assert {(o.kind, o.code) for o in results} == {(OutcomeKind.FAILED, "DeadlineExceeded")}
    assert env.cloud.vod.call_count() == 0


def test_pending_status_is_untouched_for_items_not_requested(env: Env):
    keep = env.cloud.vod.seed_job("http://m.example/keep.mp4")
    drop = env.cloud.vod.seed_job("http://m.example/drop.mp4")
    env.run(CancelRequest(job_ids=(drop.job_id,)))
    assert env.cloud.vod.job(keep.job_id).status == PENDING


def test_canceller_from_settings_uses_the_configured_endpoint_and_quotas(env: Env):
    from lib.config import load_settings
    from lib.ratelimit import reset_limiters
    from lib.wiring import canceller_from_settings

    settings = load_settings(
        {"NOTIFY_TOPIC": "results", "FC_ACCOUNT_ID": "1", "VOD_ENDPOINT": env.endpoint, "VOD_CANCEL_QPS": "20"}
    )
    job = env.cloud.vod.seed_job("http://m.example/settings.mp4")
    try:
        canceller = canceller_from_settings(settings, Creds(ACCESS_KEY_ID, ACCESS_KEY_SECRET))
        results = Results()
        canceller.cancel(CancelRequest(job_ids=(job.job_id,)), results, time.monotonic() + 20)
    finally:
        reset_limiters()
    assert results.get(job.job_id, is_url=False).kind is OutcomeKind.CANCELED
