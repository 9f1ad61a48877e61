"""The code package is built as the fc3 component builds it: .fcignore semantics, the zip, staleness, refusals."""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path

import pytest

from localcloud.fc.config import load_function_config
from localcloud.fc.package import (
    ZIP_DATE_TIME,
    Layout,
    PackageError,
    build,
    content_digest,
    extract,
    package_entries,
    remove_tree,
    write_zip,
)

S_YAML = """\
edition: 3.0.0
name: tiny
resources:
  fn:
    component: fc3
    props:
      region: cn-shanghai
      functionName: tiny-fn
      runtime: python3.10
      code: ./
      handler: index.handler
{environment}
"""


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def _paths(root: Path) -> list[str]:
    return [entry.path for entry in package_entries(root)]


def _layout(project: Path) -> Layout:
    config = load_function_config(project, region="cn-shanghai", config_values={})
    return Layout.of(config, project)


def _project(tmp_path: Path, environment: str = "", **files: str) -> Path:
    return _tree(tmp_path, {"s.yaml": S_YAML.format(environment=environment), "index.py": "def handler(e, c): ...\n"}
                 | files)  # fmt: skip


def test_patterns_follow_gitignore_rules_at_every_depth(tmp_path: Path) -> None:
    # GIVEN a tree and an .fcignore with basename, anchored, directory and negated patterns
    _tree(tmp_path, {
        ".fcignore": "*.md\n!KEEP.md\n/top-only.txt\nbuild/\nlogs/\n!logs/kept.txt\n",
        "a.md": "", "KEEP.md": "", "pkg/deep/b.md": "", "pkg/deep/mod.py": "",
        "top-only.txt": "", "pkg/top-only.txt": "", "build/x.py": "", "pkg/build/y.py": "",
        "logs/kept.txt": "", "handler.py": "",
    })  # fmt: skip
    # WHEN the package's entries are listed
    paths = _paths(tmp_path)
    # THEN basename patterns match at any depth, a negation re-includes a file, "/x" is anchored to the directory
    # of the .fcignore, an ignored directory is never entered (a negation inside it cannot bring a file back)
    assert paths == [".fcignore", "KEEP.md", "handler.py", "pkg/deep/mod.py", "pkg/top-only.txt"]


def test_patterns_match_case_insensitively_as_fc3s_walker_does(tmp_path: Path) -> None:
    # GIVEN lower-case patterns and files spelled in upper case / WHEN listed / THEN they are left out all the same
    _tree(tmp_path, {".fcignore": "*.md\ndocs/\n", "README.MD": "", "Docs/guide.txt": "", "index.py": ""})
    assert _paths(tmp_path) == [".fcignore", "index.py"]


def test_an_fcignore_in_a_subdirectory_applies_below_it(tmp_path: Path) -> None:
    # GIVEN a nested .fcignore with an anchored pattern / WHEN listed / THEN it matches relative to its own directory
    _tree(tmp_path, {"lib/.fcignore": "/fixtures/\n*.tmp\n", "lib/fixtures/f.txt": "", "lib/a.tmp": "",
                     "lib/mod.py": "", "fixtures/kept.txt": "", "b.tmp": ""})  # fmt: skip
    assert _paths(tmp_path) == ["b.tmp", "fixtures/kept.txt", "lib/.fcignore", "lib/mod.py"]


def test_empty_directories_and_symlinks_are_kept_as_such(tmp_path: Path) -> None:
    # GIVEN an empty directory, a directory whose files are all ignored, and a symlink
    _tree(tmp_path, {".fcignore": "*.log\n", "only-logs/a.log": "", "real.py": ""})
    (tmp_path / "empty").mkdir()
    (tmp_path / "link.py").symlink_to("real.py")
    # WHEN listed / THEN the empty directory is an entry, the emptied one is not, the link is a link
    kinds = {entry.path: entry.kind for entry in package_entries(tmp_path)}
    assert kinds == {".fcignore": "file", "empty": "dir", "link.py": "link", "real.py": "file"}


def test_the_zip_round_trips_with_modes_links_and_fixed_dates(tmp_path: Path) -> None:
    # GIVEN a tree with an executable file, a symlink and an empty directory
    source = _tree(tmp_path / "src", {"bin/run": "#!/bin/sh\n", "mod.py": "X = 1\n"})
    (source / "bin/run").chmod(0o755)
    (source / "alias.py").symlink_to("mod.py")
    (source / "empty").mkdir()
    entries = package_entries(source)
    # WHEN zipped and unpacked
    archive = tmp_path / "out.zip"
    write_zip(entries, archive)
    unpacked = tmp_path / "code"
    extract(archive, unpacked)
    try:
        # THEN every entry carries fc3's fixed date, and contents, exec bits, links and the empty dir come back
        assert {info.date_time for info in zipfile.ZipFile(archive).infolist()} == {ZIP_DATE_TIME}
        assert (unpacked / "mod.py").read_text() == "X = 1\n"
        assert os.stat(unpacked / "bin/run").st_mode & stat.S_IXUSR
        assert os.readlink(unpacked / "alias.py") == "mod.py" and (unpacked / "empty").is_dir()
        # AND the code directory is read-only, as FC's /code
        assert not os.stat(unpacked / "mod.py").st_mode & 0o222 and not os.stat(unpacked).st_mode & 0o222
    finally:
        remove_tree(unpacked)
    assert not unpacked.exists()


def test_the_content_hash_follows_content_not_timestamps(tmp_path: Path) -> None:
    # GIVEN a tree and its hash
    _tree(tmp_path, {"a.py": "A = 1\n"})
    before, size = content_digest(package_entries(tmp_path))
    # WHEN only the modification time changes THEN the hash is the same; WHEN the content changes THEN it differs
    os.utime(tmp_path / "a.py", (1, 1))
    assert content_digest(package_entries(tmp_path)) == (before, size)
    (tmp_path / "a.py").write_text("A = 2\n")
    assert content_digest(package_entries(tmp_path))[0] != before


def test_a_build_is_skipped_until_the_code_changes(tmp_path: Path) -> None:
    # GIVEN a project without dependencies whose dist/ is ignored
    project = _project(tmp_path, **{".fcignore": "dist/\n"})
    layout = _layout(project)
    # WHEN built twice, then after an edit
    first, second = build(layout), build(layout)
    (project / "index.py").write_text("def handler(e, c): return 1\n")
    third = build(layout)
    # THEN only the first and the one after the edit write the zip, which holds the project minus dist/
    assert (first.rebuilt, second.rebuilt, third.rebuilt) == (True, False, True)
    assert third.digest != first.digest
    assert sorted(zipfile.ZipFile(third.zip_path).namelist()) == [".fcignore", "index.py", "s.yaml"]


def test_a_dist_directory_that_would_be_uploaded_is_refused(tmp_path: Path) -> None:
    # GIVEN a project whose .fcignore does not leave dist/ out / WHEN built / THEN a clear refusal
    layout = _layout(_project(tmp_path))
    with pytest.raises(PackageError, match=r"dist/ is inside the code directory.*Add `dist/`"):
        build(layout)


def test_dependencies_without_a_pythonpath_below_code_are_refused(tmp_path: Path) -> None:
    # GIVEN requirements.txt but no PYTHONPATH in s.yaml / WHEN built / THEN refused: FC would never import them
    project = _project(tmp_path, **{".fcignore": "dist/\n", "requirements.txt": "six\n"})
    with pytest.raises(PackageError, match=r"PYTHONPATH.*Add `PYTHONPATH: /code/python`"):
        build(_layout(project))
