"""The Python that stands for an FC runtime on this machine, and what the runtime's platform is.

FC's ``python3.10`` runtime is CPython 3.10 on Debian 10 (glibc 2.28), x86_64 only (FC's Python runtime docs).
Locally the same minor version is looked for — ``$LOCALCLOUD_RUNTIME_PYTHON``, ``pythonX.Y`` on ``PATH``, then
pyenv's versions (a pyenv *shim* on ``PATH`` fails unless that version is selected, so the real binaries under
``$PYENV_ROOT/versions`` are tried too) and the usual system paths. Every candidate is run once to check its
version and learn its real path (no shim in front of every instance start).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

OVERRIDE_ENV = "LOCALCLOUD_RUNTIME_PYTHON"


@dataclass(frozen=True)
class RuntimeTarget:
    """What a Python runtime of FC is: its interpreter version and the glibc of its Debian image."""

    name: str
    version: tuple[int, int]
    glibc_minor: int  # glibc 2.<minor>

    @property
    def version_text(self) -> str:
        return f"{self.version[0]}.{self.version[1]}"

    @property
    def pip_platforms(self) -> list[str]:
        """Every manylinux tag the runtime can load, newest first (pip does not expand ``manylinux_2_X`` itself)."""
        return [f"manylinux_2_{minor}_x86_64" for minor in range(self.glibc_minor, 16, -1)] + [
            "manylinux2014_x86_64",  # pip expands it to manylinux2010 and manylinux1
        ]

    @property
    def uv_platform(self) -> str:
        return f"x86_64-manylinux_2_{self.glibc_minor}"


RUNTIMES = {
    "python3.9": RuntimeTarget("python3.9", (3, 9), 24),  # Debian 9
    "python3.10": RuntimeTarget("python3.10", (3, 10), 28),  # Debian 10
    "python3.12": RuntimeTarget("python3.12", (3, 12), 31),  # Debian 11
}


def runtime_target(runtime: str) -> RuntimeTarget:
    try:
        return RUNTIMES[runtime]
    except KeyError:
        raise ValueError(f"runtime {runtime!r} is not one the local cloud knows ({', '.join(RUNTIMES)})") from None


@dataclass(frozen=True)
class Interpreter:
    """A Python executable and its version; ``exact`` when it is the runtime's own minor version."""

    path: str
    version: tuple[int, int, int]
    exact: bool

    @property
    def version_text(self) -> str:
        return ".".join(map(str, self.version))

    def describe(self) -> str:
        return f"Python {self.version_text} ({self.path})"


def _probe(executable: str) -> tuple[str, tuple[int, int, int]] | None:
    """The real path and version of ``executable``, or None if it does not run."""
    script = "import sys; print(sys.executable); print(*sys.version_info[:3])"
    try:
        out = subprocess.run(
            [executable, "-I", "-S", "-c", script], capture_output=True, text=True, timeout=30, check=True
        ).stdout.split("\n")
        major, minor, micro = (int(part) for part in out[1].split())
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None
    return out[0] or executable, (major, minor, micro)


def _candidates(version: str) -> list[str]:
    name = f"python{version}"
    found = [shutil.which(name) or ""]
    for root in (os.environ.get("PYENV_ROOT", ""), str(Path.home() / ".pyenv")):
        if root:
            found += sorted(glob.glob(os.path.join(root, "versions", f"{version}.*", "bin", name)), reverse=True)
    found += [f"/usr/local/bin/{name}", f"/usr/bin/{name}"]
    return list(dict.fromkeys(path for path in found if path and os.access(path, os.X_OK)))


@cache
def find_interpreter(runtime: str) -> Interpreter | None:
    """The interpreter of ``runtime`` on this machine, or None if there is none.

    ``$LOCALCLOUD_RUNTIME_PYTHON`` names one explicitly; it must be of the runtime's version.
    """
    target = runtime_target(runtime)
    override = os.environ.get(OVERRIDE_ENV, "").strip()
    for candidate in [override] if override else _candidates(target.version_text):
        probed = _probe(candidate)
        if probed and probed[1][:2] == target.version:
            return Interpreter(probed[0], probed[1], exact=True)
        if override:
            found = "does not run" if probed is None else f"is Python {'.'.join(map(str, probed[1]))}"
            raise ValueError(f"{OVERRIDE_ENV}={override} {found}, not the {runtime} runtime's {target.version_text}")
    return None


def current_interpreter() -> Interpreter:
    """The interpreter running the local cloud (the fallback when the runtime's is missing)."""
    return Interpreter(sys.executable, tuple(sys.version_info[:3]), exact=False)  # type: ignore[arg-type]
