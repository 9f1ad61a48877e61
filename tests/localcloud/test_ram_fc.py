"""The local FC and the function's role: the credentials it hands out carry the role's policy file as written, and
its own use of the role (async destinations, log delivery) is held to that policy too.

FC delivers destination records with the function's role (FC's destination doc lists the permission each kind
needs: ``mns:PublishMessage`` for a topic) and writes the function's logs to its log store with it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fc_helpers import payload, write_project

from localcloud.auth.ram import Policy, PolicyError, load_policy
from localcloud.cloud import LocalCloud
from localcloud.testing import fc_client

SERVICE, FUNCTION = "fixture-project", "fixture-fn"
POLICY = {
    "Version": "1",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "mns:PublishMessage",
            "Resource": "acs:mns:${REGION}:${ACCOUNT_ID}:/topics/fixture-successes/messages",
        }
    ],
}


def write_policy(project: Path, document: object) -> Path:
    path = project / "deploy" / "function-policy.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document), encoding="utf-8")
    return project


@pytest.fixture(scope="module")
def role_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    """The fixture project with a role policy; async retries without delay."""
    with LocalCloud(write_policy(write_project(tmp_path_factory.mktemp("fc-role")), POLICY)) as cloud:
        yield cloud


@pytest.fixture
def cloud(role_cloud: LocalCloud) -> LocalCloud:
    role_cloud.reset()
    role_cloud.fc.retry_delay_scale = 0.0
    return role_cloud


def test_the_functions_credentials_carry_the_role_policy_as_written(cloud: LocalCloud) -> None:
    # GIVEN s.yaml names a role and the project has deploy/function-policy.json
    # WHEN the function reads its credentials from the context
    response = fc_client(cloud).invoke_function(SERVICE, FUNCTION, payload=payload(action="context"))
    access_key_id = json.loads(response.data)["credentials"][0]
    # THEN they are held to that file's policy, with the cloud's account and region filled in
    policy = cloud.credentials.policy_of(access_key_id)
    assert policy is cloud.fc.role_policy
    written = load_policy(
        cloud.project_dir / "deploy" / "function-policy.json",
        {"ACCOUNT_ID": cloud.account_id, "REGION": cloud.region},
        "deploy/function-policy.json",
    )
    assert policy == written
    assert [g.resource for g in policy.grants()] == [
        f"acs:mns:{cloud.region}:{cloud.account_id}:/topics/fixture-successes/messages"
    ]


def test_fc_delivers_destination_records_only_where_the_role_may_publish(
    cloud: LocalCloud, caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN a role allowed to publish on the onSuccess topic only
    caplog.set_level(logging.WARNING, logger="localcloud.fc.models")
    # WHEN one async invocation succeeds and one fails every attempt
    succeeded = cloud.fc.invoke_async(payload(action="echo"))
    failed = cloud.fc.invoke_async(payload(action="raise", message="always"))
    cloud.fc.wait_idle(timeout=30)
    # THEN the success record is on its topic; the failure record was refused to the role and dropped, loudly
    (success,) = cloud.mns.published("fixture-successes")
    assert json.loads(success.body)["requestContext"]["requestId"] == succeeded
    assert len(cloud.fc.invocations(request_id=failed)) == 3
    assert cloud.mns.published("fixture-failures") == []
    refused = [r.getMessage() for r in caplog.records if "refused to the function's role" in r.getMessage()]
    assert refused == [
        "async destination acs:mns:cn-shanghai::/topics/fixture-failures/messages refused to the function's role "
        f"(mns:PublishMessage on acs:mns:cn-shanghai:{cloud.account_id}:/topics/fixture-failures/messages is not "
        "allowed by any statement of deploy/function-policy.json); record dropped"
    ]


def test_a_role_that_may_not_write_logs_is_reported_once(cloud: LocalCloud, caplog: pytest.LogCaptureFixture) -> None:
    # GIVEN logConfig: auto and a role without log:PostLogStoreLogs
    caplog.set_level(logging.WARNING, logger="localcloud.fc.models")
    # WHEN the function runs twice
    for _ in range(2):
        fc_client(cloud).invoke_function(SERVICE, FUNCTION, payload=payload(action="echo"))
    # THEN the local cloud says once that FC could not write the logs with the role (the records keep them)
    (warning,) = [r.getMessage() for r in caplog.records if "cannot write the function's logs" in r.getMessage()]
    assert f"log:PostLogStoreLogs on acs:log:cn-shanghai:{cloud.account_id}:project/serverless-cn-shanghai-" in warning
    assert "/logstore/default-logs is not allowed" in warning
    assert all("print line for" in record.logs for record in cloud.fc.invocations())


def test_a_policy_with_a_condition_stops_the_cloud_from_starting(tmp_path: Path) -> None:
    # GIVEN a role policy whose statement has a Condition the local cloud cannot evaluate
    statement = {**POLICY["Statement"][0], "Condition": {"IpAddress": {"acs:SourceIp": "10.0.0.0/8"}}}  # type: ignore[dict-item]
    project = write_policy(write_project(tmp_path), {"Version": "1", "Statement": [statement]})
    # WHEN the cloud is built  THEN it refuses, naming the file and the statement
    with pytest.raises(PolicyError, match=r"deploy/function-policy\.json, statement 1: Condition is not evaluated"):
        LocalCloud(project)


def role_policy(project: Path, **options: Any) -> Policy | None:
    """The policy a cloud built (not started) for ``project`` would hold the function's credentials to."""
    cloud = LocalCloud(project, **options)
    try:
        return cloud.fc.role_policy
    finally:
        cloud.stop()


def test_where_the_policy_comes_from(tmp_path: Path) -> None:
    # GIVEN a project with a role in s.yaml and no deploy/function-policy.json
    project = write_project(tmp_path / "plain")
    # THEN by default its role is not restricted; an explicitly named file must exist
    assert role_policy(project) is None
    with pytest.raises(PolicyError, match="cannot read the policy"):
        role_policy(project, role_policy="deploy/missing.json")
    # GIVEN the policy file, THEN role_policy=None turns enforcement off, another path is read instead
    write_policy(project, POLICY)
    assert role_policy(project) is not None
    assert role_policy(project, role_policy=None) is None
    other = project / "other.json"
    other.write_text(json.dumps({"Version": "1", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}))
    denying = role_policy(project, role_policy=other)
    assert denying is not None and [s.effect for s in denying.statements] == ["Deny"]
    # GIVEN s.yaml names no role  THEN there is no role policy to hold the credentials to
    s_yaml = project / "s.yaml"
    s_yaml.write_text("\n".join(line for line in s_yaml.read_text().splitlines() if "role:" not in line))
    assert role_policy(project) is None
