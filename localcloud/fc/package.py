"""The function's code package, built the way ``s deploy`` builds the one it uploads; ``python -m localcloud package``.

What the fc3 component uploads (devsapp/fc3 ``src/subCommands/deploy/impl/function.ts``, the walker of
``@serverless-devs/zip`` / ``ignore-walk``): a zip of s.yaml's ``code`` directory, leaving out what ``.fcignore``
files match — gitignore-style patterns, read in every directory, matched case-insensitively (minimatch
``nocase``), an ignored directory never entered, symlinks stored as links, empty directories kept, every entry
dated 2023-11-01, deflate level 9. Nothing else: ``.gitignore`` plays no part.

FC unpacks it at ``/code`` and imports from ``/code`` and the entries of ``PYTHONPATH`` (it adds no other
directory, so s.yaml must set ``PYTHONPATH: /code/python``). The runtime dependencies of ``requirements.txt`` are
therefore installed into the code directory's ``python/`` (the first ``PYTHONPATH`` entry under ``/code``), as
wheels for the runtime: resolved by the runtime's own Python version where the machine has it (so environment
markers such as ``python_version < "3.11"`` are evaluated for the runtime), else by ``uv`` for that target, always
``--only-binary=:all:`` for the runtime's manylinux platform, so a missing wheel fails the build.

The zip goes to ``dist/<functionName>.zip`` with ``dist/package.json`` describing it. A build is skipped when the
content hash of what would be zipped equals the last one (``python/`` is re-installed only when
``requirements.txt`` or the target changed). Builds take ``dist/.lock``, so test processes running side by side
never build into the same place at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import platform
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import pathspec

from localcloud.fc.config import FunctionConfig
from localcloud.fc.interpreter import RuntimeTarget, find_interpreter, runtime_target

IGNORE_FILE = ".fcignore"
DIST_DIR = "dist"
CODE_MOUNT = "/code"
ZIP_DATE_TIME = (2023, 11, 1, 0, 0, 0)
ZIP_LEVEL = 9
FORMAT = 1
"""Part of every content hash: raise it when the way packages are built changes, so older builds count as stale."""

Report = Callable[[str], None]


def below_code(fc_path: str) -> bool:
    """Whether an FC path is inside the unpacked code package."""
    return fc_path.rstrip("/") == CODE_MOUNT or fc_path.startswith(CODE_MOUNT + "/")


class PackageError(RuntimeError):
    """The package cannot be built as declared (a missing wheel, no PYTHONPATH, dist/ not ignored, ...)."""


# -- what is in the package ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Entry:
    """One path of the package: ``kind`` is ``file``, ``link`` or ``dir`` (an empty directory)."""

    path: str  # relative, "/"-separated
    kind: str
    source: Path


def _rules(directory: Path) -> pathspec.GitIgnoreSpec | None:
    ignore = directory / IGNORE_FILE
    if not ignore.is_file():
        return None
    lines = ignore.read_text(encoding="utf-8", errors="replace").splitlines()
    return pathspec.GitIgnoreSpec.from_lines(line.lower() for line in lines)


def _ignored(levels: list[tuple[str, pathspec.GitIgnoreSpec]], relative: str, is_dir: bool) -> bool:
    """The rules of every directory from the root down, each matching the path relative to itself."""
    ignored = False
    for base, spec in levels:
        path = relative[len(base) :].lower() + ("/" if is_dir else "")
        result = spec.check_file(path)
        if result.include is not None:
            ignored = bool(result.include)
    return ignored


def package_entries(code_dir: Path) -> list[Entry]:
    """Every path fc3 would zip from ``code_dir``, sorted."""
    entries: list[Entry] = []

    def walk(directory: Path, prefix: str, levels: list[tuple[str, pathspec.GitIgnoreSpec]]) -> None:
        names = sorted(os.listdir(directory))
        if not names and prefix:
            entries.append(Entry(prefix.rstrip("/"), "dir", directory))
            return
        spec = _rules(directory)
        if spec is not None:
            levels = [*levels, (prefix, spec)]
        for name in names:
            path = directory / name
            relative = prefix + name
            info = path.lstat()
            if stat.S_ISDIR(info.st_mode):
                if not _ignored(levels, relative, True):
                    walk(path, relative + "/", levels)
            elif not _ignored(levels, relative, False):
                entries.append(Entry(relative, "link" if stat.S_ISLNK(info.st_mode) else "file", path))

    walk(code_dir, "", [])
    return entries


def _file_digest(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def content_digest(entries: list[Entry]) -> tuple[str, int]:
    """A hash of every path, kind, executable bit and content; and the unpacked size in bytes."""
    digest = hashlib.sha256(f"fc3-package-format-{FORMAT}\n".encode())
    total = 0
    for entry in entries:
        if entry.kind == "file":
            content, size = _file_digest(entry.source)
            executable = bool(entry.source.stat().st_mode & stat.S_IXUSR)
            total += size
        elif entry.kind == "link":
            content, executable = os.readlink(entry.source), False
        else:
            content, executable = "", False
        digest.update(f"{entry.path}\0{entry.kind}\0{int(executable)}\0{content}\n".encode())
    return digest.hexdigest(), total


def write_zip(entries: list[Entry], destination: Path) -> None:
    """The zip fc3 writes: fixed dates, Unix modes, deflate level 9; written beside ``destination`` then moved."""
    tmp = destination.with_name(f".{destination.name}.{os.getpid()}.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=ZIP_LEVEL) as archive:
        for entry in entries:
            mode = entry.source.lstat().st_mode
            name = entry.path + ("/" if entry.kind == "dir" else "")
            info = zipfile.ZipInfo(name, ZIP_DATE_TIME)
            info.create_system = 3  # Unix: the mode bits below are honoured when unpacking
            info.external_attr = (mode & 0xFFFF) << 16
            if entry.kind == "dir":
                info.external_attr |= 0x10
                archive.writestr(info, b"")
            elif entry.kind == "link":
                archive.writestr(info, os.readlink(entry.source).encode())
            else:
                info.compress_type = zipfile.ZIP_DEFLATED
                with open(entry.source, "rb") as source, archive.open(info, "w") as target:
                    shutil.copyfileobj(source, target, 1 << 20)
    os.replace(tmp, destination)


def extract(zip_path: Path, destination: Path) -> None:
    """Unpack a package as FC does into ``/code``: modes and symlinks restored, then made read-only (FC's
    ``/code`` is a read-only file system)."""
    destination.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            mode = info.external_attr >> 16
            target = destination / info.filename
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if stat.S_ISLNK(mode):
                os.symlink(archive.read(info).decode(), target)
                continue
            with archive.open(info) as source, open(target, "wb") as out:
                shutil.copyfileobj(source, out, 1 << 20)
            os.chmod(target, (mode & 0o555) or 0o444)
    for root, dirs, _ in os.walk(destination):
        for name in dirs:
            os.chmod(os.path.join(root, name), 0o555)
    os.chmod(destination, 0o555)


def remove_tree(path: Path) -> None:
    """Remove a tree :func:`extract` made read-only."""
    if not path.exists():
        return
    for root, dirs, _ in os.walk(path):
        os.chmod(root, 0o755)
        for name in dirs:
            with contextlib.suppress(OSError):
                os.chmod(os.path.join(root, name), 0o755, follow_symlinks=False)
    shutil.rmtree(path, ignore_errors=True)


# -- the project's package ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PackageInfo:
    """A built package, as ``dist/package.json`` records it."""

    function_name: str
    runtime: str
    zip_path: str
    digest: str
    files: int
    unpacked_bytes: int
    zip_bytes: int
    dependencies: str  # how python/ was resolved, e.g. "pip of Python 3.10.13 for cp310 manylinux_2_28_x86_64"
    rebuilt: bool = False

    def summary(self) -> str:
        return (
            f"{self.files:,} files, {self.unpacked_bytes / 2**20:.1f} MiB unpacked, "
            f"{self.zip_bytes / 2**20:.1f} MiB zipped"
        )


@dataclass(frozen=True)
class Layout:
    """Where a project's package comes from and goes, read from its s.yaml."""

    project_dir: Path
    code_dir: Path
    function_name: str
    target: RuntimeTarget
    python_path: tuple[str, ...]  # s.yaml's PYTHONPATH entries, as FC sees them

    @classmethod
    def of(cls, config: FunctionConfig, project_dir: Path) -> Layout:
        entries = tuple(p for p in config.environment.get("PYTHONPATH", "").split(":") if p)
        target = runtime_target(config.runtime)
        return cls(project_dir.resolve(), config.code_dir, config.function_name, target, entries)

    @property
    def dist(self) -> Path:
        return self.project_dir / DIST_DIR

    @property
    def zip_path(self) -> Path:
        return self.dist / f"{self.function_name}.zip"

    @property
    def requirements(self) -> Path:
        return self.code_dir / "requirements.txt"

    @property
    def vendor_dir(self) -> Path:
        """The first ``PYTHONPATH`` entry below ``/code``: where the runtime dependencies go."""
        for entry in self.python_path:
            if below_code(entry) and entry.rstrip("/") != CODE_MOUNT:
                return self.code_dir / entry[len(CODE_MOUNT) + 1 :].strip("/")
        raise PackageError(
            f"{self.requirements.name} lists runtime dependencies, but s.yaml's environmentVariables set no "
            f"PYTHONPATH below {CODE_MOUNT}: FC imports only from {CODE_MOUNT} and PYTHONPATH. "
            f"Add `PYTHONPATH: {CODE_MOUNT}/python`."
        )


