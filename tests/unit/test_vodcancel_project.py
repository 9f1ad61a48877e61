"""vodcancel reads its names from s.yaml (the file `s deploy` reads) without importing the local cloud."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from vodcancel.errors import CliError
from vodcancel.project import load_project

ROOT = Path(__file__).resolve().parents[2]


def test_the_projects_names_come_from_its_triggers_and_environment() -> None:
    names = load_project(ROOT)
    assert names.region == "cn-shanghai"
    assert names.function_name == "vod-cancel-url-uploads"
    assert (names.request_topic, names.request_notify_format) == ("vod-cancel-requests", "JSON")
    assert names.results_topic == "vod-cancel-results"
    assert (names.manifest_bucket, names.manifest_prefix, names.manifest_suffix) == (
        "vod-cancel-manifests",
        "cancel-requests/",
        "",
    )


def test_a_missing_s_yaml_is_a_one_line_error_that_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(CliError) as info:
        load_project(tmp_path)
    assert "no s.yaml" in info.value.line() and "--project" in info.value.line()


def test_vodcancel_never_imports_the_local_cloud() -> None:
    """It must work against a real account, where no local cloud exists."""
    code = "import sys, vodcancel.cli, vodcancel.follow, vodcancel.status; print('localcloud' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "False"
