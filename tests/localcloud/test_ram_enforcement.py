"""RAM enforced by every service, through the official SDKs with real signatures.

The function's role credentials (``role_credentials``: what FC hands the function) are held to the policy in
``deploy/function-policy.json``; a refused call gets each service's own error and status, its message followed by
what was asked and which policy refused it. The account's own key and tokens minted without a policy are not
restricted (RAM does not restrict an account owner).
"""

from __future__ import annotations

from typing import Any

import oss2
import pytest
from alibabacloud_fc20230330 import models as fc3_models
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_vod20170321 import models as vod_models
from mns.mns_exception import MNSServerException
from mns.topic import TopicMessage

from localcloud.auth.ram import parse_policy
from localcloud.cloud import LocalCloud
from localcloud.testing import (
    fc3_client,
    mns_account,
    oss_bucket,
    role_credentials,
    sts_credentials,
    vod_client,
)

BUCKET, PREFIX = "vod-cancel-manifests", "cancel-requests/"
RESULTS, REQUESTS = "vod-cancel-results", "vod-cancel-requests"
POLICY = "deploy/function-policy.json"


def refusal(cloud: LocalCloud, action: str, resource: str) -> str:
    """The reason the local cloud appends to each service's message (what to grant, and where)."""
    arn = f"acs:{action.split(':')[0]}:{cloud.region}:{cloud.account_id}:{resource}"
    return f"({action} on {arn} is not allowed by any statement of {POLICY})"


def test_the_role_may_do_what_its_policy_grants(localcloud: LocalCloud) -> None:
    # GIVEN the function's role credentials and a manifest under the granted prefix
    role = role_credentials(localcloud)
    oss_bucket(localcloud, BUCKET).put_object(f"{PREFIX}a.txt", b"job-1\n")
    # WHEN it calls what deploy/function-policy.json grants  THEN every call succeeds
    vod_client(localcloud, credential=role).cancel_url_upload_jobs(vod_models.CancelUrlUploadJobsRequest(job_ids="x"))
    vod_client(localcloud, credential=role).get_urlupload_infos(vod_models.GetURLUploadInfosRequest(job_ids="x"))
    mns_account(localcloud, credential=role).get_topic(RESULTS).publish_message(TopicMessage("done"))
    bucket = oss_bucket(localcloud, BUCKET, credential=role)
    assert bucket.get_object(f"{PREFIX}a.txt").read() == b"job-1\n"
    assert bucket.head_object(f"{PREFIX}a.txt").content_length == 6  # HeadObject is authorized as oss:GetObject
    assert localcloud.ram.denials() == []