@contextlib.contextmanager
def build_lock(layout: Layout) -> Iterator[None]:
    layout.dist.mkdir(parents=True, exist_ok=True)
    with open(layout.dist / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _uv() -> str:
    """uv, installed into this environment on first need (it resolves for a target version and platform)."""
    for candidate in (shutil.which("uv"), str(Path(sys.executable).with_name("uv"))):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "uv"], check=True)
    return str(Path(sys.executable).with_name("uv"))


def _install_command(layout: Layout, target_dir: Path, report: Report) -> tuple[list[str], str]:
    target = layout.target
    interpreter = find_interpreter(target.name)
    same_platform = sys.platform == "linux" and platform.machine() == "x86_64"
    if interpreter is not None and same_platform:
        platforms = [arg for tag in target.pip_platforms for arg in ("--platform", tag)]
        command = [
            interpreter.path, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
            "--target", str(target_dir), "--only-binary=:all:", *platforms, "--implementation", "cp",
            "--python-version", target.version_text, "--abi", f"cp{target.version[0]}{target.version[1]}",
            "-r", str(layout.requirements),
        ]  # fmt: skip
        return command, f"pip of Python {interpreter.version_text}"
    why = "no Python " + target.version_text if interpreter is None else "this machine is not linux x86_64"
    report(f"warning: {why}: resolving the runtime dependencies with uv for {target.name} instead")
    command = [
        _uv(), "pip", "install", "--quiet", "--no-compile", "--target", str(target_dir), "--python", sys.executable,
        "--python-version", target.version_text, "--python-platform", target.uv_platform,
        "--only-binary", ":all:", "-r", str(layout.requirements),
    ]  # fmt: skip
    return command, "uv"


