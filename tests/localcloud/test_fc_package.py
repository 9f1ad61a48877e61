"""The local FC runs the code package as FC does: /code holds exactly the package, the runtime's Python imports from
it and PYTHONPATH only (nothing of the development environment), and a stale package is rebuilt, never run."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fc_helpers import payload, write_project

from localcloud.cloud import LocalCloud
from localcloud.fc.interpreter import find_interpreter
from localcloud.testing import fc_client

PROBE = """\
import importlib
import json
import os
import sys

VERSION = "one"


def handler(event, context):
    request = json.loads(event)
    found = {}
    for name in request.get("modules", []):
        try:
            importlib.import_module(name)
            found[name] = True
        except ImportError:
            found[name] = False
    return {"version": VERSION, "found": found, "python": list(sys.version_info[:2]), "path": sys.path,
            "executable": sys.executable, "cwd": os.getcwd(), "pythonpath": os.environ.get("PYTHONPATH")}
"""
DEV_ONLY = ["werkzeug", "pytest", "yaml", "localcloud", "localcloud.fc.worker", "tests", "bench", "fc2"]


def _project(directory: Path, handler: str = PROBE) -> Path:
    project = write_project(directory)
    (project / "index.py").write_text(handler, encoding="utf-8")
    (project / "deps").mkdir()
    (project / "deps" / "vendored_mod.py").write_text("VALUE = 42\n", encoding="utf-8")
    s_yaml = project / "s.yaml"
    s_yaml.write_text(
        s_yaml.read_text().replace(
            "        GREETING: hello\n", "        GREETING: hello\n        PYTHONPATH: /code/deps\n"
        )
    )
    return project


def _probe(cloud: LocalCloud, *modules: str) -> dict:
    response = fc_client(cloud).invoke_function(
        cloud.fc.service_name, cloud.fc.function_name, payload=payload(modules=list(modules))
    )
    return json.loads(response.data)


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    with LocalCloud(_project(tmp_path_factory.mktemp("packaged")), code="package") as cloud:
        yield cloud


def test_the_function_sees_its_package_and_the_standard_library_only(packaged: LocalCloud) -> None:
    # GIVEN a function whose PYTHONPATH names /code/deps, run from its package
    # WHEN it tries to import the local cloud, the test tools, the dev environment's packages and its own module
    probe = _probe(packaged, *DEV_ONLY, "vendored_mod", "json")
    # THEN only its own module (through the mapped PYTHONPATH) and the standard library import
    assert probe["found"] == {**dict.fromkeys(DEV_ONLY, False), "vendored_mod": True, "json": True}
    code = packaged.fc.code.directory
    assert probe["cwd"] == str(code) and probe["pythonpath"] == str(code / "deps")
    assert probe["path"][:2] == [str(code), str(code / "deps")]
    # AND the rest of sys.path is the runtime interpreter's standard library: no site-packages at all
    assert not [entry for entry in probe["path"][2:] if "site-packages" in entry or entry.startswith(sys.prefix)]
    if find_interpreter("python3.10") is not None:
        assert probe["python"] == [3, 10]


def test_a_changed_source_is_rebuilt_before_the_local_fc_runs_it(tmp_path: Path) -> None:
    # GIVEN a project whose package was built and run
    project = _project(tmp_path)
    with LocalCloud(project) as cloud:
        assert _probe(cloud)["version"] == "one"
    # WHEN the handler changes (content, whatever its timestamp) and a cloud starts again
    (project / "index.py").write_text(PROBE.replace('VERSION = "one"', 'VERSION = "two"'), encoding="utf-8")
    with LocalCloud(project) as cloud:
        # THEN the package was rebuilt and the new code runs
        assert cloud.fc.code.package is not None and cloud.fc.code.package.rebuilt
        assert _probe(cloud)["version"] == "two"


def test_source_mode_runs_the_development_tree_with_its_environment(tmp_path: Path) -> None:
    # GIVEN the source mode / WHEN the function probes / THEN it runs the project directory under this interpreter
    with LocalCloud(_project(tmp_path), code="source") as cloud:
        probe = _probe(cloud, "yaml")
        assert probe["cwd"] == str(cloud.project_dir) and probe["executable"] == sys.executable
        assert probe["found"] == {"yaml": True}
        assert not (cloud.project_dir / "dist").exists()
