"""VOD answers the way the OpenAPI gateway answers: messages, where parameters may travel, Format, spellings.

Hand-signed requests are signed by aliyun-python-sdk-core's own RPC signer (``get_signed_url``), so the
signature is a real client's; only where the parameters travel, or the spelling of SignatureMethod, differs.
"""

from __future__ import annotations

import http.client
import json
import xml.etree.ElementTree as ET
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

import pytest
from alibabacloud_tea_openapi.exceptions import ClientException, ServerException
from alibabacloud_vod20170321 import models as vod_models
from alibabacloud_vod20170321.client import Client
from aliyunsdkcore.auth.algorithm import sha_hmac1
from aliyunsdkcore.auth.composer import rpc_signature_composer
from vod_helpers import ACCESS_KEY_ID, ACCESS_KEY_SECRET, VodEnv, call_api

from localcloud.faults import FaultRule
from localcloud.vod.models import SUCCESS

SIGNATURE_MISMATCH = "Specified signature is not matched with our calculation. server string to sign is:"
VERSION = "2017-03-21"


@pytest.fixture
def env(shared_env: VodEnv) -> VodEnv:
    shared_env.cloud.reset()
    return shared_env


# -- helpers -----------------------------------------------------------------------------------------------------
def signed_query(
    params: dict[str, str], method: str, *, secret: str = ACCESS_KEY_SECRET, signer: Any = sha_hmac1
) -> str:
    """The query string aliyun-python-sdk-core signs for ``params`` (no Format unless given in ``params``)."""
    url, _ = rpc_signature_composer.get_signed_url(dict(params), ACCESS_KEY_ID, secret, None, method, {}, signer)
    return url[2:]  # "/?..."


