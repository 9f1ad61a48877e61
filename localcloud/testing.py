"""A pytest plugin: the local cloud as fixtures, plus official-SDK clients pointed at it.

Enable it with ``pytest_plugins = ["localcloud.testing"]`` in a conftest. ``localcloud_session`` starts one
:class:`~localcloud.cloud.LocalCloud` per test process from the project's ``s.yaml`` (the pytest rootdir, or
``$LOCALCLOUD_PROJECT``); ``localcloud`` resets it before each test, so every test starts from a clean cloud:
no jobs, no messages, no invocations, no faults, clock at real time, cold function instances.

Usage::

    def test_cancel(localcloud):
        job = localcloud.vod.seed_job("https://example.com/a.mp4")
        fc_client(localcloud).invoke_function(localcloud.fc.service_name, localcloud.fc.function_name, b"...")
        localcloud.fc.wait_idle()
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # imported lazily: collecting tests must not need every backend importable
    from localcloud.cloud import LocalCloud


def _host_port(url: str) -> str:
    return url.split("://", 1)[-1]


def sts_credentials(cloud: LocalCloud, ttl_seconds: float = 3600) -> Any:
    """A fresh STS credential the whole cloud accepts, held to no policy (RAM does not restrict it)."""
    return cloud.credentials.issue_sts_token(ttl_seconds=ttl_seconds)


def role_credentials(cloud: LocalCloud) -> Any:
    """Fresh STS credentials of the function's role, as FC hands them to the function: held to its RAM policy."""
    return cloud.credentials.issue_sts_token(ttl_seconds=cloud.fc.sts_ttl_seconds, policy=cloud.fc.role_policy)


def _keys(cloud: LocalCloud, sts: bool, credential: Any) -> tuple[str, str, str]:
    """(key id, secret, token) of ``credential``, else a fresh STS token when ``sts``, else the demo key."""
    if credential is None and sts:
        credential = sts_credentials(cloud)
    if credential is not None:
        return credential.access_key_id, credential.access_key_secret, credential.security_token
    return cloud.access_key_id, cloud.access_key_secret, ""


def fc_client(
    cloud: LocalCloud, *, sts: bool = False, timeout: float = 60, endpoint: str | None = None, credential: Any = None
) -> Any:
    """An ``aliyun-fc2`` Client for the local FC; invoke with ``cloud.fc.service_name`` / ``function_name``.
    ``credential`` (an STS credential) signs instead of the demo key; ``sts``: a fresh unrestricted one."""
    import fc2

    key_id, secret, token = _keys(cloud, sts, credential)
    return fc2.Client(
        endpoint=endpoint or cloud.url("fc"),
        accessKeyID=key_id,
        accessKeySecret=secret,
        securityToken=token,
        Timeout=timeout,
    )


def fc3_client(cloud: LocalCloud, *, sts: bool = False, credential: Any = None) -> Any:
    """An ``alibabacloud_fc20230330`` Client (FC 3.0's own API, ACS3 signing) for the local FC's API endpoint."""
    from alibabacloud_fc20230330.client import Client

    return Client(_openapi_config(cloud, "fc", sts, credential))


def http_trigger_client(cloud: LocalCloud, *, sts: bool = False) -> Any:
    """An ``aliyun-fc2`` Client for FC 2.0's proxy path on the HTTP trigger (``/2016-08-15/proxy/...``):
    ``do_http_request(method, service, function, path)``. Callers of a deployed FC 3.0 trigger use
    :func:`trigger_request`."""
    return fc_client(cloud, sts=sts, endpoint=cloud.url("http_trigger"))


