"""FC 3.0's own API (2023-03-30) on the local FC, spoken to by its official SDK (``alibabacloud-fc20230330``, ACS3
signatures): InvokeFunction sync and async, the reads s.yaml answers, errors in the API's ``{Code, Message,
RequestId}`` shape, every operation it does not emulate refused as ``PathNotSupported``, and the 2016-08-15 API's
proxy path served on the API endpoint as on the trigger."""

from __future__ import annotations

import base64
import inspect
import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from alibabacloud_fc20230330 import models
from alibabacloud_fc20230330.client import Client
from alibabacloud_tea_openapi import utils_models
from alibabacloud_tea_openapi.exceptions import ClientException, ServerException
from alibabacloud_tea_openapi.models import Config
from darabonba.runtime import RuntimeOptions
from fc_helpers import S_YAML, payload, write_project

from localcloud.cloud import LocalCloud
from localcloud.core import AuthorizationDenied, Identity
from localcloud.fc.routes import API_ROUTES
from localcloud.fc.trigger_gate import trigger_domain
from localcloud.oss.models import crc64
from localcloud.testing import fc3_client, fc_client, http_trigger_client, sts_credentials

SERVICE, FUNCTION = "fixture-project", "fixture-fn"
RUNTIME = RuntimeOptions()


@pytest.fixture(scope="module")
def source_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    """The fixture function run from its source tree (so it can import the dev SDKs), without asyncInvokeConfig."""
    project = write_project(tmp_path_factory.mktemp("fc-api-source"))
    text = S_YAML[: S_YAML.index("      asyncInvokeConfig:")] + S_YAML[S_YAML.index("      triggers:") :]
    (project / "s.yaml").write_text(text, encoding="utf-8")
    with LocalCloud(project, code="source") as cloud:
        yield cloud


def invoke(client: Client, body: bytes, **headers: str) -> models.InvokeFunctionResponse:
    return client.invoke_function_with_options(
        FUNCTION, models.InvokeFunctionRequest(body=body), models.InvokeFunctionHeaders(**headers), RUNTIME
    )


def raw(cloud: LocalCloud, method: str, path: str) -> tuple[int, dict[str, Any]]:
    """An unsigned request: what the API answers before any signature check."""
    request = urllib.request.Request(cloud.url("fc") + path, data=b"" if method in ("POST", "PUT") else None)
    request.method = method
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


# -- InvokeFunction --------------------------------------------------------------------------------------------
def test_invoke_returns_the_handler_result_with_static_and_sts_credentials(cloud: LocalCloud) -> None:
    static = invoke(fc3_client(cloud), payload(hello="world"))
    sts = invoke(fc3_client(cloud, sts=True), payload(hello="sts"), x_fc_invocation_type="Sync")
    assert (static.status_code, json.loads(static.body.read())) == (200, {"hello": "world"})
    assert (sts.status_code, json.loads(sts.body.read())) == (200, {"hello": "sts"})
    records = cloud.fc.invocations()
    assert [(r.request_id, r.invocation_type, r.source) for r in records] == [
        (static.headers["x-fc-request-id"], "Sync", "api"),
        (sts.headers["x-fc-request-id"], "Sync", "api"),
    ]


def test_log_type_tail_returns_the_functions_log_base64(cloud: LocalCloud) -> None:
    response = invoke(fc3_client(cloud), payload(), x_fc_log_type="Tail")
    tail = base64.b64decode(response.headers["x-fc-log-result"]).decode()
    assert f"print line for {response.headers['x-fc-request-id']}" in tail
    assert "x-fc-log-result" not in invoke(fc3_client(cloud), payload()).headers


def test_a_handler_exception_is_a_200_marked_unhandled_invocation_error(cloud: LocalCloud) -> None:
    response = invoke(fc3_client(cloud), payload(action="raise", message="bad things"))
    body = json.loads(response.body.read())
    assert (response.status_code, response.headers["x-fc-error-type"]) == (200, "UnhandledInvocationError")
    assert (body["errorType"], body["errorMessage"]) == ("ValueError", "bad things")


def test_async_invoke_is_202_then_retried_per_async_invoke_config_then_sent_to_on_failure(cloud: LocalCloud) -> None:
    response = invoke(fc3_client(cloud), payload(action="raise"), x_fc_invocation_type="Async")
    assert (response.status_code, response.body.read()) == (202, b"")
    cloud.fc.wait_idle()
    request_id = response.headers["x-fc-request-id"]
    records = cloud.fc.invocations(request_id=request_id)
    assert [(r.invocation_type, r.attempt, r.status) for r in records] == [
        ("Async", 1, "failed"),
        ("Async", 2, "failed"),
        ("Async", 3, "failed"),  # maxAsyncRetryAttempts: 2
    ]
    (failure,) = [json.loads(m.body) for m in cloud.mns.published("fixture-failures")]
    assert failure["requestContext"]["requestId"] == request_id