def vendor(layout: Layout, report: Report) -> str:
    """Install ``requirements.txt`` for the runtime into ``python/`` unless it already holds exactly that."""
    if not layout.requirements.is_file():
        return "no requirements.txt"
    vendor_dir = layout.vendor_dir
    target = layout.target
    wanted = {
        "requirements_sha256": _file_digest(layout.requirements)[0],
        "target": f"cp{target.version[0]}{target.version[1]}-{target.pip_platforms[0]}",
    }
    stamp_path = layout.dist / "vendor.json"
    stamp = _read_json(stamp_path)
    if vendor_dir.is_dir() and {k: stamp.get(k) for k in wanted} == wanted:
        return stamp["tool"]
    report(f"installing {layout.requirements.name} for {target.name} into {vendor_dir.relative_to(layout.code_dir)}/")
    staging = Path(tempfile.mkdtemp(prefix=".vendor-", dir=layout.dist))
    try:
        command, tool = _install_command(layout, staging / "python", report)
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            output = "\n".join(
                line for line in (result.stderr + result.stdout).splitlines() if "is ignored: it is neither" not in line
            )
            raise PackageError(
                f"could not install {layout.requirements.name} as wheels for {target.name} "
                f"(CPython {target.version_text}, {target.pip_platforms[0]}): a dependency without a wheel for the "
                f"runtime cannot be deployed as it is.\n{output.strip()[-3000:]}"
            )
        if vendor_dir.exists():
            shutil.move(str(vendor_dir), str(staging / "old"))
        shutil.move(str(staging / "python"), str(vendor_dir))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    where = vendor_dir.relative_to(layout.code_dir)
    described = f"{where}/ by {tool} for cp{target.version[0]}{target.version[1]} {target.pip_platforms[0]}"
    _write_json(stamp_path, {**wanted, "tool": described})
    return described


