"""The pytest plugin's ``localcloud`` fixture serves the repository's own s.yaml, clean for every test, and its
client helpers speak to it with the official SDKs."""

from __future__ import annotations

from mns.topic import TopicMessage

from localcloud.cloud import LocalCloud
from localcloud.testing import fc_client, mns_account, vod_client


def test_the_fixture_serves_the_project_function_clean(localcloud: LocalCloud) -> None:
    assert localcloud.fc.function_name == "vod-cancel-url-uploads"
    assert localcloud.fc.service_name == "vod-url-upload-canceller"
    assert localcloud.fc.invocations() == [] and localcloud.faults.rules() == []
    assert fc_client(localcloud).endpoint == localcloud.url("fc")


def test_mns_and_vod_helpers_reach_the_local_cloud(localcloud: LocalCloud) -> None:
    mns_account(localcloud, sts=True).get_topic("vod-cancel-results").publish_message(TopicMessage("hello"))
    assert [m.body for m in localcloud.mns.published("vod-cancel-results")] == ["hello"]
    from alibabacloud_vod20170321 import models

    job = localcloud.vod.seed_job("https://example.com/a.mp4")
    response = vod_client(localcloud, sts=True).cancel_url_upload_jobs(
        models.CancelUrlUploadJobsRequest(job_ids=job.job_id)
    )
    assert response.body.canceled_jobs == [job.job_id]
