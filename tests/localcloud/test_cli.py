"""``python -m localcloud up`` runs until a signal and publishes its endpoints; ``invoke`` calls the function
through aliyun-fc2, against a running cloud or one of its own."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from fc_helpers import write_project

from localcloud.__main__ import build_parser, parse_fault, parse_quota_rule, quota_rules
from localcloud.cloud import LocalCloud
from localcloud.vod.models import QuotaRule

REPO = Path(__file__).resolve().parents[2]
ENDPOINT_KEYS = {
    "vod", "mns", "oss", "fc", "http_trigger", "control", "region", "account_id", "access_key_id",
    "access_key_secret", "fc_service", "fc_function",
}  # fmt: skip


def run_cli(*args: str, cwd: Path, **kwargs: object) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-m", "localcloud", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,  # type: ignore[arg-type]
    )


def wait_for(path: Path, process: subprocess.Popen[str], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, process.communicate()
        if time.monotonic() >= deadline:
            raise AssertionError("endpoints file never appeared")
        time.sleep(0.05)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    project = write_project(tmp_path / "project")
    (tmp_path / "event.json").write_text('{"hello": "cli"}', encoding="utf-8")
    (tmp_path / "bad.json").write_text('{"action": "raise", "message": "cli boom"}', encoding="utf-8")
    return project


@pytest.fixture
def running_up(project: Path) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    endpoints_file = project.parent / "state" / "endpoints.json"
    process = run_cli(
        "up", "--project", str(project), "--endpoints-file", str(endpoints_file),
        "--fault", "vod:CancelUrlUploadJobs:latency_ms=1,count=5", cwd=project.parent,
    )  # fmt: skip
    try:
        wait_for(endpoints_file, process)
        yield process, endpoints_file
    finally:
        if process.poll() is None:
            process.terminate()  # SIGTERM: let it stop its worker processes and clean up
            try:
                process.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()


def test_up_writes_the_endpoints_file_and_exits_cleanly_on_sigint(
    running_up: tuple[subprocess.Popen[str], Path],
) -> None:
    process, endpoints_file = running_up
    endpoints = json.loads(endpoints_file.read_text())
    # THEN the file has exactly LocalCloud.endpoints()'s keys and the cloud answers
    assert set(endpoints) == ENDPOINT_KEYS
    state = requests.get(endpoints["control"] + "/state", timeout=10).json()
    assert state["function"]["name"] == "fixture-fn"
    assert state["faults"][0]["operation"] == "CancelUrlUploadJobs"
    # WHEN it gets SIGINT THEN it stops with status 0 and removes its endpoints file
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=20)
    assert process.returncode == 0, stderr
    assert endpoints["access_key_secret"] in stdout and endpoints["fc"] in stdout
    assert not endpoints_file.exists()


def test_up_stops_on_sigterm(running_up: tuple[subprocess.Popen[str], Path]) -> None:
    process, _ = running_up
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=20)
    assert process.returncode == 0


def test_invoke_against_a_running_cloud_prints_result_and_logs(
    running_up: tuple[subprocess.Popen[str], Path], project: Path
) -> None:
    _, endpoints_file = running_up
    invoke = run_cli("invoke", str(project.parent / "event.json"), "--endpoints-file", str(endpoints_file),
                     cwd=project.parent)  # fmt: skip
    stdout, stderr = invoke.communicate(timeout=60)
    assert invoke.returncode == 0, stderr
    assert json.loads(stdout) == {"hello": "cli"}
    assert "print line for 1-" in stderr and "FC Invoke End RequestId" in stderr


def test_invoke_without_a_running_cloud_starts_its_own(project: Path) -> None:
    invoke = run_cli("invoke", "../event.json", "--async", cwd=project)
    stdout, stderr = invoke.communicate(timeout=60)
    assert invoke.returncode == 0, stderr
    assert json.loads(stdout) == {"hello": "cli"}
    assert "accepted: request id" in stderr and "attempt 1: succeeded" in stderr


def test_invoke_reports_a_function_error_with_exit_status_1(project: Path) -> None:
    invoke = run_cli("invoke", "../bad.json", cwd=project)
    stdout, stderr = invoke.communicate(timeout=60)
    assert invoke.returncode == 1
    assert json.loads(stdout)["errorType"] == "ValueError"
    assert "Traceback" in stderr


def test_endpoints_file_keys_match_localcloud_endpoints(project: Path) -> None:
    with LocalCloud(project) as cloud:
        assert set(cloud.endpoints()) == ENDPOINT_KEYS


def test_fault_option_parses_into_a_rule() -> None:
    rule = parse_fault("vod:CancelUrlUploadJobs:error_code=Throttling.User,count=3,latency_ms=20")
    assert (rule.service, rule.operation, rule.error_code, rule.count, rule.latency_ms) == (
        "vod", "CancelUrlUploadJobs", "Throttling.User", 3, 20.0,
    )  # fmt: skip
    with pytest.raises(Exception, match="not one of"):
        parse_fault("fc:InvokeFunction:bogus=1")


def test_vod_quota_rule_option_applies_to_every_api_or_one() -> None:
    args = build_parser().parse_args(
        ["up", "--vod-quota-rule", "bucket", "--vod-quota-rule", "GetURLUploadInfos=window"]
    )
    rules = quota_rules(args.vod_quota_rule)
    assert rules["CancelUrlUploadJobs"] == QuotaRule("bucket") and rules["GetURLUploadInfos"] == QuotaRule("window")
    assert parse_quota_rule("CancelUrlUploadJobs=bucket:20") == ("CancelUrlUploadJobs", QuotaRule("bucket", 20))
    with pytest.raises(argparse.ArgumentTypeError, match="window, bucket or bucket:BURST"):
        parse_quota_rule("leaky")
    with pytest.raises(argparse.ArgumentTypeError, match="not one of"):
        parse_quota_rule("CancelJobs=bucket")


# -- `make up` for this project: seeded so that events/ cancel real jobs ---------------------------------------------
SAMPLE_CANCELS = {
    "http-post.json": {"3b4c5d6e7f80910a1b2c3d4e5f607182"},
    "mns-json.json": {"a1b2c3d4e5f60718293a4b5c6d7e8f90", "2a3b4c5d6e7f80910a1b2c3d4e5f6071"},
    "mns-stream.json": {"b2c3d4e5f60718293a4b5c6d7e8f90a1", "c3d4e5f60718293a4b5c6d7e8f90a1b2"},
    "mns-stream-attrs.json": {
        "4c5d6e7f80910a1b2c3d4e5f60718293",
        "5d6e7f80910a1b2c3d4e5f60718293a4",
        "d4e5f60718293a4b5c6d7e8f90a1b2c3",
    },
    "oss-manifest.json": {
        "0e1d2c3b4a5968778695a4b3c2d1e0f1",
        "0e1d2c3b4a5968778695a4b3c2d1e0f2",
        "1f0e9d8c7b6a59483726150493827160",
    },
}
NOT_REQUESTED = "6e7f80910a1b2c3d4e5f60718293a4b5"


def test_up_seeds_the_demo_so_that_every_sample_event_cancels_real_jobs(tmp_path: Path) -> None:
    # GIVEN `up` for this repository's project (what `make up` runs)
    endpoints_file = tmp_path / "endpoints.json"
    up = run_cli("up", "--endpoints-file", str(endpoints_file), cwd=REPO)
    try:
        wait_for(endpoints_file, up)
        control = json.loads(endpoints_file.read_text())["control"]
        assert sorted(path.name for path in (REPO / "events").glob("*.json")) == sorted(SAMPLE_CANCELS)
        for event, job_ids in SAMPLE_CANCELS.items():
            # WHEN each sample event is invoked against it
            invoke = run_cli("invoke", f"events/{event}", "--endpoints-file", str(endpoints_file), cwd=REPO)
            stdout, stderr = invoke.communicate(timeout=120)
            assert invoke.returncode == 0, stderr
            # THEN the jobs it names were pending and are now cancelled
            statuses = {job["job_id"]: job["status"] for job in requests.get(control + "/vod/jobs", timeout=10).json()}
            assert {statuses[job_id] for job_id in job_ids} == {"CANCELED"}, (event, stdout)
        assert statuses[NOT_REQUESTED] == "PENDING"
    finally:
        up.send_signal(signal.SIGINT)
        stdout, _ = up.communicate(timeout=30)
    # AND `up` said what to try next
    assert "Seeded 14 VOD jobs" in stdout
    assert "vodcancel cancel events/requests/batch-001.txt" in stdout


def test_up_outside_the_virtualenv_says_to_use_make_up(tmp_path: Path) -> None:
    # GIVEN an interpreter without the local cloud's dependencies (-S: no site-packages)
    run = subprocess.run(
        [sys.executable, "-S", "-m", "localcloud", "up"], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    # THEN one line says what to do, not a traceback
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert "Run `make up`" in run.stderr and ".venv/bin/python -m localcloud up" in run.stderr
