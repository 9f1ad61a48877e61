"""The HTTP trigger turns a request into FC 3.0's HTTP event and the handler's reply back into HTTP, behind
FC's signature check (authType: function)."""

from __future__ import annotations

import base64
import http.client
import json
from collections.abc import Iterator

import pytest
import requests
from fc_helpers import signed_request, write_project

from localcloud.cloud import LocalCloud
from localcloud.testing import http_trigger_client

SERVICE, FUNCTION = "fixture-project", "fixture-fn"


@pytest.fixture(scope="module")
def shared_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    with LocalCloud(write_project(tmp_path_factory.mktemp("fc-http"))) as cloud:
        yield cloud


@pytest.fixture
def cloud(shared_cloud: LocalCloud) -> LocalCloud:
    shared_cloud.reset()
    return shared_cloud


def signed(cloud: LocalCloud, method: str, path: str, **kwargs: object) -> http.client.HTTPResponse:
    return signed_request(
        cloud.url("http_trigger"),
        method,
        path,
        access_key_id=cloud.access_key_id,
        access_key_secret=cloud.access_key_secret,
        **kwargs,  # type: ignore[arg-type]
    )


def test_an_unsigned_request_is_refused_with_403(cloud: LocalCloud) -> None:
    response = requests.post(cloud.url("http_trigger") + "/anything", data=b"{}", timeout=10)
    assert response.status_code == 403
    assert response.headers["x-fc-error-type"] == "FcCommonError"
    assert response.json()["ErrorCode"] == "AccessDenied"
    assert cloud.fc.invocations() == []


def test_a_request_signed_by_aliyun_fc2_reaches_the_function_as_the_fc3_http_event(cloud: LocalCloud) -> None:
    # WHEN aliyun-fc2's do_http_request calls /2016-08-15/proxy/{service}/{function}/path
    response = http_trigger_client(cloud).do_http_request(
        "POST", SERVICE, FUNCTION, "/orders/a b", params={"mode": "echo", "x": "1"}, body=b'{"n": 1}'
    )
    # THEN the handler's statusCode/headers/body become the HTTP reply
    assert response.status_code == 201
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["X-Multi"] == "a, b"
    assert response.headers["x-fc-request-id"].startswith("1-")
    event = response.json()["event"]
    # AND the event has FC 3.0's shape, with the proxy prefix stripped from the path
    assert event["version"] == "v1"
    assert event["rawPath"] == "/orders/a%20b"
    assert event["requestContext"]["http"]["path"] == "/orders/a b"
    assert event["requestContext"]["http"]["method"] == "POST"
    assert event["requestContext"]["accountId"] == cloud.account_id
    assert event["requestContext"]["requestId"] == response.headers["x-fc-request-id"]
    assert event["queryParameters"] == {"mode": "echo", "x": "1"}
    assert (event["body"], event["isBase64Encoded"]) == ('{"n": 1}', False)
    assert event["headers"]["Content-Type"] == "application/json"
    assert event["requestContext"]["timeEpoch"].isdigit()
    (record,) = cloud.fc.invocations(source="http")
    assert record.trigger == "web"


def test_sts_credentials_are_accepted(cloud: LocalCloud) -> None:
    response = http_trigger_client(cloud, sts=True).do_http_request("GET", SERVICE, FUNCTION, "/", params={})
    assert response.status_code == 201


def test_repeated_headers_and_query_values_are_comma_joined(cloud: LocalCloud) -> None:
    response = signed(cloud, "POST", "/multi", query="mode=echo&a=1&a=2", headers=[("X-Tag", "red"), ("X-Tag", "blue")])
    event = json.loads(response.read())["event"]
    assert event["headers"]["X-Tag"] == "red,blue"
    assert event["queryParameters"]["a"] == "1,2"
    assert event["rawPath"] == "/multi"


def test_a_binary_body_arrives_base64_encoded(cloud: LocalCloud) -> None:
    body = bytes(range(256))
    response = signed(cloud, "POST", "/upload", query="mode=echo", body=body)
    event = json.loads(response.read())["event"]
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == body


def test_a_base64_reply_is_decoded_and_a_non_struct_reply_is_a_200_body(cloud: LocalCloud) -> None:
    client = http_trigger_client(cloud)
    binary = client.do_http_request("GET", SERVICE, FUNCTION, "/img", params={"mode": "binary"})
    plain = client.do_http_request("GET", SERVICE, FUNCTION, "/txt", params={"mode": "plain"})
    assert (binary.status_code, binary.content, binary.headers["Content-Type"]) == (200, b"\x00\xff\x01", "image/png")
    assert (plain.status_code, plain.text) == (200, "plain text reply")


def test_a_method_outside_the_trigger_methods_is_405(cloud: LocalCloud) -> None:
    response = http_trigger_client(cloud).do_http_request("PUT", SERVICE, FUNCTION, "/x", body=b"{}")
    assert response.status_code == 405
    assert response.json()["ErrorCode"] == "MethodNotAllowed"


def test_a_function_error_is_a_502_with_fcs_error_type(cloud: LocalCloud) -> None:
    # POST: aliyun-fc2 retries a GET on 502 five times with backoff (30 s), as it would against real FC
    response = http_trigger_client(cloud).do_http_request("POST", SERVICE, FUNCTION, "/", params={"mode": "raise"})
    assert response.status_code == 502
    assert response.headers["x-fc-error-type"] == "UnhandledInvocationError"
    assert response.json()["errorMessage"] == "http boom"


def test_a_body_over_32_mb_is_refused_with_413(cloud: LocalCloud) -> None:
    response = signed(cloud, "POST", "/big", content_length=32 * 1024 * 1024 + 1)
    assert response.status == 413
    assert cloud.fc.invocations() == []


def test_a_wrong_service_in_the_proxy_path_is_404(cloud: LocalCloud) -> None:
    response = http_trigger_client(cloud).do_http_request("GET", "other-service", FUNCTION, "/")
    assert (response.status_code, response.json()["ErrorCode"]) == (404, "ServiceNotFound")


def test_async_http_invocation_is_accepted(cloud: LocalCloud) -> None:
    response = http_trigger_client(cloud).do_http_request(
        "POST", SERVICE, FUNCTION, "/later", headers={"x-fc-invocation-type": "Async"}, body=b"{}"
    )
    assert response.status_code == 202
    cloud.fc.wait_idle(timeout=10)
    assert [r.invocation_type for r in cloud.fc.invocations(source="http")] == ["Async"]
