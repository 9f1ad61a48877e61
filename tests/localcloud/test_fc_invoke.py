"""The local FC runs a function like FC's python runtime: warm instances, FC context and env, per-request logs,
timeouts, errors in FC's format, async retries and destinations — all reached through the official aliyun-fc2."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import fc2
import pytest
from fc_helpers import payload, signed_request, write_project

from localcloud.cloud import LocalCloud
from localcloud.fc.models import DEFAULT_MAX_INSTANCES, STS_TTL_SECONDS
from localcloud.testing import fc_client

SERVICE, FUNCTION = "fixture-project", "fixture-fn"


@pytest.fixture(scope="module")
def shared_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    project = write_project(tmp_path_factory.mktemp("fc-project"))
    with LocalCloud(project, function_env={"FROM_FUNCTION_ENV": "yes"}) as cloud:
        yield cloud


@pytest.fixture
def cloud(shared_cloud: LocalCloud) -> LocalCloud:
    shared_cloud.reset()
    shared_cloud.fc.retry_delay_scale = 0.0
    return shared_cloud


def invoke(cloud: LocalCloud, body: bytes, *, sts: bool = False, **headers: str) -> fc2.client.FcHttpResponse:
    return fc_client(cloud, sts=sts).invoke_function(SERVICE, FUNCTION, payload=body, headers=headers)


def test_sync_invoke_returns_the_handler_result_with_static_and_sts_credentials(cloud: LocalCloud) -> None:
    # GIVEN the fixture function  WHEN invoked with a static key and then with an STS token
    static = invoke(cloud, payload(hello="world"))
    sts = invoke(cloud, payload(hello="sts"), sts=True)
    # THEN both return the echoed event, with FC's request id header
    assert json.loads(static.data) == {"hello": "world"}
    assert json.loads(sts.data) == {"hello": "sts"}
    assert static.headers["x-fc-request-id"].startswith("1-")
    assert [r.status for r in cloud.fc.invocations()] == ["succeeded", "succeeded"]


def test_qualifier_latest_is_accepted_and_the_2023_path_refuses_fc2_signatures(cloud: LocalCloud) -> None:
    response = fc_client(cloud).invoke_function(SERVICE, FUNCTION, payload=b'{"q": 1}', qualifier="LATEST")
    assert json.loads(response.data) == {"q": 1}
    # FC 3.0's own API checks its own signature (ACS3-HMAC-SHA256), not the 2016-08-15 API's "FC ak:sig"
    fc3 = signed_request(
        cloud.url("fc"),
        "POST",
        f"/2023-03-30/functions/{FUNCTION}/invocations",
        access_key_id=cloud.access_key_id,
        access_key_secret=cloud.access_key_secret,
        body=b'{"v": 3}',
    )
    error = json.loads(fc3.read())
    assert (fc3.status, error["Code"], set(error)) == (403, "SignatureNotMatch", {"Code", "Message", "RequestId"})
    assert [r.event for r in cloud.fc.invocations()] == [b'{"q": 1}']


def test_context_carries_fc_python_fields(cloud: LocalCloud) -> None:
    response = invoke(cloud, payload(action="context"))
    context = json.loads(response.data)
    assert context["request_id"] == response.headers["x-fc-request-id"]
    access_key_id, camel_id, same_secret, same_token, has_token = context["credentials"]
    assert access_key_id.startswith("STS.") and access_key_id == camel_id and same_secret and same_token and has_token
    assert context["function"] == [FUNCTION, "index.handler", 512, 30]
    name, log_project, log_store, *qualifier = context["service"]
    assert (name, log_store, qualifier) == (SERVICE, "default-logs", ["LATEST", ""])
    assert log_project.startswith("serverless-cn-shanghai-")  # fc3's logConfig: auto
    assert (context["region"], context["account_id"], context["tracing"]) == (cloud.region, cloud.account_id, True)


def test_environment_has_fc_variables_credentials_s_yaml_endpoints_and_overrides(cloud: LocalCloud) -> None:
    env = json.loads(invoke(cloud, payload(action="env")).data)
    assert env["FC_FUNCTION_NAME"] == FUNCTION
    assert env["FC_FUNCTION_HANDLER"] == "index.handler"
    assert (env["FC_FUNCTION_MEMORY_SIZE"], env["FC_TIMEOUT"], env["FC_RUNTIME"]) == ("512", "30", "python3.10")
    assert (env["FC_REGION"], env["FC_ACCOUNT_ID"]) == (cloud.region, cloud.account_id)
    assert env["FC_INSTANCE_ID"].startswith("c-")
    # the code directory holds exactly the package: the project minus .fcignore (here: dist/, the package itself)
    assert Path(env["FC_FUNC_CODE_PATH"]) == cloud.fc.code.directory != cloud.project_dir
    assert sorted(os.listdir(env["FC_FUNC_CODE_PATH"])) == [".fcignore", "index.py", "s.yaml"]
    assert env["ALIBABA_CLOUD_ACCESS_KEY_ID"].startswith("STS.") and env["ALIBABA_CLOUD_SECURITY_TOKEN"]
    assert env["GREETING"] == "hello"
    assert env["VOD_ENDPOINT"] == cloud.url("vod")
    assert env["MNS_ENDPOINT"] == cloud.url("mns") and env["OSS_ENDPOINT"] == cloud.url("oss")
    assert env["FC_ENDPOINT"] == cloud.url("fc")  # FC's own API, for a function that invokes itself
    assert env["FROM_FUNCTION_ENV"] == "yes"
    assert "PYTHONPATH" not in env
    # WHEN a test overrides and removes variables THEN fresh instances see the change
    cloud.fc.set_env(GREETING="bonjour", RESULTS_TOPIC=None)
    env = json.loads(invoke(cloud, payload(action="env")).data)
    assert env["GREETING"] == "bonjour" and "RESULTS_TOPIC" not in env


def test_the_instance_stays_warm_and_only_the_first_call_is_a_cold_start(cloud: LocalCloud) -> None:
    counts = [json.loads(invoke(cloud, payload(action="calls")).data) for _ in range(3)]
    assert counts == [1, 2, 3]
    assert [r.cold_start for r in cloud.fc.invocations()] == [True, False, False]
    assert cloud.fc.instances == 1


def test_logs_are_kept_per_request_from_print_logging_and_raw_fd_writes(cloud: LocalCloud) -> None:
    first = invoke(cloud, payload(n=1)).headers["x-fc-request-id"]
    second = invoke(cloud, payload(n=2)).headers["x-fc-request-id"]
    logs = cloud.fc.logs(second)
    assert f"print line for {second}" in logs
    assert f"{second} [INFO] logging line" in logs
    assert "raw fd 2 line" in logs
    assert logs.startswith(f"FC Invoke Start RequestId: {second}") and first not in logs
    assert "cold start: importing index" in cloud.fc.logs(first)
    assert "cold start" not in logs


def test_c_level_and_child_process_output_lands_in_the_requests_log(cloud: LocalCloud) -> None:
    record = cloud.fc.invoke(payload(action="c-output"))
    after = cloud.fc.invoke(payload())
    assert "printf from C" in record.logs and "echo from a child process" in record.logs
    assert "printf from C" not in after.logs


def test_a_handler_exception_is_fcs_unhandled_invocation_error(cloud: LocalCloud) -> None:
    with pytest.raises(fc2.FcError) as raised:
        invoke(cloud, payload(action="raise", message="bad things"))
    body = json.loads(raised.value.message)
    assert (body["errorType"], body["errorMessage"]) == ("ValueError", "bad things")
    assert body["stackTrace"][-1][2] == "in handler"
    (record,) = cloud.fc.invocations()
    assert record.status == "failed" and record.error_type == "ValueError"
    assert "Traceback" in record.logs and body["RequestId"] == record.request_id


def test_timeout_kills_the_instance_and_the_next_call_cold_starts(cloud: LocalCloud) -> None:
    invoke(cloud, payload())
    cloud.fc.set_timeout(0.5)
    with pytest.raises(fc2.FcError) as raised:
        invoke(cloud, payload(action="sleep", seconds=10))
    assert "timed out" in json.loads(raised.value.message)["errorMessage"]
    assert cloud.fc.instances == 0
    invoke(cloud, payload())
    statuses = [(r.status, r.cold_start) for r in cloud.fc.invocations()]
    assert statuses[1][0] == "timeout" and statuses[2] == ("succeeded", True)
    assert "print line for" in cloud.fc.invocations()[1].logs  # output before the kill is kept


def test_a_process_that_exits_is_reported_and_replaced(cloud: LocalCloud) -> None:
    with pytest.raises(fc2.FcError) as raised:
        invoke(cloud, payload(action="exit"))
    assert "Process exited unexpectedly" in json.loads(raised.value.message)["errorMessage"]
    assert json.loads(invoke(cloud, payload(ok=True)).data) == {"ok": True}


def test_concurrent_invocations_run_on_parallel_instances(cloud: LocalCloud) -> None:
    threads = [threading.Thread(target=invoke, args=(cloud, payload(action="sleep", seconds=0.6))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert cloud.fc.instances == 4
    records = cloud.fc.invocations()
    assert len({r.instance_id for r in records}) == 4
    starts = [r.started_at for r in records]
    ends = [r.started_at + r.duration_ms / 1000 for r in records]
    assert max(starts) < min(ends)  # all four overlapped: they ran side by side, not one after the other


@pytest.mark.parametrize(
    ("service", "function", "code"),
    [("no-such-service", FUNCTION, "ServiceNotFound"), (SERVICE, "no-such-fn", "FunctionNotFound")],
)
def test_unknown_service_or_function_is_404(cloud: LocalCloud, service: str, function: str, code: str) -> None:
    with pytest.raises(fc2.FcError) as raised:
        fc_client(cloud).invoke_function(service, function, payload=b"{}")
    assert (raised.value.status_code, raised.value.err_code) == (404, code)


def test_bad_credentials_are_refused_with_fc_codes(cloud: LocalCloud) -> None:
    wrong_secret = fc2.Client(endpoint=cloud.url("fc"), accessKeyID=cloud.access_key_id, accessKeySecret="nope")
    unknown_key = fc2.Client(endpoint=cloud.url("fc"), accessKeyID="LTAIunknown", accessKeySecret="nope")
    with pytest.raises(fc2.FcError) as bad_signature:
        wrong_secret.invoke_function(SERVICE, FUNCTION, payload=b"{}")
    with pytest.raises(fc2.FcError) as bad_key:
        unknown_key.invoke_function(SERVICE, FUNCTION, payload=b"{}")
    assert (bad_signature.value.status_code, bad_signature.value.err_code) == (403, "SignatureNotMatch")
    assert (bad_key.value.status_code, bad_key.value.err_code) == (403, "InvalidAccessKeyID")
    assert cloud.fc.invocations() == []


def test_injected_fault_answers_with_the_fc_error_then_clears(cloud: LocalCloud) -> None:
    cloud.faults.add(service="fc", operation="InvokeFunction", error_code="ResourceThrottled", count=1)
    with pytest.raises(fc2.FcError) as raised:
        invoke(cloud, payload())
    assert (raised.value.status_code, raised.value.err_code) == (503, "ResourceThrottled")
    assert json.loads(invoke(cloud, payload(after=1)).data) == {"after": 1}


def test_async_invoke_is_accepted_and_runs_in_the_background(cloud: LocalCloud) -> None:
    response = invoke(cloud, payload(action="sleep", seconds=0.2), **{"x-fc-invocation-type": "Async"})
    request_id = response.headers["x-fc-request-id"]
    assert response.data == b""
    assert cloud.fc.wait_idle(timeout=10)
    (record,) = cloud.fc.invocations(request_id=request_id)
    assert (record.invocation_type, record.status, record.result) == ("Async", "succeeded", b"slept")
    (success,) = cloud.mns.published("fixture-successes")
    assert json.loads(success.body)["requestContext"]["requestId"] == request_id


def test_async_failure_is_retried_then_sent_to_the_on_failure_topic(cloud: LocalCloud) -> None:
    request_id = cloud.fc.invoke_async(payload(action="raise", message="always"))
    cloud.fc.wait_idle(timeout=10)
    attempts = cloud.fc.invocations(request_id=request_id)
    assert [(r.attempt, r.status) for r in attempts] == [(1, "failed"), (2, "failed"), (3, "failed")]
    (message,) = cloud.mns.published("fixture-failures")
    record = json.loads(message.body)
    assert record["requestContext"]["requestId"] == request_id
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["responseContext"]["functionError"] == "UnhandledInvocationError"
    assert json.loads(record["requestPayload"]) == {"action": "raise", "message": "always"}
    assert json.loads(record["responsePayload"])["errorMessage"] == "always"
    assert cloud.mns.published("fixture-successes") == []


def test_async_retry_that_succeeds_goes_to_on_success(cloud: LocalCloud, tmp_path: Path) -> None:
    counter = tmp_path / "counter"
    request_id = cloud.fc.invoke_async(payload(action="fail-until", counter=str(counter), succeed_on=2))
    cloud.fc.wait_idle(timeout=10)
    assert [r.status for r in cloud.fc.invocations(request_id=request_id)] == ["failed", "succeeded"]
    assert cloud.mns.published("fixture-failures") == []
    assert len(cloud.mns.published("fixture-successes")) == 1


def test_async_payload_over_128_kb_is_entity_too_large(cloud: LocalCloud) -> None:
    with pytest.raises(fc2.FcError) as raised:
        invoke(cloud, b"x" * (128 * 1024 + 1), **{"x-fc-invocation-type": "Async"})
    assert (raised.value.status_code, raised.value.err_code) == (400, "EntityTooLarge")


def test_wiring_creates_named_resources_and_mns_topic_messages_reach_the_function(cloud: LocalCloud) -> None:
    # GIVEN s.yaml names topics (trigger, destinations, *_TOPIC) and a bucket (*_BUCKET)
    assert {"fixture-requests", "fixture-failures", "fixture-successes", "fixture-results"} <= set(cloud.mns.topics())
    # WHEN a message is published on the trigger topic
    message = cloud.mns.publish("fixture-requests", '{"from": "mns"}')
    cloud.fc.wait_idle(timeout=10)
    # THEN the function got MNS's JSON event, asynchronously
    (record,) = cloud.fc.invocations(source="mns")
    event = json.loads(record.event)
    assert (event["Message"], event["MessageId"], event["TopicName"]) == ('{"from": "mns"}', message.message_id,
                                                                          "fixture-requests")  # fmt: skip
    assert (record.trigger, record.invocation_type) == ("requests", "Async")


def test_oss_objects_matching_the_trigger_invoke_the_function_asynchronously(cloud: LocalCloud) -> None:
    # GIVEN the uploads trigger (in/*.txt, PutObject) on the bucket s.yaml names
    assert cloud.oss.bucket_exists("fixture-bucket")
    # WHEN one matching and one non-matching object are written
    cloud.oss.put_object("fixture-bucket", "in/a.txt", b"job-1")
    cloud.oss.put_object("fixture-bucket", "other/b.txt", b"job-2")
    cloud.fc.wait_idle(timeout=10)
    # THEN only the matching one reached the function, as FC's OSS event
    (record,) = cloud.fc.invocations(source="oss")
    (event,) = json.loads(record.event)["events"]
    assert (event["eventName"], event["oss"]["object"]["key"]) == ("ObjectCreated:PutObject", "in/a.txt")
    assert (record.trigger, record.invocation_type) == ("uploads", "Async")


def test_deliver_event_to_an_unknown_function_is_refused(cloud: LocalCloud) -> None:
    with pytest.raises(LookupError):
        cloud.fc.deliver_event("acs:fc:cn-shanghai:1:functions/other", b"{}", source="oss")


def test_wait_idle_times_out_while_an_invocation_runs(cloud: LocalCloud) -> None:
    cloud.fc.invoke_async(payload(action="sleep", seconds=1))
    with pytest.raises(TimeoutError):
        cloud.fc.wait_idle(timeout=0.2)
    cloud.fc.wait_idle(timeout=10)


def test_reset_forgets_invocations_and_overrides(cloud: LocalCloud) -> None:
    cloud.fc.set_timeout(1)
    invoke(cloud, payload())
    cloud.reset()
    assert cloud.fc.invocations() == [] and cloud.fc.instances == 0 and cloud.fc.timeout == 30


def test_reset_restores_every_fc_knob_to_its_default(cloud: LocalCloud) -> None:
    cloud.fc.sts_ttl_seconds, cloud.fc.max_instances, cloud.fc.retry_delay_scale = 60, 1, 0.5
    cloud.reset()
    assert (cloud.fc.sts_ttl_seconds, cloud.fc.max_instances, cloud.fc.retry_delay_scale) == (
        STS_TTL_SECONDS,
        DEFAULT_MAX_INSTANCES,
        0.01,
    )
    assert json.loads(invoke(cloud, payload(after="reset")).data) == {"after": "reset"}


def test_context_credentials_are_rotated_before_they_expire(cloud: LocalCloud) -> None:
    # GIVEN an instance whose role token lives one hour (the next reset restores FC's 36 hours)
    cloud.fc.sts_ttl_seconds = 3600
    first = cloud.fc.invoke(payload(action="context")).result_json()["credentials"][0]
    # WHEN the clock moves to within the refresh margin of the expiry (Python API: SDK dates would be skewed)
    cloud.clock.advance(3600 - 60)
    second = cloud.fc.invoke(payload(action="context")).result_json()["credentials"][0]
    # THEN the same warm instance hands the handler a fresh token
    assert first != second
    assert [r.cold_start for r in cloud.fc.invocations()] == [True, False]


def test_a_large_sync_payload_and_result_travel_intact(cloud: LocalCloud) -> None:
    blob = "x" * (8 * 1024 * 1024)
    response = invoke(cloud, payload(blob=blob))
    assert json.loads(response.data)["blob"] == blob
