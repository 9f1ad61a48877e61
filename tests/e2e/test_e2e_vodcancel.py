"""vodcancel, the operator's command line, against the local cloud: every door, following the results topic, the
tables and files it writes, VOD's statuses, and errors that say what to do.

Most tests run the command in-process (click's CliRunner); the full ``cancel`` path and the real-account target
(credentials from the official default chain, read from the environment) run in a subprocess, as a user runs it.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from e2e_helpers import invocations

from localcloud.cloud import LocalCloud
from localcloud.demo import seed_demo
from vodcancel.cli import cli

ROOT = Path(__file__).resolve().parents[2]
REQUESTS = ROOT / "events" / "requests"
EP01, EP03 = "0e1d2c3b4a5968778695a4b3c2d1e0f1", "0e1d2c3b4a5968778695a4b3c2d1e0f3"
MANIFEST_COUNTS = {"Requested": 5, "Canceled": 3, "NonExists": 1, "NotCancellable": 1, "Failed": 0}


@pytest.fixture
def endpoints(cloud: LocalCloud, tmp_path: Path) -> Path:
    """The seeded demo state and the endpoints file `make up` would write."""
    seed_demo(cloud)
    path = tmp_path / "endpoints.json"
    path.write_text(json.dumps(cloud.endpoints()), encoding="utf-8")
    return path


def vodcancel(endpoints: Path, *args: str) -> Result:
    options = ["--project", str(ROOT), "--endpoints-file", str(endpoints)]
    command, rest = args[0], list(args[1:])
    return CliRunner().invoke(cli, [command, *rest, *options], catch_exceptions=False)


def run_module(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {key: value for key, value in os.environ.items() if not key.startswith("ALIBABA_CLOUD_")}
    return subprocess.run(
        [sys.executable, "-m", "vodcancel", *args],
        cwd=ROOT,
        env={**base, "PYTHONPATH": str(ROOT), **(env or {})},
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.mark.parametrize(
    ("via", "file", "counts", "cancelled"),
    [
        ("oss", "batch-001.txt", MANIFEST_COUNTS, {EP01, "0e1d2c3b4a5968778695a4b3c2d1e0f2"}),
        ("mns", "trailers.json", {"Requested": 3, "Canceled": 2, "NonExists": 1}, {"2a3b4c5d6e7f80910a1b2c3d4e5f6071"}),
        (
            "http",
            "promo.json",
            {"Requested": 3, "Canceled": 1, "NotCancellable": 1},
            {"3b4c5d6e7f80910a1b2c3d4e5f607182"},
        ),
    ],
)
def test_cancel_through_each_door_reports_every_item(
    cloud: LocalCloud, endpoints: Path, via: str, file: str, counts: dict[str, int], cancelled: set[str]
) -> None:
    # WHEN a sample request is cancelled through one door, for a script (--json)
    result = vodcancel(endpoints, "cancel", str(REQUESTS / file), "--via", via, "--timeout", "60", "--json")
    # THEN it exits 0 with the whole results document: counts, and one entry per requested item
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["Source"] == via
    assert counts.items() <= document["Counts"].items()
    assert len(document["Items"]) == document["Counts"]["Requested"]
    # AND VOD's jobs are cancelled
    assert {job.job_id for job in cloud.vod.jobs() if job.status == "CANCELED"} >= cancelled


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_submit_then_follow_writes_every_item(cloud: LocalCloud, endpoints: Path, tmp_path: Path, suffix: str) -> None:
    # GIVEN a manifest submitted through OSS (which subscribes the results queue first)
    submitted = vodcancel(endpoints, "submit", str(REQUESTS / "batch-001.txt"), "--json")
    assert submitted.exit_code == 0, submitted.output
    key = json.loads(submitted.stdout)["DedupeKey"]
    assert key.startswith("oss:vod-cancel-manifests/cancel-requests/") and key.endswith("-batch-001.txt@" + key[-32:])
    # WHEN its results are followed into a file
    out = tmp_path / f"results{suffix}"
    followed = vodcancel(endpoints, "follow", key, "--timeout", "60", "--out", str(out))
    # THEN the table shows the outcomes and the file holds every item
    assert followed.exit_code == 0, followed.output
    assert "not cancellable" in followed.stdout and "not found" in followed.stdout
    if suffix == ".csv":
        rows = list(csv.DictReader(out.open(encoding="utf-8")))
    else:
        rows = json.loads(out.read_text(encoding="utf-8"))["Items"]
    by_item = {row["item"]: row for row in rows}
    assert len(rows) == 5
    assert by_item["https://media.example.com/raw/ep03.mp4"]["outcome"] == "NotCancellable"
    assert by_item["https://media.example.com/raw/never-uploaded.mp4"]["outcome"] == "NonExists"
    assert by_item["1f0e9d8c7b6a59483726150493827160"]["outcome"] == "Canceled"


def test_follow_without_a_key_follows_the_next_request(cloud: LocalCloud, endpoints: Path) -> None:
    submitted = vodcancel(endpoints, "submit", str(REQUESTS / "trailers.json"), "--via", "mns", "--json")
    key = json.loads(submitted.stdout)["DedupeKey"]
    followed = vodcancel(endpoints, "follow", "--timeout", "60", "--json")
    assert followed.exit_code == 0, followed.output
    assert json.loads(followed.stdout)["DedupeKey"] == key


@pytest.mark.parametrize("via", ["mns", "http"])
def test_a_rejected_request_exits_3_with_the_functions_error(endpoints: Path, tmp_path: Path, via: str) -> None:
    request = tmp_path / "bad.txt"
    request.write_text("a1b2c3d4e5f60718293a4b5c6d7e8f90\nnot a job id!\n", encoding="utf-8")
    result = vodcancel(endpoints, "cancel", str(request), "--via", via, "--timeout", "60")
    assert result.exit_code == 3, result.output
    assert result.stderr.splitlines()[-1].startswith("rejected: InvalidJobId: ")


def test_status_shows_vods_view_by_job_id_and_url(cloud: LocalCloud, endpoints: Path) -> None:
    cloud.vod.start_job(EP01)
    missing_url = "https://media.example.com/raw/never uploaded.mp4"
    ep03 = "https://media.example.com/raw/ep03.mp4"
    result = vodcancel(endpoints, "status", EP01, ep03, "nope", missing_url, "--json")
    assert result.exit_code == 0, result.output
    rows = {row["JobId"] or row["UploadURL"]: row for row in json.loads(result.stdout)}
    assert rows[EP01]["Status"] == "PROCESSING"
    assert rows[EP03]["UploadURL"] == ep03
    assert rows["nope"]["Status"] == "NotFound"
    assert rows[missing_url]["Status"] == "NotFound"  # reported as given, though VOD echoes it encoded
    assert rows[EP01]["CreationTime"]


def test_errors_are_one_line_that_say_what_to_do(cloud: LocalCloud, endpoints: Path, tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_text("a1b2c3d4e5f60718293a4b5c6d7e8f90\n" * 3000, encoding="utf-8")
    stale = tmp_path / "stale.json"
    stale.write_text(json.dumps({**cloud.endpoints(), "control": "http://127.0.0.1:9"}), encoding="utf-8")
    manifest = str(REQUESTS / "batch-001.txt")
    cases = [
        (["cancel", "nothing-here.txt"], "cannot read nothing-here.txt", endpoints),
        (["cancel", manifest, "--out", str(tmp_path / "r.txt")], "name the file *.json or *.csv", endpoints),
        (["submit", str(big), "--via", "mns"], "send it as a manifest with --via oss", endpoints),
        (["submit", manifest, "--key", "elsewhere/x.txt"], "outside the OSS trigger's filter", endpoints),
        (["status", EP01], "does not answer — start it with `make up`", stale),
        (["status", EP01, "--target", "local"], "start it with `make up`", tmp_path / "missing.json"),
    ]
    for args, expected, endpoints_file in cases:
        result = vodcancel(endpoints_file, *args)
        assert result.exit_code == 1, (args, result.output)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], (args, lines)
    assert invocations(cloud) == []  # none of them reached the function


def test_cancel_in_a_subprocess_shows_a_progress_bar_and_a_summary_table(cloud: LocalCloud, endpoints: Path) -> None:
    # WHEN `python -m vodcancel cancel` runs the sample manifest, as in the README
    run = run_module("cancel", "events/requests/batch-001.txt", "--endpoints-file", str(endpoints), "--timeout", "60")
    # THEN the bar counted every item, and the table has cancelled, missing and not cancellable items
    assert run.returncode == 0, run.stdout + run.stderr
    assert "results" in run.stderr and "5/5 items" in run.stderr
    for line in (
        "cancelled       │     3",
        "not found       │     1",
        "not cancellable │     1",
        "requested       │     5",
    ):
        assert line in run.stdout, run.stdout
    # AND the console script shows VOD's new statuses
    script = Path(sys.executable).with_name("vodcancel")
    status = subprocess.run(
        [str(script), "status", EP01, EP03, "--endpoints-file", str(endpoints)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert status.returncode == 0, status.stderr
    assert "CANCELED" in status.stdout and "PROCESSING" in status.stdout


def test_a_real_account_target_takes_the_default_credential_chain(cloud: LocalCloud, endpoints: Path) -> None:
    """--target cloud: credentials from ALIBABA_CLOUD_* (the chain's first provider), endpoints from the variables
    the function reads, names from s.yaml — here pointed at the local cloud's services."""
    local = cloud.endpoints()
    sts = cloud.credentials.issue_sts_token()
    env = {
        "ALIBABA_CLOUD_ACCESS_KEY_ID": sts.access_key_id,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": sts.access_key_secret,
        "ALIBABA_CLOUD_SECURITY_TOKEN": sts.security_token,
        "ALIBABA_CLOUD_ACCOUNT_ID": local["account_id"],
        "VOD_ENDPOINT": local["vod"],
        "MNS_ENDPOINT": local["mns"],
        "OSS_ENDPOINT": local["oss"],
        "VOD_CANCEL_TRIGGER_URL": local["http_trigger"] + "/cancel",
    }
    for via, file in (("oss", "batch-001.txt"), ("http", "promo.json")):
        run = run_module("cancel", f"events/requests/{file}", "--target", "cloud", "--via", via, "--json",
                         "--timeout", "60", env=env)  # fmt: skip
        assert run.returncode == 0, run.stderr
        assert json.loads(run.stdout)["Source"] == via
    assert cloud.vod.job(EP01).status == "CANCELED"


def test_a_real_account_without_credentials_is_one_line(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true"}  # no profile, no instance role
    run = run_module("status", "a1b2c3d4e5f60718293a4b5c6d7e8f90", "--target", "cloud", env=env)
    assert run.returncode == 1
    assert run.stderr.count("\n") == 1 and run.stderr.startswith("error: no Alibaba Cloud credentials")
    assert "ALIBABA_CLOUD_ACCESS_KEY_ID" in run.stderr
