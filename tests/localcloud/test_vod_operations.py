"""VOD operations round-trip through the official SDK (ACS3 and legacy v2 signatures, static AK and STS)."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from alibabacloud_vod20170321 import models as vod_models
from alibabacloud_vod20170321.client import Client
from vod_helpers import VodEnv, call_api

from localcloud.vod.models import CANCELED, FAIL, PENDING, PROCESSING, SUCCESS, JobPolicy

ODD_URL = "https://example.com/视频/a b,c%20d+e.mp4?x=1&y=2"
PLAIN_URL = "https://example.com/videos/plain.mp4"
UTC_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@pytest.fixture
def env(shared_env: VodEnv) -> VodEnv:
    shared_env.cloud.reset()
    return shared_env


@pytest.fixture(params=["static-acs3", "sts-acs3", "static-v2", "sts-v2"])
def client(request: pytest.FixtureRequest, env: VodEnv) -> Client:
    """Every operation test runs with each credential kind and each signature version."""
    v2 = request.param.endswith("v2")
    return env.sts_client(v2=v2) if request.param.startswith("sts") else env.client(v2=v2)


def encode(*urls: str) -> str:
    """What the function (and Alibaba's samples) send: each URL quote()d, then comma-joined."""
    return ",".join(quote(url) for url in urls)


def cancel(client: Client, job_ids: str | None = None, urls: str | None = None):
    request = vod_models.CancelUrlUploadJobsRequest(job_ids=job_ids, upload_urls=urls)
    return client.cancel_url_upload_jobs(request).body


def infos(client: Client, job_ids: str | None = None, urls: str | None = None):
    request = vod_models.GetURLUploadInfosRequest(job_ids=job_ids, upload_urls=urls)
    return client.get_urlupload_infos(request).body


def test_upload_creates_pending_jobs_with_hex_ids(env: VodEnv, client: Client) -> None:
    """UploadMediaByURL makes a PENDING job per URL; JobId is 32 lowercase hex; metadata, UserData kept."""
    request = vod_models.UploadMediaByURLRequest(
        upload_urls=encode(ODD_URL, PLAIN_URL),
        upload_metadatas=f'[{{"SourceURL": "{quote(ODD_URL)}", "Title": "odd"}}]',
        user_data='{"Extend": {"k": "v"}}',
    )
    response = client.upload_media_by_url(request)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json;charset=utf-8"
    assert response.headers["x-acs-request-id"] == response.body.request_id
    jobs = response.body.upload_jobs
    assert [job.source_url for job in jobs] == [quote(ODD_URL), quote(PLAIN_URL)]
    assert all(re.fullmatch(r"[0-9a-f]{32}", job.job_id) for job in jobs)
    odd = env.vod.job(jobs[0].job_id)
    assert odd is not None and odd.upload_url == ODD_URL and odd.status == PENDING
    assert odd.metadata["Title"] == "odd"
    assert odd.user_data == '{"Extend": {"k": "v"}}'


def test_get_infos_by_job_ids_and_by_urls(env: VodEnv, client: Client) -> None:
    """GetURLUploadInfos answers per job id or per URL (every job of a URL) and lists unknown items."""
    first = env.vod.seed_job(ODD_URL, user_data='{"a":1}')
    second = env.vod.seed_job(ODD_URL, status=SUCCESS)

    by_id = infos(client, job_ids=f"{first.job_id},nope")
    by_url = infos(client, urls=encode(ODD_URL, "https://example.com/missing.mp4"))

    assert [i.job_id for i in by_id.urlupload_info_list] == [first.job_id]
    info = by_id.urlupload_info_list[0]
    assert (info.upload_url, info.status, info.user_data) == (ODD_URL, PENDING, '{"a":1}')
    assert UTC_TIME.match(info.creation_time) and info.complete_time is None
    assert by_id.non_exists == ["nope"]
    assert [i.job_id for i in by_url.urlupload_info_list] == [first.job_id, second.job_id]
    done = by_url.urlupload_info_list[1]
    assert done.status == SUCCESS and UTC_TIME.match(done.complete_time)
    assert done.media_id and done.file_size.isdigit()
    assert by_url.non_exists == [quote("https://example.com/missing.mp4")]


def test_cancel_by_job_ids(env: VodEnv, client: Client) -> None:
    """Only PENDING jobs are cancelled; a started job is in neither CanceledJobs nor NonExists."""
    pending = env.vod.seed_job(PLAIN_URL)
    started = env.vod.seed_job(PLAIN_URL, status=PROCESSING)

    body = cancel(client, job_ids=f"{pending.job_id},{started.job_id},unknown-id")

    assert body.canceled_jobs == [pending.job_id]
    assert body.non_exists == ["unknown-id"]
    assert env.vod.job(pending.job_id).status == CANCELED
    assert env.vod.job(started.job_id).status == PROCESSING


def test_cancel_by_urls_cancels_every_pending_job_of_the_url(env: VodEnv, client: Client) -> None:
    """A URL cancels all its pending jobs (CanceledJobs holds job ids); NonExists echoes the item as sent."""
    jobs = [env.vod.seed_job(ODD_URL) for _ in range(2)]
    done = env.vod.seed_job(ODD_URL, status=SUCCESS)
    missing = "https://example.com/nothing here+.mp4"

    body = cancel(client, urls=encode(ODD_URL, missing))

    assert body.canceled_jobs == [job.job_id for job in jobs]
    assert body.non_exists == [quote(missing)]
    assert env.vod.job(done.job_id).status == SUCCESS


def test_non_exists_url_form_decoded(env: VodEnv) -> None:
    """backend.non_exists_url_form = "decoded" echoes URLs decoded, for both read and cancel."""
    env.vod.non_exists_url_form = "decoded"
    client = env.client()
    missing = "https://example.com/a b,c.mp4"

    assert cancel(client, urls=encode(missing)).non_exists == [missing]
    assert infos(client, urls=encode(missing)).non_exists == [missing]


@pytest.mark.parametrize(
    "url",
    [
        ODD_URL,
        "http://example.com/plus+sign.mp4",
        "http://example.com/pct%2Fslash%25.mp4",
        "https://例子.中国/路径/文件 名.mp4",
        "http://example.com/a,b,c.mp4",
        "http://example.com/~tilde*star'quote().mp4",
    ],
)
def test_url_items_are_decoded_once(env: VodEnv, url: str) -> None:
    """Commas, spaces, %-escapes, '+', non-ASCII survive: each item is split first, then unquote()d once."""
    job = env.vod.seed_job(url)
    client = env.client()

    assert [i.job_id for i in infos(client, urls=quote(url)).urlupload_info_list] == [job.job_id]
    assert cancel(client, urls=quote(url)).canceled_jobs == [job.job_id]


def test_unencoded_url_with_escape_does_not_match(env: VodEnv) -> None:
    """A URL sent without quote() is decoded anyway, like the real service: '%20' then no longer matches."""
    url = "http://example.com/a%20b.mp4"
    env.vod.seed_job(url)

    body = cancel(env.client(), urls=url)

    assert body.canceled_jobs == [] and body.non_exists == [url]


def test_job_ids_win_over_urls(env: VodEnv) -> None:
    """With both JobIds and UploadUrls, only JobIds is honoured (silently; the URLs are not even checked)."""
    by_id = env.vod.seed_job(PLAIN_URL)
    by_url = env.vod.seed_job(ODD_URL)
    too_many = ",".join(["x"] * 11)

    body = cancel(env.client(), job_ids=by_id.job_id, urls=encode(ODD_URL) + "," + too_many)
    info = infos(env.client(), job_ids=by_url.job_id, urls=encode(PLAIN_URL))

    assert body.canceled_jobs == [by_id.job_id] and body.non_exists == []
    assert env.vod.job(by_url.job_id).status == PENDING
    assert [i.job_id for i in info.urlupload_info_list] == [by_url.job_id]


def test_cancel_twice_is_in_neither_list_the_second_time(env: VodEnv) -> None:
    """A job already CANCELED exists but is not pending: the second call reports it nowhere."""
    job = env.vod.seed_job(PLAIN_URL)
    client = env.client()

    assert cancel(client, job_ids=job.job_id).canceled_jobs == [job.job_id]
    second = cancel(client, job_ids=job.job_id)
    assert second.canceled_jobs == [] and second.non_exists == []


def test_get_and_form_body_through_generic_call_api(env: VodEnv) -> None:
    """The endpoint serves GET, and reads parameters from a form body as well as the query."""
    job = env.vod.seed_job(PLAIN_URL)
    other = env.vod.seed_job(PLAIN_URL)
    client = env.client()

    by_get = call_api(client, "GetURLUploadInfos", {"JobIds": job.job_id}, method="GET")
    by_form = call_api(client, "CancelUrlUploadJobs", body={"JobIds": other.job_id})

    assert by_get["statusCode"] == 200
    assert by_get["body"]["URLUploadInfoList"][0]["JobId"] == job.job_id
    assert by_form["body"]["CanceledJobs"] == [other.job_id]
    assert env.vod.calls[-1].params == {"JobIds": other.job_id}


def test_lifecycle_policy_moves_jobs_with_the_clock(env: VodEnv) -> None:
    """JobPolicy: PENDING -> PROCESSING after start_after_s, -> SUCCESS/FAIL finish_after_s later (lazy)."""
    env.vod.policy = JobPolicy(start_after_s=10, finish_after_s=20)
    job = env.vod.seed_job(PLAIN_URL)
    client = env.client()

    env.cloud.clock.advance(9)
    assert infos(client, job_ids=job.job_id).urlupload_info_list[0].status == PENDING
    env.cloud.clock.advance(2)
    assert cancel(client, job_ids=job.job_id).canceled_jobs == []
    assert job.status == PROCESSING
    env.cloud.clock.advance(20)
    assert job.status == SUCCESS and job.completed_at == pytest.approx(job.created_at + 30)


def test_lifecycle_fail_rate_and_manual_moves(env: VodEnv) -> None:
    """fail_rate=1 fails every finished job; start_job/finish_job move jobs explicitly."""
    env.vod.policy = JobPolicy(start_after_s=0, finish_after_s=0, fail_rate=1.0)
    auto = env.vod.seed_job(PLAIN_URL)
    assert auto.status == FAIL and auto.error_code

    env.vod.policy = JobPolicy()
    manual = env.vod.seed_job(PLAIN_URL)
    assert env.vod.start_job(manual.job_id).status == PROCESSING
    assert env.vod.finish_job(manual.job_id, success=False).status == FAIL
    with pytest.raises(ValueError):
        env.vod.start_job(manual.job_id)
    assert env.vod.jobs_for_url(PLAIN_URL) == [auto, manual]
    assert env.vod.jobs() == [auto, manual]


def test_calls_are_recorded(env: VodEnv) -> None:
    """backend.calls logs each handled request (action, API params, status, error code, AK)."""
    assert env.vod.calls == []
    cancel(env.client(), job_ids="a,b")

    [call] = env.vod.calls
    assert (call.action, call.params, call.status, call.error_code) == (
        "CancelUrlUploadJobs",
        {"JobIds": "a,b"},
        200,
        None,
    )
    assert call.access_key_id == env.cloud.access_key_id
    assert env.vod.call_count("CancelUrlUploadJobs") == 1 and env.vod.call_count("UploadMediaByURL") == 0
