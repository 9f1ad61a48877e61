"""Conformance: FC 3.0's official SDK (``alibabacloud-fc20230330``) against the local FC running this project's
function, used the way its users use it — invoke sync and async, page through lists with ``nextToken``, read the
function, its triggers and its async config back as s.yaml declares them, a role's STS credentials — and a
management write refused with FC's answer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from alibabacloud_fc20230330 import models
from alibabacloud_fc20230330.client import Client
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_tea_openapi.models import Config
from darabonba.runtime import RuntimeOptions

from localcloud.cloud import LocalCloud
from localcloud.fc.config import resolve_variables
from localcloud.testing import fc3_client, sts_credentials

PROJECT = Path(__file__).resolve().parents[2]
EVENTS = PROJECT / "events"


@pytest.fixture
def cloud(localcloud: LocalCloud) -> LocalCloud:
    return localcloud


def declared(cloud: LocalCloud) -> dict[str, Any]:
    """This project's fc3 props, read straight from s.yaml."""
    document = yaml.safe_load((PROJECT / "s.yaml").read_text(encoding="utf-8"))
    resolved = resolve_variables(document, {"AccountID": cloud.account_id}, env={})
    return resolved["resources"]["canceller"]["props"]


def cancel_event(cloud: LocalCloud, job_id: str) -> bytes:
    """The project's MNS (JSON format) sample event, asking to cancel ``job_id``."""
    event = json.loads((EVENTS / "mns-json.json").read_text(encoding="utf-8"))
    event["Message"] = json.dumps({"JobIds": [job_id]})
    return json.dumps(event).encode("utf-8")


def test_a_sync_invocation_returns_the_functions_result(cloud: LocalCloud) -> None:
    job = cloud.vod.seed_job("https://media.example.com/sync.mp4")
    response = fc3_client(cloud).invoke_function(
        cloud.fc.function_name, models.InvokeFunctionRequest(body=cancel_event(cloud, job.job_id))
    )
    result = json.loads(response.body.read())
    assert (response.status_code, result["CanceledJobs"], job.status) == (200, [job.job_id], "CANCELED")
    assert "x-fc-error-type" not in response.headers


def test_an_async_invocation_is_accepted_and_runs_through_fcs_async_machinery(cloud: LocalCloud) -> None:
    job = cloud.vod.seed_job("https://media.example.com/async.mp4")
    response = fc3_client(cloud, sts=True).invoke_function_with_options(
        cloud.fc.function_name,
        models.InvokeFunctionRequest(body=cancel_event(cloud, job.job_id)),
        models.InvokeFunctionHeaders(x_fc_invocation_type="Async"),
        RuntimeOptions(),
    )
    assert response.status_code == 202
    cloud.fc.wait_idle(timeout=60)
    (record,) = cloud.fc.invocations(request_id=response.headers["x-fc-request-id"])
    assert (record.invocation_type, record.source, record.status) == ("Async", "api", "succeeded")
    assert job.status == "CANCELED"


def test_the_functions_own_continuation_call_with_its_role_credentials(cloud: LocalCloud) -> None:
    # GIVEN the role credentials FC hands the function (env ALIBABA_CLOUD_* or context.credentials), and FC's endpoint
    role = sts_credentials(cloud)
    endpoint = cloud.url("fc").split("://", 1)[1]  # on FC: <account>.<region>-internal.fc.aliyuncs.com
    config = Config(
        access_key_id=role.access_key_id,
        access_key_secret=role.access_key_secret,
        security_token=role.security_token,
        endpoint=endpoint,
        protocol="http",
        region_id=cloud.region,
    )
    # WHEN the function continues in a new asynchronous invocation of itself
    response = Client(config).invoke_function_with_options(
        cloud.fc.function_name,
        models.InvokeFunctionRequest(body=b'{"Checkpoint": "oss://bucket/key"}'),
        models.InvokeFunctionHeaders(x_fc_invocation_type="Async"),
        RuntimeOptions(),
    )
    # THEN FC accepts it, signed with the STS token, and runs it asynchronously
    assert response.status_code == 202
    cloud.fc.wait_idle(timeout=60)
    (record,) = cloud.fc.invocations(request_id=response.headers["x-fc-request-id"])
    assert (record.invocation_type, record.event) == ("Async", b'{"Checkpoint": "oss://bucket/key"}')


