"""VOD driven by the older official Python stack: aliyun-python-sdk-core (``AcsClient``, ``CommonRequest``) and
aliyun-python-sdk-vod's request classes, as the many scripts written against them call it.

aliyun-python-sdk-core signs the legacy RPC way (HMAC-SHA1, ``Signature`` in the query). Its ``CommonRequest``
with method POST keeps ``Action``, ``Version`` and the signature parameters in the query and sends the body
parameters as a form. ``do_action_with_exception`` always asks for ``Format=JSON``; ``do_action`` sends whatever
format the request names, so it is the way to read XML.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from urllib.parse import quote, urlsplit

import pytest
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.auth.credentials import StsTokenCredential
from aliyunsdkcore.client import AcsClient
from aliyunsdkcore.request import CommonRequest
from aliyunsdkvod.request.v20170321 import (
    CancelUrlUploadJobsRequest,
    CreateUploadVideoRequest,
    GetPlayInfoRequest,
    GetURLUploadInfosRequest,
    GetVideoInfoRequest,
    SearchMediaRequest,
    UploadMediaByURLRequest,
)

from localcloud.cloud import LocalCloud

URLS = ["https://media.example.com/a.mp4", "https://media.example.com/视频 b.mp4"]


@pytest.fixture
def cloud(localcloud: LocalCloud) -> Iterator[LocalCloud]:
    yield localcloud


def host_port(cloud: LocalCloud) -> tuple[str, int]:
    parts = urlsplit(cloud.url("vod"))
    return parts.hostname or "127.0.0.1", parts.port or 80


def acs_client(cloud: LocalCloud, *, secret: str | None = None, sts: bool = False) -> AcsClient:
    """An AcsClient on the local VOD: static AccessKey, or an STS credential the cloud minted."""
    _, port = host_port(cloud)
    if sts:
        token = cloud.credentials.issue_sts_token()
        credential = StsTokenCredential(token.access_key_id, token.access_key_secret, token.security_token)
        return AcsClient(region_id=cloud.region, credential=credential, port=port, auto_retry=False)
    return AcsClient(cloud.access_key_id, secret or cloud.access_key_secret, cloud.region, port=port, auto_retry=False)


def common_request(cloud: LocalCloud, action: str, method: str = "POST") -> CommonRequest:
    host, _ = host_port(cloud)
    request = CommonRequest(domain=host, version="2017-03-21", action_name=action)
    request.set_protocol_type("http")
    request.set_method(method)
    return request


def on_local(cloud: LocalCloud, request):  # type: ignore[no-untyped-def]
    """A generated request class pointed at the local VOD over HTTP."""
    request.set_endpoint(host_port(cloud)[0])
    request.set_protocol_type("http")
    return request


# -- CommonRequest -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("sts", [False, True], ids=["static", "sts"])
def test_common_request_get_and_post_form_flow(cloud: LocalCloud, sts: bool) -> None:
    """Upload by GET (query), read and cancel by POST (form body), as a CommonRequest user does."""
    client = acs_client(cloud, sts=sts)
    upload = common_request(cloud, "UploadMediaByURL", "GET")
    upload.add_query_param("UploadURLs", ",".join(quote(url, safe="") for url in URLS))
    jobs = json.loads(client.do_action_with_exception(upload))["UploadJobs"]
    job_ids = [job["JobId"] for job in jobs]
    assert [job["SourceURL"] for job in jobs] == [quote(url, safe="") for url in URLS]

    infos = common_request(cloud, "GetURLUploadInfos")
    infos.add_body_params("JobIds", ",".join(job_ids))
    listed = json.loads(client.do_action_with_exception(infos))["URLUploadInfoList"]
    assert [(info["JobId"], info["Status"], info["UploadURL"]) for info in listed] == [
        (job_id, "PENDING", url) for job_id, url in zip(job_ids, URLS, strict=True)
    ]

    cloud.vod.start_job(job_ids[1])
    cancel = common_request(cloud, "CancelUrlUploadJobs")
    cancel.add_body_params("JobIds", ",".join([*job_ids, "no-such-job"]))
    answer = json.loads(client.do_action_with_exception(cancel))
    assert (answer["CanceledJobs"], answer["NonExists"]) == ([job_ids[0]], ["no-such-job"])
    assert cloud.vod.calls[-1].params == {"JobIds": ",".join([*job_ids, "no-such-job"])}


@pytest.mark.filterwarnings("ignore:do_action\\(\\) method is deprecated:DeprecationWarning")
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_common_request_xml(cloud: LocalCloud, method: str) -> None:
    """``set_accept_format('XML')``: the answer is the gateway's XML, root <{Action}Response>."""
    job = cloud.vod.seed_job(URLS[0])
    request = common_request(cloud, "CancelUrlUploadJobs", method)
    request.set_accept_format("XML")
    request.add_query_param("JobIds", f"{job.job_id},gone")

    root = ET.fromstring(acs_client(cloud).do_action(request))

    assert root.tag == "CancelUrlUploadJobsResponse"
    assert (root.findtext("CanceledJobs"), root.findtext("NonExists")) == (job.job_id, "gone")
    assert job.status == "CANCELED"


