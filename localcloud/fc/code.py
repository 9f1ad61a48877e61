"""What an FC instance runs: the code package unpacked as ``/code`` under the runtime's Python, or the source tree.

``package`` (the default): ``dist/<function>.zip`` — rebuilt first if the code directory no longer matches it — is
unpacked into a directory of the local FC standing for ``/code``; instances run the Python of s.yaml's runtime
(another one, with a warning, where the machine has none) with ``-I -S``: no site-packages, no ``PYTHON*``
variables, no script directory, so ``sys.path`` is that directory, s.yaml's ``PYTHONPATH`` entries below ``/code``
mapped into it, and the standard library — nothing of the development environment.

``source``: the development tree itself, run by the local cloud's own interpreter with its site-packages, for a
quick edit loop (``--source``, ``LocalCloud(code="source")`` or ``LOCALCLOUD_CODE=source``).
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from localcloud.fc.config import FunctionConfig
from localcloud.fc.interpreter import Interpreter, current_interpreter, find_interpreter
from localcloud.fc.package import CODE_MOUNT, Layout, PackageInfo, Report, below_code, build, extract, remove_tree

MODE_ENV = "LOCALCLOUD_CODE"
MODES = ("package", "source")

log = logging.getLogger(__name__)


def code_mode(mode: str | None = None) -> str:
    """``mode``, else ``$LOCALCLOUD_CODE``, else ``package``."""
    chosen = (mode or os.environ.get(MODE_ENV, "") or "package").strip().lower()
    if chosen not in MODES:
        raise ValueError(f"code mode {chosen!r}: expected one of {', '.join(MODES)}")
    return chosen


@dataclass(frozen=True)
class FunctionCode:
    """The directory standing for ``/code``, the interpreter instances run, and how their import path is made."""

    mode: str
    directory: Path
    interpreter: Interpreter
    python_args: tuple[str, ...]
    package: PackageInfo | None = None

    def local_path(self, fc_path: str) -> str:
        """An FC path under ``/code`` as the same path under :attr:`directory`; any other path unchanged."""
        if fc_path.rstrip("/") == CODE_MOUNT:
            return str(self.directory)
        if fc_path.startswith(CODE_MOUNT + "/"):
            return str(self.directory / fc_path[len(CODE_MOUNT) + 1 :])
        return fc_path

    def instance_env(self, python_path: str) -> tuple[list[str], dict[str, str]]:
        """The worker's first ``sys.path`` entries and the variables FC derives from the code location.

        ``python_path`` is the function's ``PYTHONPATH`` as FC sets it. In package mode its entries below ``/code``
        follow the code directory on ``sys.path``, as on FC (entries elsewhere, e.g. layers under ``/opt``, are
        not emulated); in source mode the development environment provides the packages.
        """
        entries = [entry for entry in python_path.split(":") if entry]
        env = {"FC_FUNC_CODE_PATH": str(self.directory)}
        if entries:
            env["PYTHONPATH"] = ":".join(self.local_path(entry) for entry in entries)
        sys_path = [str(self.directory)]
        if self.mode == "package":
            sys_path += [self.local_path(entry) for entry in entries if below_code(entry)]
        return sys_path, env

    def command(self) -> list[str]:
        return [self.interpreter.path, *self.python_args]

    def describe(self) -> str:
        if self.package is None:
            return f"the source tree {self.directory} under {self.interpreter.describe()} with its site-packages"
        return (
            f"the code package {Path(self.package.zip_path).name} ({self.package.summary()}) "
            f"under {self.interpreter.describe()}"
        )


def prepare_code(
    config: FunctionConfig, project_dir: Path, mode: str, workdir: Path, report: Report | None = None
) -> FunctionCode:
    """Build (if stale) and unpack the package into ``workdir/code``, or point at the source tree."""
    report = report or log.info
    if mode == "source":
        return FunctionCode(mode, config.code_dir, current_interpreter(), ("-I", "-u"))
    layout = Layout.of(config, project_dir)
    package = build(layout, report)
    if package.rebuilt:
        report(f"code package rebuilt from {config.code_dir}: {package.summary()}")
    directory = workdir / "code"
    remove_tree(directory)
    extract(Path(package.zip_path), directory)
    interpreter = find_interpreter(config.runtime)
    if interpreter is None:
        interpreter = current_interpreter()
        log.warning(
            "no Python %s on this machine for the %s runtime: the function runs under %s instead",
            layout.target.version_text, config.runtime, interpreter.describe(),
        )  # fmt: skip
    outside = [entry for entry in layout.python_path if not below_code(entry)]
    if outside:
        log.warning("PYTHONPATH entries outside %s are not emulated (layers): %s", CODE_MOUNT, ", ".join(outside))
    # Bytecode goes beside, not into, the read-only code directory: it stays exactly the package, and only the first
    # cold start of this local FC compiles (FC itself cannot write to /code, so every cold start there compiles).
    options = ("-I", "-S", "-u", "-X", f"pycache_prefix={workdir / 'pycache'}")
    return FunctionCode(mode, directory, interpreter, options, package)


def instance_path(mode: str) -> str:
    """``PATH`` for an instance: in package mode without the local cloud's own environment (a virtualenv's bin)."""
    entries = os.environ.get("PATH", "").split(os.pathsep)
    if mode == "package":
        prefix = os.path.realpath(sys.prefix)
        entries = [e for e in entries if e and not os.path.realpath(e).startswith(prefix + os.sep)]
    return os.pathsep.join(entries)
