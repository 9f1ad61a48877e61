"""The summary log line ("cancel request handled") is INFO when every item settled, WARNING when some failed and
ERROR when all did, so alerts on WARNING / ERROR in SLS see a request that did not do what was asked."""

from __future__ import annotations

import json

import pytest
from e2e_helpers import invocations, post

from localcloud.cloud import LocalCloud


def _summary(cloud: LocalCloud) -> dict:
    """The summary line of the test's one invocation."""
    [record] = invocations(cloud)
    lines = [json.loads(line) for line in record.logs.splitlines() if line.startswith("{")]
    [summary] = [line for line in lines if line["message"] == "cancel request handled"]
    return summary


@pytest.mark.parametrize(
    ("forbidden_calls", "level", "failed"),
    [(0, "INFO", 0), (1, "WARNING", 1), (None, "ERROR", 2)],
    ids=["none-failed", "some-failed", "all-failed"],
)
def test_summary_level_follows_the_failed_items(
    cloud: LocalCloud, forbidden_calls: int | None, level: str, failed: int
) -> None:
    # GIVEN two pending jobs (one named by ID, one by URL: two VOD calls), and VOD refusing none, one or every call
    if forbidden_calls != 0:
        cloud.faults.add(service="vod", operation="CancelUrlUploadJobs", error_code="Forbidden", count=forbidden_calls)
    by_id = cloud.vod.seed_job("https://media.example.com/log/by-id.mp4").job_id
    by_url = cloud.vod.seed_job("https://media.example.com/log/by url.mp4")
    # WHEN both are cancelled
    reply = post(cloud, {"JobIds": [by_id], "UploadUrls": [by_url.upload_url]})
    # THEN the summary line's level says how many failed
    assert reply.status == 200 and reply.json()["Counts"]["Failed"] == failed
    summary = _summary(cloud)
    assert (summary["level"], summary["counts"]["Failed"]) == (level, failed)
