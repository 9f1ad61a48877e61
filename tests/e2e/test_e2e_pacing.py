"""Pacing under each rule VOD might count its quota by: a sliding one-second window or a token bucket (50 calls/s,
burst 50). A request of 1,500 job IDs (150 CancelUrlUploadJobs calls, three seconds' worth) through the HTTP
trigger ends with every job cancelled, nothing Failed, and a few throttle answers at most, all retried: the
limiter's probe costs one under a window, and its jitter margin may take a throttle or two to grow to what this
machine's timing needs. A limiter pacing by the wrong rule gets dozens. Not timed: what counts is what VOD
answered.

Each test starts new function instances and leaves none behind, so the limiter starts knowing nothing and what it
learns goes no further than this test (a warm instance keeps its limiter, as on FC).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from e2e_helpers import invocations, post

from localcloud.cloud import LocalCloud

JOBS = 1500
MOST_THROTTLES = 10  # the probe's, and the few that widen the margin to the machine's jitter


@pytest.fixture
def fresh_instances(e2e_session: Any) -> Iterator[None]:
    e2e_session.dirty = True  # before `cloud`: a full reset, new instances
    yield
    e2e_session.dirty = True  # and the next test gets new ones again


def _vod_stats(cloud: LocalCloud) -> dict[str, Any]:
    """The ``vod`` stats of the summary log line of this test's one invocation."""
    [record] = invocations(cloud)
    lines = [json.loads(line) for line in record.logs.splitlines() if line.startswith("{")]
    [summary] = [line for line in lines if line["message"] == "cancel request handled"]
    return summary["vod"]


@pytest.mark.parametrize("rule", ["window", "bucket"])
def test_every_job_is_cancelled_with_few_throttles_whatever_the_rule(
    fresh_instances: None, cloud: LocalCloud, rule: str
) -> None:
    # GIVEN VOD counting its default 50 calls/s by the rule, and 1,500 pending jobs
    cloud.vod.set_quota_rule(rule)
    jobs = [cloud.vod.seed_job(f"https://media.example.com/pacing/{i}.mp4").job_id for i in range(JOBS)]
    # WHEN they are cancelled in one HTTP request
    reply = post(cloud, {"JobIds": jobs})
    # THEN every job is cancelled and none failed
    assert reply.status == 200
    assert reply.json()["Counts"] == {"Requested": JOBS, "Canceled": JOBS, "NonExists": 0, "NotCancellable": 0,
                                      "Failed": 0}  # fmt: skip
    assert all(job.status == "CANCELED" for job in cloud.vod.jobs())
    # AND the function saw what VOD answered: a few throttles at most, each retried
    throttled = cloud.vod.call_count("CancelUrlUploadJobs", status=400)
    stats = _vod_stats(cloud)
    assert stats["throttles"] == throttled <= MOST_THROTTLES
    assert stats["calls"]["CancelUrlUploadJobs"] == JOBS // 10 + throttled
    assert cloud.vod.call_count("CancelUrlUploadJobs", status=200) == JOBS // 10
