"""The HTTP trigger turns a request into FC 3.0's HTTP event and the handler's reply back into HTTP, behind
FC 3.0's signature check (authType: function: ACS3-HMAC-SHA256); FC 2.0's proxy path keeps the ``FC`` scheme."""

from __future__ import annotations

import base64
import http.client
import json

import pytest
import requests
from fc_helpers import signed_request

from localcloud.cloud import LocalCloud
from localcloud.fc.trigger_gate import trigger_domain
from localcloud.testing import http_trigger_client, trigger_request

SERVICE, FUNCTION = "fixture-project", "fixture-fn"


def signed(cloud: LocalCloud, method: str, path: str, **kwargs: object) -> http.client.HTTPResponse:
    return signed_request(
        cloud.url("http_trigger"),
        method,
        path,
        access_key_id=cloud.access_key_id,
        access_key_secret=cloud.access_key_secret,
        scheme="acs3",
        **kwargs,  # type: ignore[arg-type]
    )


def test_an_unsigned_request_is_refused_with_403(cloud: LocalCloud) -> None:
    response = requests.post(cloud.url("http_trigger") + "/anything", data=b"{}", timeout=10)
    assert response.status_code == 403
    assert response.headers["x-fc-error-type"] == "FcCommonError"
    # the message FC's signature-authentication FAQ quotes for an unsigned request
    assert response.json() == {
        "ErrorCode": "AccessDenied",
        "ErrorMessage": "required HTTP header Date was not specified",
    }
    assert cloud.fc.invocations() == []


def test_a_request_signed_as_fc3_documents_reaches_the_function_as_the_fc3_http_event(cloud: LocalCloud) -> None:
    # WHEN a request signed with ACS3-HMAC-SHA256 (alibabacloud-openapi-util) reaches the trigger's URL
    response = trigger_request(
        cloud, "POST", "/orders/a b?mode=echo&x=1", body=b'{"n": 1}', headers={"Content-Type": "application/json"}
    )
    # THEN the handler's statusCode/headers/body become the HTTP reply
    assert response.status_code == 201, response.text
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["X-Multi"] == "a, b"
    assert response.headers["x-fc-request-id"].startswith("1-")
    event = response.json()["event"]
    # AND the event has FC 3.0's shape
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


def test_aliyun_fc2_do_http_request_still_works_on_the_2016_08_15_proxy_path(cloud: LocalCloud) -> None:
    # WHEN aliyun-fc2's do_http_request calls /2016-08-15/proxy/{service}/{function}/path (FC 2.0's scheme)
    response = http_trigger_client(cloud).do_http_request(
        "POST", SERVICE, FUNCTION, "/orders/a b", params={"mode": "echo", "x": "1"}, body=b'{"n": 1}'
    )
    # THEN it reaches the function, with the proxy prefix stripped from the path
    assert response.status_code == 201
    event = response.json()["event"]
    assert event["rawPath"] == "/orders/a%20b"
    assert event["queryParameters"] == {"mode": "echo", "x": "1"}


def test_fc2_signatures_are_refused_outside_the_proxy_path(cloud: LocalCloud) -> None:
    # WHEN a request carries FC 2.0's "FC ak:sig" on the FC 3.0 trigger URL
    response = signed_request(
        cloud.url("http_trigger"),
        "POST",
        "/cancel",
        access_key_id=cloud.access_key_id,
        access_key_secret=cloud.access_key_secret,
        body=b"{}",
    )
    # THEN FC 3.0's gateway refuses it (it checks ACS3 signatures only)
    assert response.status == 403
    assert json.loads(response.read())["ErrorCode"] == "SignatureNotMatch"
    assert cloud.fc.invocations() == []


@pytest.mark.parametrize(
    ("credentials", "code"),
    [
        (("LTAI5tNobodyHasThisKey", "secret", ""), "InvalidAccessKeyID"),
        (("{key}", "not-the-secret", ""), "SignatureNotMatch"),
    ],
    ids=["unknown-key", "wrong-secret"],
)
def test_bad_credentials_are_refused_with_fcs_codes(cloud: LocalCloud, credentials: tuple[str, ...], code: str) -> None:
    key, secret, token = (value.format(key=cloud.access_key_id) for value in credentials)
    response = trigger_request(cloud, body=b"{}", credentials=(key, secret, token))
    assert (response.status_code, response.json()["ErrorCode"]) == (403, code)
    if code == "InvalidAccessKeyID":
        assert response.json()["ErrorMessage"] == f"invalid access key ID '{key}'"
    assert cloud.fc.invocations() == []


