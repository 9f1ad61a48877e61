"""The HTTP trigger as a client sees it: FC 3.0 signatures (access key or STS), base64 bodies, the reply document."""

from __future__ import annotations

import base64
import json

import pytest
import requests
from e2e_helpers import invocations, invoke, only_result, post, published
from fc2.fc_exceptions import FcError

from localcloud.cloud import LocalCloud
from localcloud.testing import trigger_request

URL = "https://media.example.com/promo/春季 promo, v2.mp4"


def test_sts_credentials_are_accepted(cloud: LocalCloud) -> None:
    """A caller signing with an STS token (x-acs-security-token) reaches the function like an access key does."""
    # GIVEN a pending job
    job = cloud.vod.seed_job(URL)
    # WHEN it is cancelled through the HTTP trigger with STS credentials
    reply = post(cloud, {"UploadUrls": [URL]}, sts=True)
    # THEN it is cancelled
    assert reply.status == 200, reply.body
    assert reply.json()["CanceledUrls"] == [{"UploadUrl": URL, "JobIds": [job.job_id]}]
    assert cloud.vod.job(job.job_id).status == "CANCELED"


def test_sts_credentials_work_for_invoke_function_too(cloud: LocalCloud) -> None:
    """aliyun-fc2 invoke_function signed with an STS token runs the function."""
    # GIVEN a pending job
    job = cloud.vod.seed_job(URL)
    # WHEN the function is invoked with an STS-signed client
    result = invoke(cloud, json.dumps({"JobIds": [job.job_id]}), sts=True).result
    # THEN it is cancelled
    assert result["CanceledJobs"] == [job.job_id]


def test_unsigned_or_wrongly_signed_requests_never_reach_the_function(cloud: LocalCloud) -> None:
    """authType: function — a bad signature is refused by FC with 403; the job stays pending."""
    # GIVEN a pending job
    job = cloud.vod.seed_job(URL)
    body = json.dumps({"JobIds": [job.job_id]}).encode()
    # WHEN a request signed with a wrong secret is POSTed, and the same request unsigned
    wrong = trigger_request(cloud, body=body, credentials=(cloud.access_key_id, "not-the-secret", ""))
    unsigned = requests.post(cloud.url("http_trigger") + "/cancel", data=body, timeout=30)
    # THEN FC refuses both with its documented messages, and the function never ran
    assert (wrong.status_code, wrong.json()["ErrorCode"]) == (403, "SignatureNotMatch")
    assert wrong.json()["ErrorMessage"].startswith("The request signature we calculated does not match")
    assert (unsigned.status_code, unsigned.json()["ErrorMessage"]) == (
        403,
        "required HTTP header Date was not specified",
    )
    assert invocations(cloud) == []
    assert cloud.vod.job(job.job_id).status == "PENDING"


def test_binary_content_type_arrives_base64_encoded_and_is_decoded(cloud: LocalCloud) -> None:
    """A body FC hands over base64-encoded (binary media type) is decoded before parsing."""
    # GIVEN a pending job
    job = cloud.vod.seed_job(URL)
    # WHEN the request is POSTed with a binary media type
    reply = post(
        cloud, json.dumps({"UploadUrls": [URL]}).encode(), headers={"Content-Type": "application/vnd.cancel+json"}
    )
    # THEN FC sent it as isBase64Encoded, and the job is cancelled
    assert reply.status == 200, reply.body
    [record] = invocations(cloud)
    assert json.loads(record.event)["isBase64Encoded"] is True
    assert reply.json()["CanceledJobs"] == [job.job_id]


def test_base64_http_event_is_decoded(cloud: LocalCloud) -> None:
    """An FC 3.0 HTTP event with isBase64Encoded=true (invoked directly) is decoded."""
    # GIVEN a pending job and an HTTP event whose body is base64
    job = cloud.vod.seed_job(URL)
    body = base64.b64encode(f"# text body\n{URL}\n".encode()).decode()
    event = {
        "version": "v1",
        "rawPath": "/cancel",
        "headers": {"Content-Type": "text/plain"},
        "queryParameters": {},
        "body": body,
        "isBase64Encoded": True,
        "requestContext": {"requestId": "req-b64", "http": {"method": "POST", "path": "/cancel"}},
    }
    # WHEN it is invoked
    reply = invoke(cloud, event).result
    # THEN the URL is cancelled and the dedupe key is the event's requestId
    assert reply["statusCode"] == 200
    document = json.loads(reply["body"])
    assert document["CanceledJobs"] == [job.job_id]
    assert document["DedupeKey"] == "http:req-b64"


def test_reply_equals_the_published_document_and_marks_it_published(cloud: LocalCloud) -> None:
    """The HTTP reply is the results document, byte for byte what landed on the results topic."""
    # GIVEN a pending job, a started job and an unknown one
    pending = cloud.vod.seed_job(URL)
    started = cloud.vod.seed_job("https://media.example.com/started.mp4", status="PROCESSING")
    # WHEN all three are POSTed
    reply = post(cloud, {"JobIds": [pending.job_id, started.job_id, "nope"]})
    # THEN the reply (200, JSON, published) equals the published message, tagged ok
    assert reply.status == 200
    assert reply.headers["X-Results-Published"] == "true"
    message = only_result(cloud)
    assert message.tag == "ok"
    assert message.document == reply.json()
    assert reply.json()["Counts"] == {"Requested": 3, "Canceled": 1, "NonExists": 1, "NotCancellable": 1, "Failed": 0}


def test_async_http_invocation_publishes_the_results(cloud: LocalCloud) -> None:
    """x-fc-invocation-type: Async → 202 at once; the results still arrive on the topic."""
    # GIVEN a pending job
    job = cloud.vod.seed_job(URL)
    # WHEN it is POSTed asynchronously
    response = trigger_request(
        cloud,
        body=json.dumps({"JobIds": [job.job_id]}).encode(),
        headers={"Content-Type": "application/json", "x-fc-invocation-type": "Async"},
    )
    # THEN 202, and the results are published once the invocation ran
    assert response.status_code == 202
    assert only_result(cloud).document["CanceledJobs"] == [job.job_id]
    assert cloud.vod.job(job.job_id).status == "CANCELED"


def test_invoke_function_raises_the_sdk_error_when_the_function_fails(cloud: LocalCloud) -> None:
    """A misconfigured function (no NOTIFY_TOPIC) raises through invoke_function: FC reports the error."""
    # GIVEN the function without a results topic, and a pending job
    cloud.fc.set_env(NOTIFY_TOPIC=None)
    job = cloud.vod.seed_job(URL)
    # WHEN an MNS-shaped event is invoked synchronously
    with pytest.raises(FcError) as failure:
        invoke(cloud, json.dumps({"JobIds": [job.job_id]}))
    # THEN the SDK raised with the function's error, VOD never called, nothing published
    assert "MissingSetting" in str(failure.value)
    assert cloud.vod.call_count() == 0
    assert published(cloud) == []