def test_get_function_answers_what_s_yaml_declares(cloud: LocalCloud) -> None:
    props = declared(cloud)
    function = fc3_client(cloud).get_function(cloud.fc.function_name, models.GetFunctionRequest()).body
    assert (function.function_name, function.runtime, function.handler) == (
        props["functionName"],
        props["runtime"],
        props["handler"],
    )
    assert (function.memory_size, function.timeout, function.role) == (
        props["memorySize"],
        props["timeout"],
        props["role"],
    )
    assert function.description == props["description"]
    assert props["environmentVariables"].items() <= function.environment_variables.items()
    assert function.log_config.project.startswith(f"serverless-{props['region']}-")  # fc3's `logConfig: auto`
    assert function.code_size > 0 and function.code_checksum.isdigit()


def test_list_functions_pages_with_next_token(cloud: LocalCloud) -> None:
    client, token, names = fc3_client(cloud), None, []
    while True:
        page = client.list_functions(models.ListFunctionsRequest(limit=1, next_token=token)).body
        names += [f.function_name for f in page.functions]
        token = page.next_token
        if not token:
            break
    assert names == [cloud.fc.function_name]


def test_every_declared_trigger_is_listed_and_read_back_with_its_config(cloud: LocalCloud) -> None:
    client, function = fc3_client(cloud), cloud.fc.function_name
    token, listed = None, []
    while True:
        page = client.list_triggers(function, models.ListTriggersRequest(limit=2, next_token=token)).body
        listed += page.triggers
        token = page.next_token
        if not token:
            break
    expected = {t["triggerName"]: t for t in declared(cloud)["triggers"]}
    assert sorted(t.trigger_name for t in listed) == sorted(expected)
    for name, raw in expected.items():
        trigger = client.get_trigger(function, name).body
        assert (trigger.trigger_type, json.loads(trigger.trigger_config)) == (raw["triggerType"], raw["triggerConfig"])
        assert trigger.source_arn == raw.get("sourceArn", "") and trigger.qualifier == "LATEST"
    http = client.get_trigger(function, "http").body.http_trigger
    assert http.url_internet.startswith(f"https://{function}-") and http.url_internet.endswith(".fcapp.run")


def test_the_async_invoke_config_is_s_yaml_s(cloud: LocalCloud) -> None:
    props = declared(cloud)["asyncInvokeConfig"]
    config = fc3_client(cloud).get_async_invoke_config(cloud.fc.function_name, models.GetAsyncInvokeConfigRequest())
    body = config.body
    assert (body.max_async_retry_attempts, body.max_async_event_age_in_seconds) == (
        props["maxAsyncRetryAttempts"],
        props["maxAsyncEventAgeInSeconds"],
    )
    on_failure = props["destinationConfig"]["onFailure"]["destination"]
    assert body.destination_config.on_failure.destination == on_failure
    assert body.destination_config.on_success is None


def test_a_management_write_is_refused_with_path_not_supported_and_changes_nothing(cloud: LocalCloud) -> None:
    client, function = fc3_client(cloud), cloud.fc.function_name
    with pytest.raises(ClientException) as raised:
        client.update_function(function, models.UpdateFunctionRequest(body=models.UpdateFunctionInput(timeout=5)))
    assert (raised.value.status_code, raised.value.code) == (400, "PathNotSupported")
    assert client.get_function(function, models.GetFunctionRequest()).body.timeout == declared(cloud)["timeout"]
