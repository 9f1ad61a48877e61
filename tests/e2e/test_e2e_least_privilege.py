"""Least privilege, enforced: the function runs with its role's policy exactly as deploy/function-policy.json
writes it, every suite passes under it (so nothing is missing), and every grant in it is needed.

"Needed" is measured, not assumed: the local cloud's RAM records each decision, and one run through every trigger
shape (OSS manifest, MNS JSON and STREAM, HTTP, an async failure sent to the onFailure topic) must use every
(action, resource) pair the policy grants. A grant no run uses is excessive; a call it lacks fails every suite.
"""

from __future__ import annotations

import json
from typing import Any

import alibabacloud_oss_v2 as oss
import pytest
from e2e_helpers import (
    FAILURES_TOPIC,
    MANIFEST_BUCKET,
    MANIFEST_PREFIX,
    RESULTS_TOPIC,
    invocation_logs,
    invocations,
    post,
    publish_request,
    put_manifest,
    seed_mixed,
    settle,
    use_stream_subscription,
)

from localcloud.auth.ram import Evaluation, load_policy
from localcloud.cloud import LocalCloud
from localcloud.testing import role_credentials

POLICY = "deploy/function-policy.json"


def decisions_since(cloud: LocalCloud, before: dict[Evaluation, int]) -> list[Evaluation]:
    return [e for e, count in cloud.ram.evaluations().items() if count > before.get(e, 0)]


def test_the_function_runs_with_the_role_policy_as_written(cloud: LocalCloud) -> None:
    """The STS credentials FC hands the function hold the policy file's statements, account and region filled."""
    # GIVEN the deployed policy file  WHEN the function cancels a job over HTTP
    job = cloud.vod.seed_job("https://media.example.com/role.mp4").job_id
    assert post(cloud, {"JobIds": [job]}).status == 200
    # THEN the key it signed VOD's call with is an STS key held to that file's policy
    key = cloud.vod.calls[-1].access_key_id
    assert key.startswith("STS.")
    written = load_policy(cloud.project_dir / POLICY, {"ACCOUNT_ID": cloud.account_id, "REGION": cloud.region}, POLICY)
    assert cloud.credentials.policy_of(key) == written


def _oss_client(cloud: LocalCloud, credential: Any) -> Any:
    """The function's OSS SDK (alibabacloud_oss_v2) with the role's credentials."""
    config = oss.config.load_default()
    config.credentials_provider = oss.credentials.StaticCredentialsProvider(
        credential.access_key_id, credential.access_key_secret, credential.security_token
    )
    config.region = cloud.region
    config.endpoint = cloud.url("oss")
    config.use_path_style = True
    return oss.Client(config)


def _service_error(call: Any) -> Any:
    with pytest.raises(oss.exceptions.OperationError) as raised:
        call()
    return raised.value.unwrap()


def test_the_role_may_not_read_outside_the_manifest_prefix_or_write_at_all(cloud: LocalCloud) -> None:
    """With the function's own OSS SDK and role: AccessDenied 403 (EC 0003-00000202) outside its one grant."""
    # GIVEN objects inside and outside cancel-requests/
    put_manifest(cloud, f"{MANIFEST_PREFIX}mine.txt", "job\n")
    oss_client = _oss_client(cloud, role_credentials(cloud))
    put_manifest(cloud, "other/theirs.txt", "job\n")
    # WHEN the role reads both and writes one  THEN only the read under the prefix is allowed
    mine = oss_client.get_object(oss.GetObjectRequest(bucket=MANIFEST_BUCKET, key=f"{MANIFEST_PREFIX}mine.txt"))
    assert mine.body.read() == b"job\n"
    theirs = _service_error(
        lambda: oss_client.get_object(oss.GetObjectRequest(bucket=MANIFEST_BUCKET, key="other/theirs.txt"))
    )
    write = _service_error(
        lambda: oss_client.put_object(oss.PutObjectRequest(bucket=MANIFEST_BUCKET, key=f"{MANIFEST_PREFIX}x", body=b""))
    )
    for error, action in ((theirs, "oss:GetObject"), (write, "oss:PutObject")):
        assert (error.status_code, error.code, error.ec) == (403, "AccessDenied", "0003-00000202")
        assert f"({action} on acs:oss:{cloud.region}:{cloud.account_id}:{MANIFEST_BUCKET}/" in error.message