def trigger_request(
    cloud: LocalCloud,
    method: str = "POST",
    path: str = "/cancel",
    *,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    credentials: tuple[str, str, str] | None = None,
    sts: bool = False,
    timeout: float = 120,
) -> Any:
    """A ``requests`` call to the HTTP trigger signed as FC 3.0's signature authentication documents (ACS3 over
    the ``x-acs-*`` headers, by ``vodcancel``'s signer); ``headers`` are sent unsigned. ``credentials`` =
    (key id, secret, token) overrides the demo key (``sts``: a fresh STS token)."""
    import requests

    from vodcancel.credentials import Credential
    from vodcancel.signing import trigger_headers

    credential = Credential(*(credentials or _keys(cloud, sts, None)))
    url = cloud.url("http_trigger") + path
    signed = trigger_headers(method, url, credential)
    return requests.request(method, url, data=body, headers={**(headers or {}), **signed}, timeout=timeout)


def _openapi_config(cloud: LocalCloud, service: str, sts: bool, credential: Any = None) -> Any:
    """A tea-openapi Config for a local service: ``credential``, else a fresh STS credential (``sts``), else the
    demo key."""
    from alibabacloud_tea_openapi.models import Config

    key_id, secret, token = _keys(cloud, sts, credential)
    config = Config(
        access_key_id=key_id,
        access_key_secret=secret,
        endpoint=_host_port(cloud.url(service)),
        protocol="http",
        region_id=cloud.region,
    )
    if token:
        config.security_token = token
    return config


def vod_client(cloud: LocalCloud, sts: bool = False, credential: Any = None) -> Any:
    """An ``alibabacloud_vod20170321`` Client (ACS3 signing) for the local VOD."""
    from alibabacloud_vod20170321.client import Client

    return Client(_openapi_config(cloud, "vod", sts, credential))


def mns_account(cloud: LocalCloud, sts: bool = False, credential: Any = None) -> Any:
    """An ``aliyun-mns-sdk`` Account for the local MNS (``account.get_topic(name).publish_message(...)``)."""
    from mns.account import Account

    return Account(cloud.url("mns"), *_keys(cloud, sts, credential))


def oss_bucket(cloud: LocalCloud, bucket: str, sts: bool = False, credential: Any = None) -> Any:
    """An ``oss2.Bucket`` on the local OSS (path-style, as oss2 uses for IP endpoints)."""
    import oss2

    key_id, secret, token = _keys(cloud, sts, credential)
    auth: Any = oss2.StsAuth(key_id, secret, token) if token else oss2.Auth(key_id, secret)
    return oss2.Bucket(auth, cloud.url("oss"), bucket)


def oss_v2_client(cloud: LocalCloud, *, sts: bool = False, access_key: tuple[str, str] | None = None) -> Any:
    """An ``alibabacloud_oss_v2`` Client on the local OSS (signature V4, path style, no retries); ``access_key``
    (id, secret) replaces the demo key, e.g. with one the cloud does not know."""
    import alibabacloud_oss_v2 as oss_v2

    key_id, secret = access_key or (cloud.access_key_id, cloud.access_key_secret)
    token = None
    if sts:
        cred = sts_credentials(cloud)
        key_id, secret, token = cred.access_key_id, cred.access_key_secret, cred.security_token
    config = oss_v2.config.load_default()
    config.credentials_provider = oss_v2.credentials.StaticCredentialsProvider(key_id, secret, token)
    config.region = cloud.region
    config.endpoint = cloud.url("oss")
    config.use_path_style = True
    config.retry_max_attempts = 1
    return oss_v2.Client(config)


def _project_dir(config: pytest.Config) -> Path:
    return Path(os.environ.get("LOCALCLOUD_PROJECT") or config.rootpath)


@pytest.fixture(scope="session")
def localcloud_session(request: pytest.FixtureRequest) -> Iterator[LocalCloud]:
    """One local cloud for the whole test process, started from the project's ``s.yaml``."""
    from localcloud.cloud import LocalCloud

    cloud = LocalCloud(_project_dir(request.config)).start()
    try:
        yield cloud
    finally:
        cloud.stop()


@pytest.fixture
def localcloud(localcloud_session: LocalCloud) -> Iterator[LocalCloud]:
    """The session's local cloud, reset to a clean state before the test."""
    localcloud_session.reset()
    yield localcloud_session