def test_a_qualifier_other_than_latest_is_alias_not_found(cloud: LocalCloud) -> None:
    latest = fc3_client(cloud).invoke_function(FUNCTION, models.InvokeFunctionRequest(body=b"{}", qualifier="LATEST"))
    assert latest.status_code == 200
    with pytest.raises(ClientException) as raised:
        fc3_client(cloud).invoke_function(FUNCTION, models.InvokeFunctionRequest(body=b"{}", qualifier="prod"))
    assert (raised.value.status_code, raised.value.code) == (404, "AliasNotFound")


def test_an_async_payload_over_128_kb_is_entity_too_large(cloud: LocalCloud) -> None:
    with pytest.raises(ClientException) as raised:
        invoke(fc3_client(cloud), b"x" * (128 * 1024 + 1), x_fc_invocation_type="Async")
    assert (raised.value.status_code, raised.value.code) == (400, "EntityTooLarge")
    assert cloud.fc.invocations() == []


def test_errors_have_the_2023_api_shape_with_the_request_id(cloud: LocalCloud) -> None:
    with pytest.raises(ClientException) as raised:
        fc3_client(cloud).get_function("no-such-fn", models.GetFunctionRequest())
    error = raised.value
    assert (error.status_code, error.code) == (404, "FunctionNotFound")
    assert error.data == {
        "Code": "FunctionNotFound",
        "Message": "function 'no-such-fn' does not exist",
        "RequestId": error.request_id,
        "statusCode": 404,  # added by the SDK
    }
    assert error.request_id.startswith("1-")


def test_bad_credentials_are_refused_with_fcs_codes_and_nothing_runs(cloud: LocalCloud) -> None:
    endpoint = cloud.url("fc").split("://", 1)[1]

    def client_with(key: str, secret: str, token: str | None = None) -> Client:
        config = Config(access_key_id=key, access_key_secret=secret, security_token=token, endpoint=endpoint)
        config.protocol, config.region_id = "http", cloud.region
        return Client(config)

    expired = sts_credentials(cloud, ttl_seconds=1)
    cloud.clock.advance(5)
    cases = {
        "SignatureNotMatch": client_with(cloud.access_key_id, "wrong-secret"),
        "InvalidAccessKeyID": client_with("LTAIunknownkey", "secret"),
        "InvalidSecurityToken": client_with(expired.access_key_id, expired.access_key_secret, expired.security_token),
    }
    for code, client in cases.items():
        with pytest.raises(ClientException) as raised:
            invoke(client, b"{}")
        assert (raised.value.status_code, raised.value.code) == (403, code)
    assert cloud.fc.invocations() == []


def test_an_injected_fault_answers_in_the_2023_shape(cloud: LocalCloud) -> None:
    cloud.faults.add(service="fc", operation="GetFunction", error_code="ResourceThrottled", count=1)
    with pytest.raises(ServerException) as raised:
        fc3_client(cloud).get_function(FUNCTION, models.GetFunctionRequest())
    assert (raised.value.status_code, raised.value.code) == (503, "ResourceThrottled")
    assert fc3_client(cloud).get_function(FUNCTION, models.GetFunctionRequest()).status_code == 200


# -- reads answered from s.yaml --------------------------------------------------------------------------------
def test_get_function_describes_the_function_s_yaml_declares(cloud: LocalCloud) -> None:
    function = fc3_client(cloud).get_function(FUNCTION, models.GetFunctionRequest(qualifier="LATEST")).body
    assert (function.function_name, function.runtime, function.handler) == (FUNCTION, "python3.10", "index.handler")
    assert (function.timeout, function.memory_size, function.disk_size) == (30, 512, 512)
    assert function.function_arn == f"acs:fc:{cloud.region}:{cloud.account_id}:functions/{FUNCTION}"
    assert function.role == f"acs:ram::{cloud.account_id}:role/fixture"
    assert function.environment_variables["GREETING"] == "hello"
    assert function.environment_variables["FC_ENDPOINT"] == cloud.url("fc")  # what the function sees
    assert function.log_config.project.startswith("serverless-cn-shanghai-")  # as fc3 names `logConfig: auto`
    assert function.log_config.logstore == "default-logs"
    assert (function.state, function.last_update_status, function.internet_access) == ("Active", "Successful", True)
    package = cloud.fc.code.package
    assert package is not None
    assert function.code_checksum == str(crc64(Path(package.zip_path).read_bytes()))
    assert function.code_size == package.zip_bytes
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", function.created_time)


