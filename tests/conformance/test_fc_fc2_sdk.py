"""Conformance: ``aliyun-fc2`` (the 2016-08-15 API) against the local FC running this project's function, in the
patterns of fc-python-sdk's own tests: invoke sync, async and with the log tail, error codes on a missing function,
STS credentials, ``do_http_request`` on the API endpoint and on the trigger; the API's list/get operations, which
the local FC does not emulate, refused with FC's ``PathNotSupported``."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import fc2
import pytest

from localcloud.cloud import LocalCloud
from localcloud.testing import fc_client, http_trigger_client


@pytest.fixture
def cloud(localcloud: LocalCloud) -> LocalCloud:
    return localcloud


def cancel_request(job_id: str) -> bytes:
    return json.dumps({"JobIds": [job_id]}).encode("utf-8")


def test_invoke_function_sync_and_async(cloud: LocalCloud) -> None:
    client = fc_client(cloud)
    first, second = (cloud.vod.seed_job(f"https://media.example.com/{n}.mp4") for n in (1, 2))
    sync = client.invoke_function(cloud.fc.service_name, cloud.fc.function_name, payload=cancel_request(first.job_id))
    accepted = client.invoke_function(
        cloud.fc.service_name,
        cloud.fc.function_name,
        payload=cancel_request(second.job_id),
        headers={"x-fc-invocation-type": "Async"},
    )
    assert json.loads(sync.data)["CanceledJobs"] == [first.job_id]
    assert accepted.data == b""
    cloud.fc.wait_idle(timeout=60)
    (record,) = cloud.fc.invocations(request_id=accepted.headers["x-fc-request-id"])
    assert record.invocation_type == "Async" and second.status == "CANCELED"


def test_the_log_tail_comes_back_base64_in_x_fc_log_result(cloud: LocalCloud) -> None:
    response = fc_client(cloud).invoke_function(
        cloud.fc.service_name, cloud.fc.function_name, payload=b"{}", headers={"x-fc-log-type": "Tail"}
    )
    tail = base64.b64decode(response.headers["x-fc-log-result"]).decode("utf-8")
    assert f"FC Invoke Start RequestId: {response.headers['x-fc-request-id']}" in tail


def test_an_undefined_function_is_function_not_found_with_fcs_error_fields(cloud: LocalCloud) -> None:
    with pytest.raises(fc2.FcError) as raised:
        fc_client(cloud).invoke_function(cloud.fc.service_name, "undefine_function")
    error = raised.value
    for field in ("RequestId", "ErrorCode", "ErrorMessage"):
        assert field in error.message
    assert (error.err_code, error.status_code) == ("FunctionNotFound", 404)
    assert error.request_id not in ("", "unknown")


def test_sts_credentials_invoke_as_a_role_would(cloud: LocalCloud) -> None:
    response = fc_client(cloud, sts=True).invoke_function(cloud.fc.service_name, cloud.fc.function_name, b"{}")
    assert response.headers["x-fc-request-id"] == cloud.fc.invocations()[0].request_id


@pytest.mark.parametrize("endpoint", ["api", "trigger"])
def test_do_http_request_reaches_the_http_trigger_from_the_api_endpoint_and_the_trigger(
    cloud: LocalCloud, endpoint: str
) -> None:
    client = fc_client(cloud) if endpoint == "api" else http_trigger_client(cloud)
    job = cloud.vod.seed_job("https://media.example.com/http.mp4")
    response = client.do_http_request(
        "POST",
        cloud.fc.service_name,
        cloud.fc.function_name,
        "/cancel",
        headers={"Content-Type": "application/json", "X-Custom-Header": "value with space"},
        params={"key with space": "value with space", "key": "value"},
        body=cancel_request(job.job_id),
    )
    assert response.status_code == 200 and response.json()["CanceledJobs"] == [job.job_id]
    (record,) = cloud.fc.invocations()
    event = json.loads(record.event)
    assert (record.source, record.trigger, event["rawPath"]) == ("http", "http", "/cancel")
    assert event["queryParameters"] == {"key with space": "value with space", "key": "value"}
    assert event["headers"]["X-Custom-Header"] == "value with space"


def _not_emulated(cloud: LocalCloud) -> dict[str, Callable[[fc2.Client], Any]]:
    service, function = cloud.fc.service_name, cloud.fc.function_name
    return {
        "ListServices": lambda client: client.list_services(),
        "GetService": lambda client: client.get_service(service),
        "ListFunctions": lambda client: client.list_functions(service),
        "GetFunction": lambda client: client.get_function(service, function),
        "ListTriggers": lambda client: client.list_triggers(service, function),
        "GetFunctionAsyncInvokeConfig": lambda client: client.get_function_async_invoke_config(
            service, "LATEST", function
        ),
    }


def test_the_2016_api_list_and_get_operations_are_refused_as_path_not_supported(cloud: LocalCloud) -> None:
    client = fc_client(cloud)
    for operation, call in _not_emulated(cloud).items():
        with pytest.raises(fc2.FcError) as raised:
            call(client)
        assert (raised.value.status_code, raised.value.err_code) == (400, "PathNotSupported"), operation
