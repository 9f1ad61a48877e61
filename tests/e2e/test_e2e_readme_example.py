"""The README's HTTP-trigger example (examples/call_http_trigger.py, included verbatim) run unchanged against the
local trigger: only the endpoint and the credentials differ from a call to the deployed function."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from e2e_helpers import only_result

from localcloud.cloud import LocalCloud

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "call_http_trigger.py"
JOB_ID = "a1b2c3d4e5f60718293a4b5c6d7e8f90"  # the job ID the example asks to cancel


def readme_block(marker: str) -> str:
    """The first ```python block after ``marker`` in the README."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(re.escape(marker) + r".*?```python\n(.*?)```", readme, re.S)
    assert match, f"no python block after {marker!r} in README.md"
    return match[1]


def test_the_readme_shows_the_example_file_verbatim() -> None:
    assert readme_block("<!-- examples/call_http_trigger.py -->") == EXAMPLE.read_text(encoding="utf-8")


@pytest.mark.parametrize("kind", ["access-key", "sts"])
def test_the_example_cancels_a_job_through_the_local_trigger(cloud: LocalCloud, kind: str) -> None:
    # GIVEN a pending job with the ID the example names
    job = cloud.vod.seed_job("https://media.example.com/trailers/teaser.mp4", job_id=JOB_ID)
    if kind == "sts":
        sts = cloud.credentials.issue_sts_token()
        credentials = {
            "ALIBABA_CLOUD_ACCESS_KEY_ID": sts.access_key_id,
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": sts.access_key_secret,
            "ALIBABA_CLOUD_SECURITY_TOKEN": sts.security_token,
        }
    else:
        credentials = {
            "ALIBABA_CLOUD_ACCESS_KEY_ID": cloud.access_key_id,
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": cloud.access_key_secret,
        }
    env = {name: value for name, value in os.environ.items() if not name.startswith("ALIBABA_CLOUD_")}
    env.update(credentials, VOD_CANCEL_TRIGGER_URL=cloud.url("http_trigger") + "/cancel")
    # WHEN the example runs as a user would run it
    run = subprocess.run([sys.executable, str(EXAMPLE)], env=env, capture_output=True, text=True, timeout=180)
    # THEN it got the results document, and the job is cancelled
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith("200 {")
    assert cloud.vod.job(job.job_id).status == "CANCELED"
    assert only_result(cloud).document["DedupeKey"] == "http:ticket-4711"