def test_list_functions_filters_and_leaves_out_the_state_fields(cloud: LocalCloud) -> None:
    def names(**filters: Any) -> list[str]:
        listed = fc3_client(cloud).list_functions(models.ListFunctionsRequest(**filters)).body
        return [f.function_name for f in listed.functions]

    (listed,) = fc3_client(cloud).list_functions(models.ListFunctionsRequest()).body.to_map()["functions"]
    assert listed["functionName"] == FUNCTION and "state" not in listed and "lastUpdateStatus" not in listed
    assert names(prefix="fixture-", runtime="python3.10", fc_version="v3", limit=1) == [FUNCTION]
    assert names(prefix="other") == names(fc_version="v2") == names(function_name="other") == []
    assert names(tags=[models.Tag(key="team", value="media")]) == []
    with pytest.raises(ClientException) as raised:
        names(limit=101)
    assert (raised.value.status_code, raised.value.code) == (400, "InvalidArgument")


def test_list_triggers_pages_through_every_declared_trigger_with_its_config(cloud: LocalCloud) -> None:
    client, token, pages = fc3_client(cloud), None, []
    while True:
        page = client.list_triggers(FUNCTION, models.ListTriggersRequest(limit=1, next_token=token)).body
        pages.append([t.trigger_name for t in page.triggers])
        token = page.next_token
        if not token:
            break
    assert pages == [["requests"], ["uploads"], ["web"]]
    listed = client.list_triggers(FUNCTION, models.ListTriggersRequest(prefix="up")).body.triggers
    (uploads,) = listed
    assert (uploads.trigger_type, uploads.qualifier) == ("oss", "LATEST")
    assert uploads.source_arn == f"acs:oss:cn-shanghai:{cloud.account_id}:fixture-bucket"
    assert json.loads(uploads.trigger_config) == {
        "events": ["oss:ObjectCreated:PutObject"],
        "filter": {"key": {"prefix": "in/", "suffix": ".txt"}},
    }


def test_get_trigger_answers_a_declared_trigger_and_trigger_not_found_otherwise(cloud: LocalCloud) -> None:
    web = fc3_client(cloud).get_trigger(FUNCTION, "web").body
    assert (web.trigger_type, json.loads(web.trigger_config)) == (
        "http",
        {"authType": "function", "methods": ["GET", "POST"]},
    )
    assert web.http_trigger.url_internet == f"https://{trigger_domain(cloud.account_id, cloud.region, FUNCTION)}"
    assert web.target_arn == f"acs:fc:{cloud.region}:{cloud.account_id}:functions/{FUNCTION}"
    with pytest.raises(ClientException) as raised:
        fc3_client(cloud).get_trigger(FUNCTION, "nope")
    assert (raised.value.status_code, raised.value.code) == (404, "TriggerNotFound")


def test_async_invoke_config_reads_answer_s_yaml(cloud: LocalCloud) -> None:
    config = fc3_client(cloud).get_async_invoke_config(FUNCTION, models.GetAsyncInvokeConfigRequest()).body
    assert (config.max_async_retry_attempts, config.max_async_event_age_in_seconds) == (2, 86400)
    topic = "acs:mns:cn-shanghai::/topics/fixture-{}/messages"
    assert config.destination_config.on_failure.destination == topic.format("failures")
    assert config.destination_config.on_success.destination == topic.format("successes")
    listed = fc3_client(cloud).list_async_invoke_configs(models.ListAsyncInvokeConfigsRequest()).body.configs
    assert [c.function_arn for c in listed] == [config.function_arn]
    other = models.ListAsyncInvokeConfigsRequest(function_name="other")
    assert fc3_client(cloud).list_async_invoke_configs(other).body.configs == []


def test_a_function_without_async_invoke_config_has_none(source_cloud: LocalCloud) -> None:
    with pytest.raises(ClientException) as raised:
        fc3_client(source_cloud).get_async_invoke_config(FUNCTION, models.GetAsyncInvokeConfigRequest())
    assert (raised.value.status_code, raised.value.code) == (404, "AsyncConfigNotExists")
    listed = fc3_client(source_cloud).list_async_invoke_configs(models.ListAsyncInvokeConfigsRequest())
    assert listed.body.configs == []