def test_a_call_the_policy_refuses_is_named_in_the_functions_log(cloud: LocalCloud) -> None:
    """Publishing where the role may not: MNS's AccessDenied, and the log says which grant is missing."""
    # GIVEN the function pointed at a results topic its policy does not name
    cloud.fc.set_env(NOTIFY_TOPIC="vod-cancel-elsewhere")
    job = cloud.vod.seed_job("https://media.example.com/elsewhere.mp4").job_id
    # WHEN a request arrives over HTTP
    reply = post(cloud, {"JobIds": [job]})
    # THEN the job is cancelled and the reply says the results were not published ...
    assert (reply.status, reply.headers["X-Results-Published"]) == (200, "false")
    assert cloud.mns.published("vod-cancel-elsewhere") == []
    # ... and the function's log carries MNS's error with what to grant
    logs = invocation_logs(cloud)
    assert "AccessDenied" in logs, logs
    arn = f"acs:mns:{cloud.region}:{cloud.account_id}:/topics/vod-cancel-elsewhere/messages"
    assert f"mns:PublishMessage on {arn} is not allowed by any statement of {POLICY}" in logs, logs


def test_every_grant_of_the_policy_is_needed_by_some_trigger_shape(cloud: LocalCloud) -> None:
    """Run every door, a manifest that continues in another invocation, and FC's own use of the role; every granted
    (action, resource) pair is used, none refused."""
    before = cloud.ram.evaluations()
    # GIVEN pending, started and unknown jobs named by ID and by URL (URLs make the function ask GetURLUploadInfos)
    # WHEN they arrive as an OSS manifest, an MNS JSON message, an HTTP request and an MNS STREAM message
    put_manifest(cloud, f"{MANIFEST_PREFIX}least-privilege.txt", seed_mixed(cloud, count=2, label="o").as_text())
    settle(cloud, results=1)
    publish_request(cloud, seed_mixed(cloud, count=2, label="j").as_json())
    settle(cloud, results=2)
    assert post(cloud, seed_mixed(cloud, count=2, label="h").as_json()).status == 200
    use_stream_subscription(cloud)
    publish_request(cloud, seed_mixed(cloud, count=2, label="s").as_json())
    settle(cloud, results=4)
    # ... and an OSS invocation whose every attempt fails (MNS refuses every publish): FC's onFailure record
    cloud.faults.add(service="mns", operation="PublishMessage", error_code="InternalError")
    put_manifest(cloud, f"{MANIFEST_PREFIX}fails.txt", seed_mixed(cloud, count=1, label="f").as_text())
    settle(cloud, invocations=len(invocations(cloud)) + 1)
    assert len(cloud.mns.published(FAILURES_TOPIC)) == 1, invocation_logs(cloud)
    cloud.faults.clear()
    # ... and a manifest that outlasts its invocation: its checkpoint, and FC's InvokeFunction to continue it
    cloud.fc.set_timeout(4)
    cloud.fc.set_env(DEADLINE_MARGIN_S="0.5", VOD_CANCEL_QPS="20")
    cloud.vod.quotas["CancelUrlUploadJobs"] = 20
    before_manifest = len(invocations(cloud))
    put_manifest(cloud, f"{MANIFEST_PREFIX}continues.txt", "\n".join(f"gone-{index:04d}" for index in range(800)))
    settle(cloud, invocations=before_manifest + 2)  # the OSS event's invocation and (at least) its continuation
    assert any(b"VodCancelContinuation" in record.event for record in invocations(cloud)), invocation_logs(cloud)
    # THEN every grant of the policy was needed, and no call of the function was refused
    decisions = decisions_since(cloud, before)
    assert [e.reason() for e in decisions if not e.allowed] == []
    used = {grant for e in decisions for grant in e.grants}
    policy = cloud.fc.role_policy
    assert policy is not None and policy.name == POLICY
    unused = [str(grant) for grant in policy.grants() if grant not in used]
    assert unused == [], f"granted but never needed (excessive): {unused}"
    assert len({json.loads(m.body)["DedupeKey"] for m in cloud.mns.published(RESULTS_TOPIC)}) == 5
    sources = {json.loads(m.body)["Source"] for m in cloud.mns.published(RESULTS_TOPIC)}
    assert sources == {"oss", "mns", "http"}