def send(env: VodEnv, method: str, target: str, body: str | None = None) -> tuple[int, str, bytes]:
    """(status, content type, body) of one raw request."""
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body is not None else {}
    connection = http.client.HTTPConnection("127.0.0.1", env.server.port, timeout=5)
    try:
        connection.request(method, target, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type") or "", response.read()
    finally:
        connection.close()


def rpc(action: str, **params: str) -> dict[str, str]:
    return {"Action": action, "Version": VERSION, **params}


def call_raw(client: Client, action: str, query: dict[str, str], **options: Any) -> dict[str, Any]:
    """tea-openapi's generic call, answer read as text (so an XML answer reaches the test as sent)."""
    return call_api(client, action, query, body_type="string", **options)


def xml_root(payload: bytes | str) -> ET.Element:
    return ET.fromstring(payload)


# -- error messages ------------------------------------------------------------------------------------------------
def test_wrong_secret_v2_echoes_the_server_string_to_sign(env: VodEnv) -> None:
    """RPC: the message ends with ``server string to sign is:`` + exactly what the client signed."""
    query = signed_query(rpc("CancelUrlUploadJobs", JobIds="j1", Format="JSON"), "GET", secret="wrong")
    status, _, body = send(env, "GET", "/?" + query)

    error = json.loads(body)
    assert (status, error["Code"]) == (400, "SignatureDoesNotMatch")
    assert error["Message"].startswith(SIGNATURE_MISMATCH)
    echoed = error["Message"].split(":")[1]  # what aliyun-python-sdk-core does with it
    assert echoed.startswith("GET&%2F&") and "AccessKeyId%3D" + ACCESS_KEY_ID in echoed
    assert "Signature%3D" not in echoed


@pytest.mark.parametrize("v2", [False, True], ids=["acs3", "v2"])
def test_wrong_secret_message_through_tea_openapi(env: VodEnv, v2: bool) -> None:
    with pytest.raises(ClientException) as caught:
        env.client(access_key_secret="wrong", v2=v2).cancel_url_upload_jobs(
            vod_models.CancelUrlUploadJobsRequest(job_ids="j")
        )
    message = caught.value.data["Message"]
    assert message.startswith(SIGNATURE_MISMATCH)
    echoed = message[len(SIGNATURE_MISMATCH) :]
    if v2:
        assert echoed.startswith("POST&%2F&") and "Action%3DCancelUrlUploadJobs" in echoed
    else:
        algorithm, digest = echoed.split("\n")
        assert algorithm == "ACS3-HMAC-SHA256" and len(digest) == 64


def test_sts_token_is_masked_in_the_echo(env: VodEnv) -> None:
    sts = env.cloud.credentials.issue_sts_token()
    with pytest.raises(ClientException) as caught:
        env.client(sts.access_key_id, "wrong", sts.security_token, v2=True).cancel_url_upload_jobs(
            vod_models.CancelUrlUploadJobsRequest(job_ids="j")
        )
    assert caught.value.code == "SignatureDoesNotMatch"
    message = caught.value.data["Message"]
    assert "SecurityToken%3D%252A%252A%252A" in message
    for form in (sts.security_token, quote(sts.security_token, safe=""), sts.security_token[:24]):
        assert form not in message


@pytest.mark.parametrize(
    ("drop", "code", "message"),
    [
        ("Timestamp", "MissingParameter", 'The input parameter "Timestamp" that is mandatory'),
        ("SignatureNonce", "MissingParameter", 'The input parameter "SignatureNonce" that is mandatory'),
        ("Signature", "MissingParameter", 'The input parameter "Signature" that is mandatory'),
    ],
)
def test_missing_signature_parameter_is_named(env: VodEnv, drop: str, code: str, message: str) -> None:
    query = signed_query(rpc("CancelUrlUploadJobs", JobIds="j1", Format="JSON"), "GET")
    kept = "&".join(pair for pair in query.split("&") if not pair.startswith(drop + "="))
    status, _, body = send(env, "GET", "/?" + kept)
    error = json.loads(body)
    assert (status, error["Code"]) == (400, code)
    assert error["Message"] == message + " for processing this request is not supplied."


def test_messages_are_the_gateways_texts_without_detail(env: VodEnv) -> None:
    with pytest.raises(ClientException) as caught:
        env.client(access_key_id="LTAI5tNobody").cancel_url_upload_jobs(
            vod_models.CancelUrlUploadJobsRequest(job_ids="j")
        )
    assert (caught.value.code, caught.value.data["Message"]) == (
        "InvalidAccessKeyId.NotFound",
        "Specified access key is not found.",
    )
    sts = env.cloud.credentials.issue_sts_token(ttl_seconds=1)
    env.cloud.clock.advance(5)
    with pytest.raises(ClientException) as caught:
        env.client(sts.access_key_id, sts.access_key_secret, sts.security_token).cancel_url_upload_jobs(
            vod_models.CancelUrlUploadJobsRequest(job_ids="j")
        )
    assert caught.value.data["Message"] == "Specified SecurityToken is expired."


# -- where parameters travel -------------------------------------------------------------------------------------
def test_everything_in_a_form_body(env: VodEnv) -> None:
    """Action, Version, the signature and the API parameters all in an x-www-form-urlencoded POST body."""
    job = env.vod.seed_job("https://example.com/a.mp4")
    body = signed_query(rpc("CancelUrlUploadJobs", JobIds=job.job_id, Format="JSON"), "POST")

    status, content_type, payload = send(env, "POST", "/", body)

    assert (status, content_type) == (200, "application/json;charset=utf-8")
    assert json.loads(payload)["CanceledJobs"] == [job.job_id]
    assert env.vod.calls[-1].params == {"JobIds": job.job_id}


def test_parameters_split_between_query_and_body(env: VodEnv) -> None:
    job = env.vod.seed_job("https://example.com/a.mp4")
    pairs = signed_query(rpc("GetURLUploadInfos", JobIds=job.job_id, Format="JSON"), "POST").split("&")
    in_body = [pair for pair in pairs if pair.startswith(("JobIds=", "Action=", "Signature="))]
    in_query = [pair for pair in pairs if pair not in in_body]

    status, _, payload = send(env, "POST", "/?" + "&".join(in_query), "&".join(in_body))

    assert status == 200
    assert json.loads(payload)["URLUploadInfoList"][0]["JobId"] == job.job_id


# -- Format --------------------------------------------------------------------------------------------------------
def test_format_defaults_to_xml(env: VodEnv) -> None:
    """No Format (legacy RPC): the documented default, XML under <{Action}Response>."""
    job = env.vod.seed_job("https://example.com/a.mp4")
    status, content_type, payload = send(
        env, "GET", "/?" + signed_query(rpc("CancelUrlUploadJobs", JobIds=job.job_id), "GET")
    )

    assert (status, content_type) == (200, "text/xml;charset=utf-8")
    root = xml_root(payload)
    assert root.tag == "CancelUrlUploadJobsResponse"
    assert [child.tag for child in root] == ["RequestId", "CanceledJobs"]
    assert root.findtext("CanceledJobs") == job.job_id


@pytest.mark.parametrize("spelling", ["XML", "xml", "Xml"])
def test_format_xml_lists_are_repeated_elements(env: VodEnv, spelling: str) -> None:
    jobs = [env.vod.seed_job(f"https://example.com/{n}.mp4") for n in ("a", "b")]
    ids = ",".join(job.job_id for job in jobs) + ",missing"

    answer = call_raw(env.client(v2=True), "CancelUrlUploadJobs", {"JobIds": ids, "Format": spelling})

    root = xml_root(answer["body"])
    assert answer["headers"]["content-type"] == "text/xml;charset=utf-8"
    assert root.tag == "CancelUrlUploadJobsResponse"
    assert [e.text for e in root.findall("CanceledJobs")] == [job.job_id for job in jobs]
    assert [e.text for e in root.findall("NonExists")] == ["missing"]
    assert root.findtext("RequestId") == answer["headers"]["x-acs-request-id"]


def test_format_xml_objects_in_lists(env: VodEnv) -> None:
    """A list of objects: one element per object, holding the object's fields."""
    urls = ",".join(quote(f"https://example.com/{n}.mp4") for n in ("a", "b"))
    answer = call_raw(env.client(), "UploadMediaByURL", {"UploadURLs": urls, "Format": "XML"})
    root = xml_root(answer["body"])
    jobs = root.findall("UploadJobs")
    assert root.tag == "UploadMediaByURLResponse" and len(jobs) == 2
    assert [job.findtext("SourceURL") for job in jobs] == urls.split(",")
    assert all(len(job.findtext("JobId") or "") == 32 for job in jobs)

    done = env.vod.finish_job(jobs[0].findtext("JobId") or "")
    infos = xml_root(call_raw(env.client(), "GetURLUploadInfos", {"JobIds": done.job_id, "Format": "XML"})["body"])
    [info] = infos.findall("URLUploadInfoList")
    assert info.findtext("Status") == SUCCESS and info.findtext("JobId") == done.job_id
    assert infos.find("NonExists") is None  # an empty list is no element


def test_format_json_wins_in_any_case(env: VodEnv) -> None:
    answer = call_raw(env.client(v2=True), "GetURLUploadInfos", {"JobIds": "nope", "Format": "json"})
    assert json.loads(answer["body"])["NonExists"] == ["nope"]


def test_acs3_answers_after_its_accept_header(env: VodEnv) -> None:
    """V3 carries no common parameters: Accept decides, JSON when it names neither (tea-openapi: JSON)."""
    answer = call_raw(env.client(), "GetURLUploadInfos", {"JobIds": "nope"}, headers={"accept": "application/xml"})
    assert xml_root(answer["body"]).findtext("NonExists") == "nope"


def test_errors_in_xml(env: VodEnv) -> None:
    """An error in the requested format: <Error> with RequestId, HostId, Code, Message, Recommend."""
    status, content_type, payload = send(env, "GET", "/?Action=CancelUrlUploadJobs&Version=2017-03-21&Format=XML")
    root = xml_root(payload)
    assert (status, content_type, root.tag) == (400, "text/xml;charset=utf-8", "Error")
    assert [child.tag for child in root] == ["RequestId", "HostId", "Code", "Message", "Recommend"]
    assert root.findtext("Code") == "MissingParameter"


def test_tea_openapi_parses_an_xml_error(env: VodEnv) -> None:
    """tea-openapi's V3 path reads an error answered as text/xml;charset=utf-8 (its <Error> branch)."""
    with pytest.raises(ClientException) as caught:
        call_raw(env.client(access_key_secret="wrong"), "CancelUrlUploadJobs", {"JobIds": "j", "Format": "XML"})
    assert caught.value.code == "SignatureDoesNotMatch"
    assert caught.value.data["Message"].startswith(SIGNATURE_MISMATCH)


# -- spellings -----------------------------------------------------------------------------------------------------
def test_signature_method_in_the_docs_spelling(env: VodEnv) -> None:
    """The common-parameters example spells ``SignatureMethod=Hmac-SHA1``: accepted, as any case is."""
    docs_spelling = SimpleNamespace(
        get_signer_name=lambda: "Hmac-SHA1",
        get_signer_version=sha_hmac1.get_signer_version,
        get_signer_type=sha_hmac1.get_signer_type,
        get_sign_string=sha_hmac1.get_sign_string,
    )
    query = signed_query(rpc("GetURLUploadInfos", JobIds="nope", Format="JSON"), "GET", signer=docs_spelling)
    assert "SignatureMethod=Hmac-SHA1" in query

    status, _, payload = send(env, "GET", "/?" + query)

    assert (status, json.loads(payload)["NonExists"]) == (200, ["nope"])


@pytest.mark.parametrize("code", ["ServiceUnAvailable", "ServiceUnavailable"])
def test_both_spellings_of_503_are_answered_as_named(env: VodEnv, code: str) -> None:
    """VOD's error table spells ServiceUnAvailable; the gateway's list ServiceUnavailable: each keeps its own."""
    env.cloud.faults.add(FaultRule(service="vod", operation="CancelUrlUploadJobs", error_code=code, count=1))
    with pytest.raises(ServerException) as caught:
        env.client().cancel_url_upload_jobs(vod_models.CancelUrlUploadJobsRequest(job_ids="j"))
    assert (caught.value.code, caught.value.status_code) == (code, 503)
    assert caught.value.data["Message"] == "The request has failed due to a temporary failure of the server."


# -- GetURLUploadInfos ---------------------------------------------------------------------------------------------
def test_success_job_carries_error_code_and_message_as_the_doc_sample(env: VodEnv) -> None:
    done = env.vod.seed_job("https://example.com/a.mp4", status=SUCCESS)
    pending = env.vod.seed_job("https://example.com/b.mp4")
    body = (
        env.client()
        .get_urlupload_infos(vod_models.GetURLUploadInfosRequest(job_ids=f"{done.job_id},{pending.job_id}"))
        .body
    )
    by_id = {info.job_id: info for info in body.urlupload_info_list}
    assert (by_id[done.job_id].error_code, by_id[done.job_id].error_message) == ("200", "")
    assert by_id[pending.job_id].error_code is None


# -- not emulated --------------------------------------------------------------------------------------------------
OTHER_ACTIONS = [
    "GetPlayInfo",
    "GetVideoPlayAuth",
    "GetVideoInfo",
    "GetVideoInfos",
    "GetVideoList",
    "UpdateVideoInfo",
    "DeleteVideo",
    "SearchMedia",
    "CreateUploadVideo",
    "RefreshUploadVideo",
    "CreateUploadImage",
    "CreateUploadAttachedMedia",
    "RegisterMedia",
    "GetUploadDetails",
    "GetMezzanineInfo",
    "SubmitTranscodeJobs",
    "ListTranscodeTask",
    "SubmitSnapshotJob",
    "ListSnapshots",
    "DeleteMultipartUpload",
    "GetCategories",
    "AddCategory",
    "ListAppInfo",
    "SetMessageCallback",
    "GetMessageCallback",
    "ListTranscodeTemplateGroup",
]


@pytest.mark.parametrize("action", OTHER_ACTIONS)
def test_other_vod_actions_are_refused_as_not_found(env: VodEnv, action: str) -> None:
    """Every VOD action that is not emulated gets the gateway's InvalidAction.NotFound 404, before any check."""
    with pytest.raises(ClientException) as caught:
        call_raw(env.client(), action, {"VideoId": "v", "Format": "JSON"})
    assert (caught.value.code, caught.value.status_code) == ("InvalidAction.NotFound", 404)
    assert env.vod.jobs() == [] and env.vod.calls[-1].error_code == "InvalidAction.NotFound"
