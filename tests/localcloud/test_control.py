"""The control API lets another process inspect and steer the local cloud with plain JSON over HTTP."""

from __future__ import annotations

import json
from typing import Any

import requests
from fc_helpers import payload

from localcloud.cloud import LocalCloud


def call(cloud: LocalCloud, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
    response = requests.request(method, cloud.url("control") + path, json=body, timeout=30)
    assert response.status_code == expect, response.text
    return response.json() if response.headers["Content-Type"] == "application/json" else response.text


def test_state_summarises_the_cloud(cloud: LocalCloud) -> None:
    state = call(cloud, "GET", "/state")
    assert state["endpoints"] == cloud.endpoints()
    assert state["function"]["name"] == "fixture-fn" and state["function"]["service"] == "fixture-project"
    assert {t["type"] for t in state["function"]["triggers"]} == {"HttpTrigger", "MnsTopicTrigger", "OssTrigger"}
    assert "fixture-failures" in state["mns"]["messages_by_topic"]
    assert state["invocations"] == {"total": 0, "by_status": {}}
    assert state["vod"]["quotas"]["CancelUrlUploadJobs"] == {"calls_per_s": 50, "rule": "window"}


def test_vod_jobs_can_be_seeded_listed_and_started(cloud: LocalCloud) -> None:
    job = call(cloud, "POST", "/vod/jobs", {"url": "https://example.com/a.mp4"})
    assert job["status"] == "PENDING"
    started = call(cloud, "POST", f"/vod/jobs/{job['job_id']}/start")
    assert started["status"] == "PROCESSING"
    assert [j["job_id"] for j in call(cloud, "GET", "/vod/jobs")] == [job["job_id"]]
    assert call(cloud, "POST", "/vod/jobs/nope/start", expect=404)["error"]
    assert call(cloud, "POST", "/vod/jobs", {"url": "https://x", "status": "WEIRD"}, expect=400)["error"]


def test_a_job_can_be_seeded_with_a_given_id(cloud: LocalCloud) -> None:
    # WHEN a job is seeded with the ID a sample event names
    job_id = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
    job = call(cloud, "POST", "/vod/jobs", {"JobId": job_id, "url": "https://example.com/t.mp4", "status": "pending"})
    # THEN VOD holds it under that ID and status
    assert (job["job_id"], job["status"]) == (job_id, "PENDING")
    assert cloud.vod.job(job_id) is not None
    # AND the same ID again is a conflict; an ID the function would refuse is a 400
    assert (
        "already exists" in call(cloud, "POST", "/vod/jobs", {"JobId": job_id, "url": "https://x"}, expect=409)["error"]
    )
    assert "JobId" in call(cloud, "POST", "/vod/jobs", {"JobId": "bad id!", "url": "https://x"}, expect=400)["error"]
    assert len(cloud.vod.jobs()) == 1


def test_mns_messages_and_fc_invocations_with_logs_are_readable(cloud: LocalCloud) -> None:
    cloud.mns.publish("fixture-results", '{"ok": true}', tag="ok")
    (message,) = call(cloud, "GET", "/mns/topics/fixture-results/messages")
    assert (message["body"], message["tag"]) == ('{"ok": true}', "ok")
    record = cloud.fc.invoke(payload(hello="control"))
    (listed,) = call(cloud, "GET", "/fc/invocations")
    assert listed["request_id"] == record.request_id and json.loads(listed["result"]) == {"hello": "control"}
    logs = call(cloud, "GET", f"/fc/invocations/{record.request_id}/logs")
    assert f"print line for {record.request_id}" in logs
    assert "error" in call(cloud, "GET", "/fc/invocations/unknown/logs", expect=404)


def test_faults_can_be_added_listed_and_cleared(cloud: LocalCloud) -> None:
    rule = call(cloud, "POST", "/faults", {"service": "vod", "operation": "CancelUrlUploadJobs", "count": 2,
                                           "error_code": "Throttling.User"})  # fmt: skip
    assert rule["error_code"] == "Throttling.User"
    assert len(call(cloud, "GET", "/faults")) == 1
    assert "unknown" in call(cloud, "POST", "/faults", {"nope": 1}, expect=400)["error"]
    assert call(cloud, "DELETE", "/faults") == []


def test_clock_advance_reset_and_wait_idle(cloud: LocalCloud) -> None:
    before = cloud.clock.now()
    advanced = call(cloud, "POST", "/clock/advance", {"seconds": 3600})
    assert advanced["now"] >= before + 3600
    call(cloud, "POST", "/clock/advance", {"seconds": "x"}, expect=400)
    cloud.fc.invoke_async(payload(action="sleep", seconds=0.2))
    assert call(cloud, "POST", "/wait-idle", {"timeout": 10}) == {"idle": True}
    assert len(cloud.fc.invocations()) == 1
    assert call(cloud, "POST", "/reset") == {"reset": True}
    assert cloud.fc.invocations() == [] and abs(cloud.clock.now() - before) < 60


def test_unknown_routes_are_json_404s(cloud: LocalCloud) -> None:
    assert "error" in call(cloud, "GET", "/nope", expect=404)
