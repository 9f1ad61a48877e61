"""How measured processes start: the function's code package under the runtime's Python, as the local FC runs it.

``package_runtime`` builds the package if it is stale (``make package``), unpacks it as ``/code`` and starts
processes exactly as the local FC starts instances (``localcloud/fc/code.py``): the runtime's interpreter with
``-I -S``, ``sys.path`` = the code directory + s.yaml's ``PYTHONPATH`` mapped into it, nothing from the development
venv. The baselines run there too, on the package's copies of the SDKs, so both sides of a ratio share the
interpreter, the libraries and the bytecode cache. ``dev_runtime`` is the development tree and venv (``--source``).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Runtime:
    """An interpreter with its options, the working directory and the first ``sys.path`` entries of a process."""

    python: tuple[str, ...]
    cwd: Path
    sys_path: tuple[str, ...]
    description: str

    def code(self, source: str) -> list[str]:
        """Arguments running ``source`` with this runtime's import path."""
        return ["-c", f"import sys; sys.path[:0] = {list(self.sys_path)!r}\n{source}"]

    def without_bytecode_cache(self) -> Runtime:
        """The same, compiling every module on every start (``-B``, no cache): what FC's read-only ``/code`` does
        to a package that ships no bytecode."""
        options = tuple(arg for arg in self.python[1:] if not arg.startswith("pycache_prefix=") and arg != "-X")
        return replace(self, python=(self.python[0], *options, "-B"), description=self.description + ", no bytecode")


def dev_runtime() -> Runtime:
    return Runtime(
        (sys.executable,),
        PROJECT_DIR,
        (str(PROJECT_DIR),),
        f"the development tree and venv, Python {sys.version.split()[0]}",
    )


def package_runtime(workdir: Path) -> Runtime:
    """The project's code package (rebuilt if stale) unpacked under ``workdir``, run as the local FC runs it."""
    from localcloud.fc.code import prepare_code
    from localcloud.fc.config import load_function_config

    config = load_function_config(PROJECT_DIR, region="cn-shanghai", config_values={"AccountID": "0"})
    code = prepare_code(config, PROJECT_DIR, "package", workdir, report=lambda line: print(line, flush=True))
    sys_path, _ = code.instance_env(config.environment.get("PYTHONPATH", ""))
    return Runtime(tuple(code.command()), code.directory, tuple(sys_path), code.describe())
