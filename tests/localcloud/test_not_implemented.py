"""What a service does not emulate is refused with that service's own not-implemented answer, before any
signature check, and never reinterpreted as another operation."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

import oss2
import pytest

from localcloud.cloud import LocalCloud
from localcloud.testing import oss_bucket

BUCKET = "ni-bucket"


@pytest.fixture
def cloud(localcloud: LocalCloud) -> LocalCloud:
    localcloud.oss.create_bucket(BUCKET)
    return localcloud


def unsigned(url: str, method: str = "GET", body: bytes | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def xml_code(body: bytes) -> str:
    return ET.fromstring(body).findtext("{*}Code") or ""


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/ni-bucket/key?live"),  # PutLiveChannel, not an object write
        ("PUT", "/ni-bucket?lifecycle"),  # PutBucketLifecycle, not a bucket create
        ("PUT", "/ni-bucket?requestPayment"),
        ("GET", "/ni-bucket?requestPayment"),  # not an object listing
        ("GET", "/ni-bucket?versions"),  # ListObjectVersions
        ("POST", "/ni-bucket/key?restore"),  # RestoreObject
        ("GET", "/ni-bucket/key?versionId=v1"),  # a version, not the latest object
        ("POST", "/ni-bucket/key?uploads&append"),  # no API takes both
        ("POST", "/ni-bucket"),  # PostObject
        ("PUT", "/?regionList"),
    ],
)
def test_oss_answers_not_implemented_for_apis_and_sub_resources_it_does_not_emulate(
    cloud: LocalCloud, method: str, path: str
) -> None:
    status, body = unsigned(cloud.url("oss") + path, method, b"x" if method in ("PUT", "POST") else None)
    assert (status, xml_code(body)) == (400, "NotImplemented")
    assert cloud.oss.objects(BUCKET) == {}


def test_oss_sdk_calls_to_apis_not_emulated_raise_not_implemented(cloud: LocalCloud) -> None:
    bucket = oss_bucket(cloud, BUCKET)
    bucket.put_object("k", b"v")
    with pytest.raises(oss2.exceptions.NotImplemented):
        bucket.list_object_versions()
    with pytest.raises(oss2.exceptions.NotImplemented):
        bucket.get_bucket_request_payment()
    with pytest.raises(oss2.exceptions.NotImplemented):
        bucket.create_live_channel("channel", oss2.models.LiveChannelInfo(target=oss2.models.LiveChannelInfoTarget()))
    with pytest.raises(oss2.exceptions.NotImplemented):
        bucket.restore_object("k")
    assert list(cloud.oss.objects(BUCKET)) == ["k"]


def test_oss_copy_of_a_version_is_not_emulated_and_writes_nothing(cloud: LocalCloud) -> None:
    bucket = oss_bucket(cloud, BUCKET)
    bucket.put_object("source", b"data")
    with pytest.raises(oss2.exceptions.NotImplemented):
        bucket.copy_object(BUCKET, "source", "copy", params={"versionId": "v1"})
    assert list(cloud.oss.objects(BUCKET)) == ["source"]


def test_oss_method_no_api_uses_is_method_not_allowed(cloud: LocalCloud) -> None:
    status, body = unsigned(cloud.url("oss") + "/ni-bucket/key", "PATCH", b"x")
    assert (status, xml_code(body)) == (405, "MethodNotAllowed")


@pytest.mark.parametrize(("method", "path"), [("GET", "/other"), ("PUT", "/"), ("DELETE", "/?Action=X")])
def test_vod_answers_invalid_api_for_another_path_or_method(cloud: LocalCloud, method: str, path: str) -> None:
    status, body = unsigned(cloud.url("vod") + path, method, b"" if method == "PUT" else None)
    assert (status, xml_code(body)) == (404, "InvalidApi.NotFound")  # no Format: VOD answers XML
    assert cloud.vod.calls[-1].status == 404


def test_vod_answers_invalid_action_for_an_action_it_does_not_have(cloud: LocalCloud) -> None:
    status, body = unsigned(cloud.url("vod") + "/?Action=DeleteEverything&Version=2017-03-21&Format=JSON")
    assert (status, json.loads(body)["Code"]) == (404, "InvalidAction.NotFound")


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/nowhere"), ("POST", "/topics"), ("PATCH", "/queues/q"), ("POST", "/topics/t/subscriptions/s")],
)
def test_mns_answers_invalid_request_url(cloud: LocalCloud, method: str, path: str) -> None:
    status, body = unsigned(cloud.url("mns") + path, method, b"" if method != "GET" else None)
    assert (status, xml_code(body)) == (400, "InvalidRequestURL")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/2016-08-15/services"),
        ("GET", "/2016-08-15/services/s/functions/f/invocations"),
        ("GET", "/2016-08-15/services/s/functions/f"),  # GetFunction of the 2016-08-15 API (2023-03-30: test_fc_api)
    ],
)
def test_fc_answers_path_not_supported(cloud: LocalCloud, method: str, path: str) -> None:
    status, body = unsigned(cloud.url("fc") + path, method)
    assert status == 400
    assert json.loads(body) == {
        "ErrorCode": "PathNotSupported",
        "ErrorMessage": f"'{method}' against '{path}' is not supported",
    }
    assert cloud.fc.invocations() == []
