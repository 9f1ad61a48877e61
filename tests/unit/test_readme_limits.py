"""The README's Configuration and Limits tables say what lib/limits.py defines, name for name."""

from __future__ import annotations

from pathlib import Path

from lib import limits

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def _table(heading: str) -> list[list[str]]:
    """The rows (cells stripped) of the first table under ``## heading``."""
    section = README.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]


def _human(name: str, value: int) -> str:
    """A limit as the Limits table writes it: sizes in MiB / KiB, counts with thousands separators."""
    if name.endswith("_BYTES") and value % limits.MIB == 0:
        return f"{value // limits.MIB:,} MiB"
    if name.endswith("_BYTES") and value % 1024 == 0:
        return f"{value // 1024:,} KiB"
    return f"{value:,}"


def test_configuration_defaults_are_the_limits_constants():
    # GIVEN the Configuration table WHEN a variable has a constant of its name THEN the default shown is its value
    checked = []
    for variable, default, _ in _table("Configuration"):
        name = variable.strip("`")
        if hasattr(limits, name) and default.startswith("`"):
            assert float(default.strip("`")) == getattr(limits, name), variable
            checked.append(name)
    assert len(checked) >= 10, checked


def test_limits_table_names_exist_and_show_their_values():
    # GIVEN the Limits table WHEN each row's name is looked up THEN it exists and the value shown is its value
    rows = _table("Limits")
    for _, cell, value, _ in rows:
        name = cell.strip("`")
        assert value == _human(name, getattr(limits, name)), (name, value)
    assert {row[1].strip("`") for row in rows} <= set(limits.__all__)