def test_a_request_time_more_than_15_minutes_off_is_refused_with_the_documented_message(cloud: LocalCloud) -> None:
    # GIVEN the server clock 16 minutes ahead of the caller's
    cloud.clock.advance(16 * 60)
    # WHEN a correctly signed request arrives
    response = trigger_request(cloud, body=b"{}")
    # THEN 403, with the message FC's FAQ quotes ("the difference between the request time ... is too large")
    assert response.status_code == 403
    message = response.json()["ErrorMessage"]
    assert message.startswith("the difference between the request time '") and message.endswith("' is too large")
    assert " GMT' and the current time '" in message


def test_the_trigger_answers_to_its_fcapp_run_domain_and_no_other(cloud: LocalCloud) -> None:
    domain = trigger_domain(cloud.account_id, cloud.region, FUNCTION)
    assert domain.startswith(f"{FUNCTION}-") and domain.endswith(f".{cloud.region}.fcapp.run")
    # WHEN a signed request names the trigger's own domain in Host  THEN it reaches the function
    mine = trigger_request(cloud, "POST", "/?mode=echo", body=b"{}", headers={"Host": domain})
    assert mine.status_code == 201, mine.text
    assert mine.json()["event"]["requestContext"]["domainName"] == domain
    # WHEN it names another function's domain  THEN 404 DomainNameNotFound
    other = trigger_request(cloud, body=b"{}", headers={"Host": f"other-fn-abcdefghij.{cloud.region}.fcapp.run"})
    assert (other.status_code, other.json()["ErrorCode"]) == (404, "DomainNameNotFound")


def test_sts_credentials_are_accepted(cloud: LocalCloud) -> None:
    # FC 3.0: the token travels in x-acs-security-token; FC 2.0's proxy path: in x-fc-security-token
    response = trigger_request(cloud, "GET", "/?mode=echo", sts=True)
    assert response.status_code == 201, response.text
    assert "x-acs-security-token" in {name.lower() for name in response.json()["event"]["headers"]}
    proxied = http_trigger_client(cloud, sts=True).do_http_request("GET", SERVICE, FUNCTION, "/", params={})
    assert proxied.status_code == 201


def test_repeated_headers_and_query_values_are_comma_joined(cloud: LocalCloud) -> None:
    # FC 3.0's documented signers take one value per query key, so repeated keys go through FC 2.0's proxy path
    response = signed_request(
        cloud.url("http_trigger"),
        "POST",
        f"/2016-08-15/proxy/{SERVICE}/{FUNCTION}/multi",
        access_key_id=cloud.access_key_id,
        access_key_secret=cloud.access_key_secret,
        query="mode=echo&a=1&a=2",
        headers=[("X-Tag", "red"), ("X-Tag", "blue")],
    )
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
    binary = trigger_request(cloud, "GET", "/img?mode=binary")
    plain = trigger_request(cloud, "GET", "/txt?mode=plain")
    assert (binary.status_code, binary.content, binary.headers["Content-Type"]) == (200, b"\x00\xff\x01", "image/png")
    assert (plain.status_code, plain.text) == (200, "plain text reply")


def test_a_method_outside_the_trigger_methods_is_405(cloud: LocalCloud) -> None:
    response = trigger_request(cloud, "PUT", "/x", body=b"{}")
    assert response.status_code == 405
    assert response.json()["ErrorCode"] == "MethodNotAllowed"


def test_a_function_error_is_a_502_with_fcs_error_type(cloud: LocalCloud) -> None:
    response = trigger_request(cloud, "POST", "/?mode=raise")
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
    response = trigger_request(cloud, "POST", "/later", headers={"x-fc-invocation-type": "Async"}, body=b"{}")
    assert response.status_code == 202
    cloud.fc.wait_idle(timeout=10)
    assert [r.invocation_type for r in cloud.fc.invocations(source="http")] == ["Async"]
