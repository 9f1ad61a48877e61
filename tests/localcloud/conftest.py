"""Fixtures the local-cloud tests share.

- The auth tests: a capture server for SDK requests, a clock, a credential store and the caller.
- The service tests: the MNS+OSS apps (``services``, :mod:`svc_helpers`) and the VOD app (``shared_env``,
  :mod:`vod_helpers`), started once per test module; each module's own ``env`` fixture resets and seeds them.
- The FC tests: a whole local cloud on the fixture project (:mod:`fc_helpers`), started once per test module
  (``shared_cloud``) and reset for each test (``cloud``).

A test module that needs something else under one of these names (another key, another server) defines its own
fixture of that name, which takes precedence here.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from auth_capture import ACCESS_KEY_ID, ACCESS_KEY_SECRET, CaptureServer, Identity, identity
from fc_helpers import write_project
from svc_helpers import Running, running_services
from vod_helpers import VodEnv, running_vod

from localcloud.auth import CredentialStore
from localcloud.clock import Clock
from localcloud.cloud import LocalCloud


@pytest.fixture(scope="module")
def server() -> Iterator[CaptureServer]:
    with CaptureServer().running() as capture_server:
        yield capture_server


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(clock: Clock) -> CredentialStore:
    credentials = CredentialStore(clock)
    credentials.add_access_key(ACCESS_KEY_ID, ACCESS_KEY_SECRET)
    return credentials


@pytest.fixture(params=["static", "sts"])
def caller(request: pytest.FixtureRequest, store: CredentialStore) -> Identity:
    return identity(store, request.param)


@pytest.fixture(scope="module")
def services() -> Iterator[Running]:
    with running_services() as running:
        yield running


@pytest.fixture(scope="module")
def shared_env() -> Iterator[VodEnv]:
    with running_vod() as env:
        yield env


@pytest.fixture(scope="module")
def shared_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    with LocalCloud(write_project(tmp_path_factory.mktemp("fc-project"))) as cloud:
        yield cloud


@pytest.fixture
def cloud(shared_cloud: LocalCloud) -> LocalCloud:
    shared_cloud.reset()
    return shared_cloud