def _check_dist_ignored(layout: Layout) -> None:
    dist = layout.dist
    if layout.code_dir not in dist.parents:
        return
    relative = dist.relative_to(layout.code_dir).as_posix()
    levels = [("", spec)] if (spec := _rules(layout.code_dir)) else []
    if not _ignored(levels, relative, True):
        raise PackageError(
            f"{relative}/ is inside the code directory and {IGNORE_FILE} does not exclude it: s deploy would upload "
            f"the built package inside the package. Add `{relative}/` to {layout.code_dir / IGNORE_FILE}."
        )


def build(layout: Layout, report: Report = lambda _: None) -> PackageInfo:
    """Bring ``dist/<function>.zip`` up to date with the code directory; a no-op when nothing changed."""
    with build_lock(layout):
        _check_dist_ignored(layout)
        dependencies = vendor(layout, report)
        entries = package_entries(layout.code_dir)
        digest, unpacked = content_digest(entries)
        recorded = _read_json(layout.dist / "package.json")
        zip_path = layout.zip_path
        current = recorded.get("digest") == digest and zip_path.is_file()
        if not current:
            write_zip(entries, zip_path)
        info = PackageInfo(
            function_name=layout.function_name,
            runtime=layout.target.name,
            zip_path=str(zip_path),
            digest=digest,
            files=sum(entry.kind != "dir" for entry in entries),
            unpacked_bytes=unpacked,
            zip_bytes=zip_path.stat().st_size,
            dependencies=dependencies,
            rebuilt=not current,
        )
        if not current:
            _write_json(layout.dist / "package.json", {k: v for k, v in asdict(info).items() if k != "rebuilt"})
        return info


def build_project(project_dir: str | Path, report: Report = lambda _: None) -> tuple[Layout, PackageInfo]:
    """Read ``s.yaml`` and build its function's package."""
    from localcloud.fc.config import load_function_config

    project = Path(project_dir).resolve()
    config = load_function_config(project, region="cn-shanghai", config_values={"AccountID": "0"})
    layout = Layout.of(config, project)
    return layout, build(layout, report)


def main(argv: list[str] | None = None) -> int:
    """``python -m localcloud package [--project DIR]``: build, then print what ``s deploy`` will upload."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m localcloud package", description=main.__doc__)
    parser.add_argument("--project", default=".", help="directory holding s.yaml (default: .)")
    args = parser.parse_args(argv)
    try:
        layout, info = build_project(args.project, report=lambda line: print(line, flush=True))
    except PackageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    state = "built" if info.rebuilt else "up to date"
    print(
        f"package {Path(info.zip_path).relative_to(layout.project_dir)} ({state}): {info.summary()}\n"
        f"  runtime {info.runtime}; dependencies: {info.dependencies}; sha256 {info.digest[:16]}"
    )
    return 0