# -- what is not emulated ----------------------------------------------------------------------------------------
def test_management_writes_are_refused_as_path_not_supported_and_change_nothing(cloud: LocalCloud) -> None:
    client = fc3_client(cloud)
    writes = {
        "POST /2023-03-30/functions": lambda: client.create_function(
            models.CreateFunctionRequest(body=models.CreateFunctionInput(function_name="f2", runtime="python3.10"))
        ),
        f"PUT /2023-03-30/functions/{FUNCTION}": lambda: client.update_function(
            FUNCTION, models.UpdateFunctionRequest(body=models.UpdateFunctionInput(timeout=5))
        ),
        f"DELETE /2023-03-30/functions/{FUNCTION}": lambda: client.delete_function(FUNCTION),
        f"POST /2023-03-30/functions/{FUNCTION}/triggers": lambda: client.create_trigger(
            FUNCTION, models.CreateTriggerRequest(body=models.CreateTriggerInput(trigger_name="t", trigger_type="http"))
        ),
        f"PUT /2023-03-30/functions/{FUNCTION}/async-invoke-config": lambda: client.put_async_invoke_config(
            FUNCTION,
            models.PutAsyncInvokeConfigRequest(body=models.PutAsyncInvokeConfigInput(max_async_retry_attempts=0)),
        ),
    }
    for route, call in writes.items():
        with pytest.raises(ClientException) as raised:
            call()
        method, path = route.split(" ")
        assert (raised.value.status_code, raised.value.code) == (400, "PathNotSupported")
        assert raised.value.data["Message"] == f"'{method}' against '{path}' is not supported"
    function = client.get_function(FUNCTION, models.GetFunctionRequest()).body
    assert function.timeout == 30 and cloud.fc.config.async_config.max_retry_attempts == 2


def _sdk_operations() -> list[tuple[str, str, str]]:
    """(action, method, path) of every operation the official 2023-03-30 SDK has, read from its client."""
    source = inspect.getsource(Client)
    found = re.findall(r"action = '(\w+)',.*?pathname = f?'([^']*)',\s*method = '(\w+)'", source, re.S)
    operations = {action: (method, re.sub(r"\{[^}]*\}", "p", path)) for action, path, method in found}
    return sorted((action, method, path) for action, (method, path) in operations.items())


def test_every_sdk_operation_the_local_fc_does_not_emulate_is_path_not_supported(cloud: LocalCloud) -> None:
    operations = _sdk_operations()
    assert len(operations) > 60 and set(API_ROUTES) < {action for action, _, _ in operations}
    client = fc3_client(cloud)
    refused = []
    for action, method, path in operations:
        if action in API_ROUTES:
            continue
        params = utils_models.Params(
            action=action,
            version="2023-03-30",
            protocol="HTTP",
            pathname=path,
            method=method,
            auth_type="AK",
            style="ROA",
            req_body_type="json",
            body_type="json",
        )
        with pytest.raises(ClientException) as raised:
            client.call_api(params, utils_models.OpenApiRequest(), RUNTIME)
        assert (raised.value.status_code, raised.value.code) == (400, "PathNotSupported"), action
        refused.append(action)
    assert {"CreateFunction", "DeleteTrigger", "PutAsyncInvokeConfig", "ListInstances"} <= set(refused)
    assert cloud.fc.invocations() == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("HEAD", f"/2023-03-30/functions/{FUNCTION}"),
        ("PATCH", f"/2023-03-30/functions/{FUNCTION}"),
        ("GET", f"/2023-03-30/functions/{FUNCTION}/invocations"),
        ("POST", f"/2023-03-30/functions/{FUNCTION}/invocations/extra"),
        ("GET", "/2023-03-30/nowhere"),
        ("GET", "/2023-03-30/"),
    ],
)
def test_other_paths_and_methods_are_refused_before_any_signature_check(
    cloud: LocalCloud, method: str, path: str
) -> None:
    status, body = raw(cloud, method, path)
    assert status == 400
    if method != "HEAD":
        assert (body["Code"], body["Message"]) == ("PathNotSupported", f"'{method}' against '{path}' is not supported")
        assert set(body) == {"Code", "Message", "RequestId"}
    assert cloud.fc.invocations() == []


def test_unsigned_calls_to_emulated_operations_are_access_denied(cloud: LocalCloud) -> None:
    status, body = raw(cloud, "GET", f"/2023-03-30/functions/{FUNCTION}")
    assert (status, body["Code"]) == (403, "AccessDenied")


