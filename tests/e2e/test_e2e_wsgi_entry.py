"""``handler.http_handler`` (the FC 2.0 WSGI entry) called in-process against the local cloud's endpoints.

Configuration comes from environment variables exactly as FC would set them (endpoints, topic, credentials); the
WSGI environ is what an FC 2.0 HTTP trigger hands the function. Nothing is mocked: VOD and MNS are reached over
loopback with the official SDKs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from e2e_helpers import REQUEST_TOPIC, RESULTS_TOPIC, assert_mixed_outcome, only_result, published, seed_mixed
from werkzeug.test import EnvironBuilder

import handler
from lib.config import settings
from localcloud.cloud import LocalCloud
from localcloud.testing import sts_credentials


@dataclass
class FunctionMeta:
    name: str = "vod-cancel-url-uploads"
    handler: str = "handler.http_handler"
    memory: int = 256
    timeout: int = 60


@dataclass
class Credentials:
    access_key_id: str
    access_key_secret: str
    security_token: str


@dataclass
class FcContext:
    """The fields of FC's python ``context`` the function reads."""

    request_id: str
    credentials: Credentials | None = None
    function: FunctionMeta = field(default_factory=FunctionMeta)
    region: str = "cn-shanghai"
    account_id: str = "1234567890123456"


@dataclass
class WsgiReply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@pytest.fixture
def wsgi_env(cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalCloud]:
    """The function's environment variables pointing at the local cloud; settings re-read for the test."""
    monkeypatch.setenv("VOD_ENDPOINT", cloud.url("vod"))
    monkeypatch.setenv("MNS_ENDPOINT", cloud.url("mns"))
    monkeypatch.setenv("OSS_ENDPOINT", cloud.url("oss"))
    monkeypatch.setenv("NOTIFY_TOPIC", RESULTS_TOPIC)
    monkeypatch.setenv("TRIGGER_TOPIC", REQUEST_TOPIC)
    monkeypatch.setenv("FC_REGION", cloud.region)
    monkeypatch.setenv("FC_ACCOUNT_ID", cloud.account_id)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", cloud.access_key_id)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", cloud.access_key_secret)
    monkeypatch.delenv("ALIBABA_CLOUD_SECURITY_TOKEN", raising=False)
    settings.cache_clear()
    yield cloud
    settings.cache_clear()


def call_wsgi(
    body: bytes | str,
    *,
    method: str = "POST",
    headers: dict[str, str] | None = None,
    context: FcContext | None = None,
) -> WsgiReply:
    data = body.encode("utf-8") if isinstance(body, str) else body
    builder = EnvironBuilder(
        method=method,
        path="/cancel",
        data=data,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    environ = builder.get_environ()
    environ["fc.request_uri"] = "/cancel"
    if context is not None:
        environ["fc.context"] = context
    captured: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        captured["status"], captured["headers"] = status, response_headers

    chunks = handler.http_handler(environ, start_response)
    payload = b"".join(chunks)
    return WsgiReply(int(captured["status"].split()[0]), dict(captured["headers"]), payload)


def test_wsgi_post_cancels_and_publishes(wsgi_env: LocalCloud) -> None:
    """A WSGI POST with env-var credentials cancels the mixed request and publishes the same document."""
    cloud = wsgi_env
    # GIVEN the mixed jobs
    mixed = seed_mixed(cloud, count=11, label="w")
    # WHEN the request is POSTed through handler.http_handler with an Idempotency-Key
    reply = call_wsgi(mixed.as_json(), headers={"Idempotency-Key": "wsgi-ticket-1"}, context=FcContext("wsgi-req-1"))
    # THEN 200 with the results, published, and every item settled
    assert reply.status == 200, reply.body
    assert reply.headers["X-Results-Published"] == "true"
    document = reply.json()
    assert (document["Source"], document["DedupeKey"], document["RequestId"]) == (
        "http",
        "http:wsgi-ticket-1",
        "wsgi-req-1",
    )
    assert_mixed_outcome(cloud, document, mixed)
    assert only_result(cloud).document == document
    assert {call.access_key_id for call in cloud.vod.calls} == {cloud.access_key_id}


def test_wsgi_uses_the_context_sts_credentials_over_env(wsgi_env: LocalCloud) -> None:
    """FC's context.credentials (an STS token) are what the function signs with, not the env access key."""
    cloud = wsgi_env
    # GIVEN a pending job and a context carrying STS credentials
    job = cloud.vod.seed_job("https://media.example.com/wsgi/sts.mp4").job_id
    sts = sts_credentials(cloud)
    context = FcContext("wsgi-req-2", Credentials(sts.access_key_id, sts.access_key_secret, sts.security_token))
    # WHEN the request is POSTed
    reply = call_wsgi(json.dumps({"JobIds": [job]}), context=context)
    # THEN the job is cancelled with calls signed by the STS key
    assert reply.json()["CanceledJobs"] == [job]
    assert {call.access_key_id for call in cloud.vod.calls} == {sts.access_key_id}


@pytest.mark.parametrize("size", [0, 8000], ids=["no-body", "large-body"])
def test_wsgi_get_is_405(wsgi_env: LocalCloud, size: int) -> None:
    """A GET through the WSGI entry is 405 MethodNotAllowed, whatever its body; nothing runs."""
    cloud = wsgi_env
    # GIVEN a pending job
    job = cloud.vod.seed_job("https://media.example.com/wsgi/get.mp4").job_id
    # WHEN it is sent as a GET
    body = json.dumps({"JobIds": [job] * (size // 40)}) if size else ""
    reply = call_wsgi(body, method="GET", context=FcContext("wsgi-req-3"))
    # THEN 405 with the code, VOD untouched, nothing published
    assert reply.status == 405
    assert reply.json()["Error"]["Code"] == "MethodNotAllowed"
    assert cloud.vod.call_count() == 0 and published(cloud) == []
    assert cloud.vod.job(job).status == "PENDING"


@pytest.mark.parametrize(
    ("body", "code"),
    [("{oops", "InvalidJson"), ("", "EmptyRequest"), ('{"UploadUrls": ["https://h/a\\u0000.mp4"]}', "InvalidUrl")],
    ids=["invalid-json", "empty", "control-char"],
)
def test_wsgi_bad_input_is_400(wsgi_env: LocalCloud, body: str, code: str) -> None:
    """Bad input through the WSGI entry is a 400 with the code; VOD is never called."""
    cloud = wsgi_env
    # GIVEN nothing but the environment
    # WHEN a bad body is POSTed
    reply = call_wsgi(body, context=FcContext("wsgi-bad"))
    # THEN 400 with the code
    assert reply.status == 400
    assert reply.json()["Error"]["Code"] == code
    assert cloud.vod.call_count() == 0 and published(cloud) == []
