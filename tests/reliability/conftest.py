"""Reliability suites: the ``tally`` of generated cases / injected faults / checked items, and a secret guard.

Every reliability test that uses the ``localcloud`` fixture runs under :func:`_reliability_guard`, which

- counts every request the local cloud answered with an injected fault (latency, error code or reset), by
  wrapping ``cloud.faults.decide`` (the real decision is unchanged);
- records every STS credential the cloud issues (the function's role credentials), and after the test scans
  every log line, result, error and published message for the cloud's AccessKey secret and every issued STS
  secret and token (raw, URL-encoded, base64, and 24-character windows of them);
- waits for stragglers: a request delayed by injected latency is still sleeping in a server thread when the
  client has given up; it must finish before the next test resets the cloud and counts VOD calls.

The counts travel as ``user_properties`` of the test reports (so they survive pytest-xdist) and are summed in
the terminal summary by ``summary.py`` (a plugin tests/conftest.py loads, so the xdist controller has it too).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

import pytest
from helpers import FaultCounter, Run, Tally, cloud_texts, find_leaks
from reliability.summary import PREFIX


@pytest.fixture(scope="session")
def run(pytestconfig: pytest.Config) -> Run:
    return Run(soak=bool(pytestconfig.getoption("--soak", default=False)))


@pytest.fixture
def tally(record_property: Any) -> Iterator[Tally]:
    counts = Tally()
    yield counts
    for name, value in asdict(counts).items():
        record_property(f"{PREFIX}{name}", value)


@pytest.fixture(autouse=True)
def _reliability_guard(request: pytest.FixtureRequest, tally: Tally) -> Iterator[None]:
    if "localcloud" not in request.fixturenames:
        yield
        return
    cloud = request.getfixturevalue("localcloud")
    issued: list[Any] = []
    issue_sts_token = cloud.credentials.issue_sts_token

    def recording_issue(ttl_seconds: float = 3600, policy: Any = None) -> Any:
        credential = issue_sts_token(ttl_seconds=ttl_seconds, policy=policy)
        issued.append(credential)
        return credential

    cloud.credentials.issue_sts_token = recording_issue
    try:
        with FaultCounter(cloud, tally):
            yield
            with contextlib.suppress(TimeoutError):
                cloud.fc.wait_idle(timeout=60)
    finally:
        del cloud.credentials.issue_sts_token
    secrets = [cloud.access_key_secret]
    for credential in issued:
        secrets += [credential.access_key_secret, credential.security_token]
    leaks = find_leaks(cloud_texts(cloud), secrets)
    assert not leaks, f"credentials leaked into the function's output: {leaks[:5]}"
