"""The authorization hook: every service asks ``gateway.authorize(identity, service, action, resource)`` once the
signature checks out, and answers a refusal with its own access-denied error (official SDKs, real signatures)."""

from __future__ import annotations

from dataclasses import dataclass, field

import fc2
import oss2
import pytest
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_vod20170321 import models as vod_models
from mns.mns_exception import MNSServerException
from mns.topic import TopicMessage

from localcloud.cloud import LocalCloud
from localcloud.core import AuthorizationDenied, Identity, RamAuthorizer
from localcloud.testing import fc_client, mns_account, oss_bucket, vod_client

TOPIC, BUCKET = "authz-topic", "authz-bucket"


@dataclass
class Recorder:
    """An authorizer that remembers what it was asked, and refuses when told to."""

    deny: bool = False
    asked: list[tuple[str | None, bool, str, str, str]] = field(default_factory=list)

    def __call__(self, identity: Identity, service: str, action: str, resource: str) -> None:
        self.asked.append((identity.access_key_id, identity.is_sts, service, action, resource))
        if self.deny:
            raise AuthorizationDenied(f"{action} on {resource} is not allowed")


@pytest.fixture
def cloud(localcloud: LocalCloud) -> LocalCloud:
    localcloud.mns.create_topic(TOPIC)
    localcloud.oss.create_bucket(BUCKET)
    return localcloud


def arn(cloud: LocalCloud, service: str, resource: str) -> str:
    return f"acs:{service}:{cloud.region}:{cloud.account_id}:{resource}"


def test_each_service_asks_with_the_callers_identity_the_action_and_the_resource(cloud: LocalCloud) -> None:
    recorder = cloud.gateway.authorize = Recorder()

    vod_client(cloud, sts=True).cancel_url_upload_jobs(vod_models.CancelUrlUploadJobsRequest(job_ids="j1"))
    mns_account(cloud).get_topic(TOPIC).publish_message(TopicMessage("hello"))
    oss_bucket(cloud, BUCKET).put_object("dir/a.txt", b"x")

    (vod_key, vod_sts, *vod), mns, oss = recorder.asked
    assert vod_key.startswith("STS.") and vod_sts
    assert vod == ["vod", "CancelUrlUploadJobs", arn(cloud, "vod", "*")]
    assert mns == (cloud.access_key_id, False, "mns", "PublishMessage", arn(cloud, "mns", f"/topics/{TOPIC}/messages"))
    assert oss == (cloud.access_key_id, False, "oss", "PutObject", arn(cloud, "oss", f"{BUCKET}/dir/a.txt"))


def test_a_refusal_is_each_services_own_access_denied_and_nothing_happens(cloud: LocalCloud) -> None:
    cloud.gateway.authorize = Recorder(deny=True)
    job = cloud.vod.seed_job("https://example.com/a.mp4")

    with pytest.raises(ClientException) as vod:
        vod_client(cloud).cancel_url_upload_jobs(vod_models.CancelUrlUploadJobsRequest(job_ids=job.job_id))
    with pytest.raises(MNSServerException) as mns:
        mns_account(cloud).get_topic(TOPIC).publish_message(TopicMessage("hello"))
    with pytest.raises(oss2.exceptions.AccessDenied) as oss:
        oss_bucket(cloud, BUCKET).put_object("a.txt", b"x")
    with pytest.raises(fc2.FcError) as fc:
        fc_client(cloud).invoke_function(cloud.fc.service_name, cloud.fc.function_name, payload=b"{}")

    assert (vod.value.code, vod.value.status_code) == ("Forbidden.RAM", 403)
    assert "CancelUrlUploadJobs on acs:vod:" in vod.value.message
    assert mns.value.type == "AccessDenied"
    assert (oss.value.status, oss.value.code) == (403, "AccessDenied")
    assert (fc.value.status_code, fc.value.err_code) == (403, "AccessDenied")
    assert job.status == "PENDING" and cloud.mns.published(TOPIC) == [] and cloud.oss.objects(BUCKET) == {}
    assert cloud.fc.invocations() == []


def test_the_authorizer_is_not_asked_about_requests_that_fail_authentication(cloud: LocalCloud) -> None:
    recorder = cloud.gateway.authorize = Recorder()
    cloud.credentials.revoke(cloud.access_key_id)
    with pytest.raises(oss2.exceptions.OssError):
        oss_bucket(cloud, BUCKET).put_object("a.txt", b"x")
    assert recorder.asked == []


def test_reset_restores_the_ram_authorizer(cloud: LocalCloud) -> None:
    cloud.gateway.authorize = Recorder(deny=True)
    cloud.reset()
    assert isinstance(cloud.gateway.authorize, RamAuthorizer) and cloud.gateway.authorize is cloud.ram
