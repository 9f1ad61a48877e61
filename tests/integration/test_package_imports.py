"""The deployed package alone imports everything the function loads, under the runtime's Python with FC's path.

FC runs ``/code`` (the unzipped package) with ``sys.path`` = ``/code`` + the entries of s.yaml's ``PYTHONPATH``
and the runtime's own site-packages. Here the package is unpacked, ``/code`` mapped to that directory from
s.yaml as written (not through the local cloud's code), and a bare interpreter (``-I -S``: no site-packages at
all) imports the handler, every ``lib`` module and every SDK module ``lib/sdk.py`` loads lazily. A package whose
dependencies were resolved for another Python (``async_timeout`` is needed by aiohttp below 3.11 only) or an
s.yaml without ``PYTHONPATH`` fails here.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from lib import sdk
from localcloud.fc.interpreter import find_interpreter
from localcloud.fc.package import build_project, extract, remove_tree

ROOT = Path(__file__).resolve().parents[2]

CHECK = """
import importlib, json, os, sys
failed = {}
for name in NAMES:
    try:
        importlib.import_module(name)
    except Exception as exc:
        failed[name] = f"{type(exc).__name__}: {exc}"
code, stdlib = os.path.realpath(CODE), os.path.realpath(os.path.dirname(os.__file__))
elsewhere = sorted({
    m.__name__ for m in list(sys.modules.values())
    if getattr(m, "__file__", None) and not os.path.realpath(m.__file__).startswith((code + os.sep, stdlib + os.sep))
})
print(json.dumps({"failed": failed, "elsewhere": elsewhere, "python": list(sys.version_info[:2])}))
"""


@pytest.fixture(scope="module")
def code(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The package `s deploy` uploads (built now if stale), unpacked as /code."""
    _, info = build_project(ROOT)
    directory = tmp_path_factory.mktemp("fc") / "code"
    extract(Path(info.zip_path), directory)
    yield directory
    remove_tree(directory)


def _fc_sys_path(code: Path) -> list[str]:
    document = yaml.safe_load((ROOT / "s.yaml").read_text(encoding="utf-8"))
    (resource,) = document["resources"].values()
    python_path = str(resource["props"].get("environmentVariables", {}).get("PYTHONPATH", ""))
    entries = [entry for entry in python_path.split(":") if entry.startswith("/code")]
    return [str(code), *(str(code / entry[len("/code") :].lstrip("/")) for entry in entries)]


def test_the_package_alone_imports_every_module_the_function_loads(code: Path) -> None:
    interpreter = find_interpreter("python3.10")
    if interpreter is None:
        pytest.skip("no Python 3.10 on this machine: the runtime's import semantics cannot be checked here")
    # GIVEN the unpacked package, FC's import path from s.yaml and a bare Python 3.10
    names = ["handler", *(f"lib.{path.stem}" for path in sorted((ROOT / "lib").glob("*.py"))),
             *sdk.VOD, *sdk.MNS, *sdk.OSS]  # fmt: skip
    script = f"import sys\nsys.path[:0] = {_fc_sys_path(code)!r}\nNAMES = {names!r}\nCODE = {str(code)!r}\n" + CHECK
    # WHEN every module is imported there
    run = subprocess.run(
        [interpreter.path, "-I", "-S", "-c", script], cwd=code, capture_output=True, text=True, env={}, check=True
    )
    result = json.loads(run.stdout.strip().splitlines()[-1])
    # THEN all import, from the package or the standard library only
    assert result["python"] == [3, 10]
    assert result["failed"] == {}
    assert result["elsewhere"] == []
