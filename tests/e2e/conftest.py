"""End-to-end fixtures: one local cloud per test process, clean for every test, with WARM function instances.

The plugin's ``localcloud`` fixture resets everything before each test, cold instances included: every test would
pay a cold start (a new process importing the SDKs, 0.5–3 s on 2 busy cores). Here the e2e tests get their own
cloud (so no other test directory can leave it in a state this reset does not undo) and a lighter reset:
faults, clock, VOD, MNS and OSS are reset and the function re-wired, while warm instances are kept — unless the
previous test changed the function's environment or timeout (then it is the full reset: instances restart with
the s.yaml environment, as they must). The credential store is kept so the warm instances' STS tokens stay valid.
Invocation records are not cleared by a warm reset: tests read them through ``e2e_helpers.invocations`` (this test's
records only).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from e2e_helpers import begin_test

from localcloud.cloud import LocalCloud


@dataclass
class _Session:
    cloud: LocalCloud
    environment: dict[str, str]
    timeout: float
    dirty: bool = False

    def needs_full_reset(self) -> bool:
        return self.dirty or self.cloud.fc.environment() != self.environment or self.cloud.fc.timeout != self.timeout

    def warm_reset(self) -> None:
        cloud = self.cloud
        cloud.faults.clear()
        cloud.clock.reset()
        cloud.vod.reset()
        cloud.mns.reset()
        cloud.oss.reset()
        cloud.fc.wire()  # topics, buckets, the MNS subscription and OSS notification from s.yaml


@pytest.fixture(scope="session")
def e2e_session(request: pytest.FixtureRequest) -> Iterator[_Session]:
    """The e2e tests' own local cloud, started from the project's s.yaml, running the code package as deployed."""
    project = Path(os.environ.get("LOCALCLOUD_PROJECT") or request.config.rootpath)
    cloud = LocalCloud(project, code="package").start()
    try:
        yield _Session(cloud, cloud.fc.environment(), cloud.fc.timeout)
    finally:
        cloud.stop()


@pytest.fixture
def cloud(e2e_session: _Session) -> Iterator[LocalCloud]:
    """A clean local cloud for this test (warm instances kept when the function's configuration is unchanged)."""
    if e2e_session.needs_full_reset():
        e2e_session.cloud.reset()
        e2e_session.dirty = False
    else:
        e2e_session.warm_reset()
    begin_test(e2e_session.cloud)
    yield e2e_session.cloud
    try:
        e2e_session.cloud.fc.wait_idle(timeout=60)
    except TimeoutError:
        e2e_session.dirty = True
        raise