def test_each_service_refuses_what_the_policy_does_not_grant_with_its_own_error(localcloud: LocalCloud) -> None:
    # GIVEN the function's role credentials, a pending job and a manifest outside the granted prefix
    role = role_credentials(localcloud)
    job = localcloud.vod.seed_job("https://media.example.com/a.mp4")
    oss_bucket(localcloud, BUCKET).put_object("elsewhere/a.txt", b"x")

    # WHEN it calls VOD for an action the policy does not name  THEN Forbidden.RAM 403, as the OpenAPI gateway does
    with pytest.raises(ClientException) as vod:
        request = vod_models.UploadMediaByURLRequest(upload_urls="https%3A%2F%2Fmedia.example.com%2Fb.mp4")
        vod_client(localcloud, credential=role).upload_media_by_url(request)
    assert (vod.value.code, vod.value.status_code) == ("Forbidden.RAM", 403)
    assert "User not authorized to operate on the specified resource, or this API doesn't support RAM." in (
        vod.value.message
    )
    assert refusal(localcloud, "vod:UploadMediaByURL", "*") in vod.value.message

    # ... publishes on another topic  THEN MNS AccessDenied 403
    with pytest.raises(MNSServerException) as mns:
        mns_account(localcloud, credential=role).get_topic(REQUESTS).publish_message(TopicMessage("loop"))
    assert mns.value.type == "AccessDenied"
    assert mns.value.message.startswith("The OwnerId that your Access Key Id associated to is forbidden")
    assert refusal(localcloud, "mns:PublishMessage", f"/topics/{REQUESTS}/messages") in mns.value.message

    # ... reads outside the prefix, writes inside it, heads outside it  THEN OSS AccessDenied 403, EC 0003-00000202
    bucket = oss_bucket(localcloud, BUCKET, credential=role)
    oss_errors: list[Any] = []
    for call in (
        lambda: bucket.get_object("elsewhere/a.txt"),
        lambda: bucket.put_object(f"{PREFIX}b.txt", b"x"),
        lambda: bucket.head_object("elsewhere/a.txt"),
    ):
        with pytest.raises(oss2.exceptions.AccessDenied) as oss:
            call()
        oss_errors.append(oss.value)
    get, put, head = oss_errors
    assert [(e.status, e.code, e.ec) for e in oss_errors] == [(403, "AccessDenied", "0003-00000202")] * 3
    assert get.message.startswith("You have no right to access this object because of bucket acl.")
    assert refusal(localcloud, "oss:GetObject", f"{BUCKET}/elsewhere/a.txt") in get.message
    assert refusal(localcloud, "oss:PutObject", f"{BUCKET}/{PREFIX}b.txt") in put.message
    assert refusal(localcloud, "oss:GetObject", f"{BUCKET}/elsewhere/a.txt") in head.message  # from x-oss-err

    # ... reads a function's configuration (it may only invoke itself)  THEN FC AccessDenied 403
    with pytest.raises(ClientException) as fc:
        fc3_client(localcloud, credential=role).get_function(
            localcloud.fc.function_name, fc3_models.GetFunctionRequest()
        )
    assert (fc.value.status_code, fc.value.code) == (403, "AccessDenied")
    assert refusal(localcloud, "fc:GetFunction", f"functions/{localcloud.fc.function_name}") in fc.value.message

    # AND nothing happened: the job is pending, nothing published or written, the function never ran
    assert localcloud.vod.job(job.job_id).status == "PENDING" and len(localcloud.vod.jobs()) == 1
    assert localcloud.mns.published(REQUESTS) == []
    assert f"{PREFIX}b.txt" not in localcloud.oss.objects(BUCKET)
    assert localcloud.fc.invocations() == []
    assert sum(n for e, n in localcloud.ram.evaluations().items() if not e.allowed) == 6  # one decision per call


def test_an_explicit_deny_wins_and_oss_says_so_with_its_own_code(localcloud: LocalCloud) -> None:
    # GIVEN a token whose policy allows all of OSS but denies writing under the prefix
    document = {
        "Version": "1",
        "Statement": [
            {"Effect": "Allow", "Action": "oss:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "oss:PutObject", "Resource": f"acs:oss:*:*:{BUCKET}/{PREFIX}*"},
        ],
    }
    token = localcloud.credentials.issue_sts_token(policy=parse_policy(document, "inline"))
    bucket = oss_bucket(localcloud, BUCKET, credential=token)
    # WHEN it writes elsewhere and under the prefix
    bucket.put_object("elsewhere/ok.txt", b"x")
    with pytest.raises(oss2.exceptions.AccessDenied) as denied:
        bucket.put_object(f"{PREFIX}no.txt", b"x")
    # THEN the Deny wins: OSS's explicit-deny answer (EC 0003-00000201), naming the statement
    assert (denied.value.status, denied.value.ec) == (403, "0003-00000201")
    assert denied.value.message.startswith("Access denied by bucket policy.")
    assert "is explicitly denied by statement 2: oss:PutObject on" in denied.value.message


def test_the_accounts_own_key_and_tokens_without_a_policy_are_not_restricted(localcloud: LocalCloud) -> None:
    # GIVEN the account's AccessKey and an STS token minted without a policy
    for credential in (None, sts_credentials(localcloud)):
        # WHEN they do what the function's role may not  THEN it succeeds
        mns_account(localcloud, credential=credential).get_topic(REQUESTS).publish_message(TopicMessage("hi"))
        oss_bucket(localcloud, BUCKET, credential=credential).put_object("elsewhere/x.txt", b"x")
    assert len(localcloud.mns.published(REQUESTS)) == 2
    assert localcloud.ram.evaluations() == {}  # RAM was never asked: nothing restricts them
