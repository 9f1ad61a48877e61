"""Misconfiguration fails loudly: the invocation raises (FC / MNS retry, then the onFailure destination) and never
publishes to its own trigger topic, which would invoke it forever."""

from __future__ import annotations

import json

import pytest
from e2e_helpers import FAILURES_TOPIC, REQUEST_TOPIC, RESULTS_TOPIC, invocations, post, publish_request, settle

from localcloud.cloud import LocalCloud

URL = "https://media.example.com/config.mp4"


@pytest.mark.parametrize(
    "env",
    [{"NOTIFY_TOPIC": REQUEST_TOPIC}, {"NOTIFY_TOPIC": REQUEST_TOPIC, "TRIGGER_TOPIC": None}],
    ids=["refused-at-start-up", "refused-from-the-event"],
)
def test_notify_topic_equal_to_the_trigger_topic_is_refused(cloud: LocalCloud, env: dict[str, str | None]) -> None:
    """NOTIFY_TOPIC = the request topic: every attempt fails, nothing is published back, VOD is never called."""
    # GIVEN the function configured to publish its results on its own trigger topic, and a pending job
    cloud.fc.set_env(**env)
    job = cloud.vod.seed_job(URL).job_id
    # WHEN a request is published on the request topic
    publish_request(cloud, json.dumps({"JobIds": [job]}))
    settle(cloud, invocations=1)
    # THEN every attempt (MNS retries included) failed with the configuration error ...
    records = invocations(cloud)
    assert len(records) > 1  # MNS delivered it again (BACKOFF_RETRY)
    assert all(record.status == "failed" for record in records)
    assert all(record.error["errorType"] == "ConfigurationError" for record in records)
    assert "NotifyTopicIsTriggerTopic" in records[0].error["errorMessage"]
    # ... the only message on the request topic is the request itself (no loop), none on the results topic ...
    assert len(cloud.mns.published(REQUEST_TOPIC)) == 1
    assert cloud.mns.published(RESULTS_TOPIC) == []
    # ... FC's failure record went to the onFailure destination, and VOD was never called
    [failure] = cloud.mns.published(FAILURES_TOPIC)
    assert json.loads(failure.body)["requestContext"]["requestId"] == records[0].request_id
    assert cloud.vod.call_count() == 0
    assert cloud.vod.job(job).status == "PENDING"


def test_http_reports_a_configuration_error_as_500(cloud: LocalCloud) -> None:
    """Over HTTP a misconfigured function answers 500 with the error code (nothing cancelled)."""
    # GIVEN the function without NOTIFY_TOPIC, and a pending job
    cloud.fc.set_env(NOTIFY_TOPIC=None)
    job = cloud.vod.seed_job(URL).job_id
    # WHEN a cancel request is POSTed
    reply = post(cloud, {"JobIds": [job]})
    # THEN 500 MissingSetting, VOD never called
    assert reply.status == 500
    assert reply.json()["Error"]["Code"] == "MissingSetting"
    assert cloud.vod.call_count() == 0
    assert cloud.vod.job(job).status == "PENDING"