@pytest.mark.filterwarnings("ignore:do_action\\(\\) method is deprecated:DeprecationWarning")
def test_common_request_xml_error(cloud: LocalCloud) -> None:
    request = common_request(cloud, "CancelUrlUploadJobs")
    request.set_accept_format("XML")
    root = ET.fromstring(acs_client(cloud).do_action(request))
    assert (root.tag, root.findtext("Code")) == ("Error", "MissingParameter")


def test_wrong_secret_is_a_server_exception_the_sdk_recognises(cloud: LocalCloud) -> None:
    """The SDK splits SignatureDoesNotMatch's message on ':' and compares the gateway's string-to-sign with its
    own (it never crashes with IndexError). A request class keeps its string-to-sign, they are equal, and the SDK
    tells the caller the secret is wrong."""
    request = on_local(cloud, GetURLUploadInfosRequest.GetURLUploadInfosRequest())
    request.set_JobIds("j")

    with pytest.raises(ServerException) as caught:
        acs_client(cloud, secret="not-the-secret").do_action_with_exception(request)

    assert caught.value.get_http_status() == 400
    assert caught.value.get_error_code() == "InvalidAccessKeySecret"
    assert caught.value.get_request_id()


def test_wrong_secret_through_common_request_echoes_what_it_signed(cloud: LocalCloud) -> None:
    """A CommonRequest signs through an inner request (the outer one has no string-to-sign to compare), so the
    gateway's own code reaches the caller, its message ending with exactly what the SDK signed."""
    request = common_request(cloud, "GetURLUploadInfos")
    request.add_query_param("JobIds", "j")

    with pytest.raises(ServerException) as caught:
        acs_client(cloud, secret="not-the-secret").do_action_with_exception(request)

    assert caught.value.get_error_code() == "SignatureDoesNotMatch"
    assert caught.value.get_error_msg().split(":")[1] == request.request.string_to_sign


def test_sts_wrong_secret_is_still_a_server_exception(cloud: LocalCloud) -> None:
    """With STS the echoed string-to-sign has the token masked, so the SDK keeps the gateway's code."""
    token = cloud.credentials.issue_sts_token()
    credential = StsTokenCredential(token.access_key_id, "wrong", token.security_token)
    client = AcsClient(region_id=cloud.region, credential=credential, port=host_port(cloud)[1], auto_retry=False)
    request = common_request(cloud, "GetURLUploadInfos")
    request.add_query_param("JobIds", "j")

    with pytest.raises(ServerException) as caught:
        client.do_action_with_exception(request)

    assert caught.value.get_error_code() == "SignatureDoesNotMatch"
    assert token.security_token not in caught.value.get_error_msg()


def test_unknown_access_key(cloud: LocalCloud) -> None:
    client = AcsClient("LTAI5tNobodyAtAll", "secret", cloud.region, port=host_port(cloud)[1], auto_retry=False)
    with pytest.raises(ServerException) as caught:
        client.do_action_with_exception(common_request(cloud, "GetURLUploadInfos"))
    assert (caught.value.get_error_code(), caught.value.get_error_msg()) == (
        "InvalidAccessKeyId.NotFound",
        "Specified access key is not found.",
    )


# -- aliyun-python-sdk-vod request classes -------------------------------------------------------------------------
def test_vod_request_classes_flow(cloud: LocalCloud) -> None:
    client = acs_client(cloud)
    upload = on_local(cloud, UploadMediaByURLRequest.UploadMediaByURLRequest())
    upload.set_UploadURLs(quote(URLS[0], safe=""))
    upload.set_UserData(json.dumps({"Extend": {"source": "conformance"}}))
    [job] = json.loads(client.do_action_with_exception(upload))["UploadJobs"]

    infos = on_local(cloud, GetURLUploadInfosRequest.GetURLUploadInfosRequest())
    infos.set_UploadURLs(quote(URLS[0], safe=""))
    [info] = json.loads(client.do_action_with_exception(infos))["URLUploadInfoList"]
    assert (info["JobId"], info["Status"], json.loads(info["UserData"])) == (
        job["JobId"],
        "PENDING",
        {"Extend": {"source": "conformance"}},
    )

    cancel = on_local(cloud, CancelUrlUploadJobsRequest.CancelUrlUploadJobsRequest())
    cancel.set_UploadUrls(quote(URLS[0], safe=""))
    assert json.loads(client.do_action_with_exception(cancel))["CanceledJobs"] == [job["JobId"]]

    cloud.vod.finish_job(cloud.vod.seed_job(URLS[1]).job_id)
    infos.set_UploadURLs(quote(URLS[1], safe=""))
    [done] = json.loads(client.do_action_with_exception(infos))["URLUploadInfoList"]
    assert (done["Status"], done["ErrorCode"], done["ErrorMessage"]) == ("SUCCESS", "200", "")


@pytest.mark.parametrize(
    "request_class",
    [
        GetPlayInfoRequest.GetPlayInfoRequest,
        GetVideoInfoRequest.GetVideoInfoRequest,
        CreateUploadVideoRequest.CreateUploadVideoRequest,
        SearchMediaRequest.SearchMediaRequest,
    ],
)
def test_vod_request_classes_not_emulated_are_refused(cloud: LocalCloud, request_class: type) -> None:
    with pytest.raises(ServerException) as caught:
        acs_client(cloud).do_action_with_exception(on_local(cloud, request_class()))
    assert (caught.value.get_http_status(), caught.value.get_error_code()) == (404, "InvalidAction.NotFound")
    assert cloud.vod.jobs() == []