# -- authorization -------------------------------------------------------------------------------------------
def test_the_authorizer_sees_each_operation_with_its_ram_action_and_resource(cloud: LocalCloud) -> None:
    asked: list[tuple[str, str, str]] = []

    def record(identity: object, service: str, action: str, resource: str) -> None:
        if service == "fc":  # the instance's log delivery is checked too (service "log"): not this API's
            asked.append((service, action, resource))

    cloud.gateway.authorize = record
    client = fc3_client(cloud, sts=True)
    invoke(client, b"{}")
    client.get_function(FUNCTION, models.GetFunctionRequest())
    client.list_functions(models.ListFunctionsRequest())
    client.list_triggers(FUNCTION, models.ListTriggersRequest())
    client.get_trigger(FUNCTION, "web")
    client.get_async_invoke_config(FUNCTION, models.GetAsyncInvokeConfigRequest())
    client.list_async_invoke_configs(models.ListAsyncInvokeConfigsRequest())
    arn = f"acs:fc:{cloud.region}:{cloud.account_id}:"
    assert asked == [
        ("fc", "InvokeFunction", f"{arn}functions/{FUNCTION}"),
        ("fc", "GetFunction", f"{arn}functions/{FUNCTION}"),
        ("fc", "ListFunctions", f"{arn}*"),
        ("fc", "ListTriggers", f"{arn}functions/{FUNCTION}/triggers/*"),
        ("fc", "GetTrigger", f"{arn}functions/{FUNCTION}/triggers/web"),
        ("fc", "GetAsyncInvokeConfig", f"{arn}functions/{FUNCTION}"),
        ("fc", "ListAsyncInvokeConfigs", f"{arn}*"),
    ]


def test_a_refusal_is_access_denied_in_the_2023_shape_and_nothing_runs(cloud: LocalCloud) -> None:
    def deny(identity: Identity, service: str, action: str, resource: str) -> None:
        raise AuthorizationDenied(f"{action} on {resource} is not allowed")

    cloud.gateway.authorize = deny
    with pytest.raises(ClientException) as raised:
        invoke(fc3_client(cloud, sts=True), b"{}", x_fc_invocation_type="Async")
    assert (raised.value.status_code, raised.value.code) == (403, "AccessDenied")
    assert "InvokeFunction on acs:fc:" in raised.value.data["Message"]
    cloud.fc.wait_idle()
    assert cloud.fc.invocations() == []


# -- the 2016-08-15 API's proxy path on the API endpoint ---------------------------------------------------------
def test_do_http_request_on_the_api_endpoint_behaves_as_on_the_trigger(cloud: LocalCloud) -> None:
    responses = [
        client.do_http_request(
            "POST", SERVICE, FUNCTION, "/action%20with%20space", params={"key with space": "v"}, body=b"hello"
        )
        for client in (fc_client(cloud), http_trigger_client(cloud))
    ]
    assert [r.status_code for r in responses] == [201, 201]
    events = [json.loads(r.content)["event"] for r in responses]
    for event in events:
        assert (event["rawPath"], event["body"]) == ("/action%20with%20space", "hello")
        assert event["queryParameters"] == {"key with space": "v"}
    assert [(r.source, r.trigger) for r in cloud.fc.invocations()] == [("http", "web"), ("http", "web")]


@pytest.mark.parametrize("port", ["fc", "http_trigger"])
def test_the_proxy_paths_errors_are_the_triggers_on_both_ports(cloud: LocalCloud, port: str) -> None:
    client = fc_client(cloud, endpoint=cloud.url(port))
    wrong_service = client.do_http_request("GET", "other-service", FUNCTION, "/")
    wrong_method = client.do_http_request("PUT", SERVICE, FUNCTION, "/")
    unsigned = requests.get(f"{cloud.url(port)}/2016-08-15/proxy/{SERVICE}/{FUNCTION}/", timeout=10)
    assert (wrong_service.status_code, wrong_service.json()["ErrorCode"]) == (404, "ServiceNotFound")
    assert (wrong_method.status_code, wrong_method.json()["ErrorCode"]) == (405, "MethodNotAllowed")
    assert unsigned.status_code == 403
    assert {r.headers["x-fc-error-type"] for r in (wrong_service, wrong_method, unsigned)} == {"FcCommonError"}
    assert cloud.fc.invocations() == []


# -- a function continuing in an asynchronous invocation of itself ----------------------------------------------
def test_a_function_invokes_itself_asynchronously_with_its_role_credentials(source_cloud: LocalCloud) -> None:
    source_cloud.reset()
    response = fc3_client(source_cloud).invoke_function(
        FUNCTION, models.InvokeFunctionRequest(body=payload(action="invoke-self", next={"part": 2}))
    )
    started = json.loads(response.body.read())
    assert started["status"] == 202
    source_cloud.fc.wait_idle()
    (continuation,) = source_cloud.fc.invocations(request_id=started["request_id"])
    assert (continuation.invocation_type, continuation.status) == ("Async", "succeeded")
    assert continuation.result_json() == {"part": 2}
