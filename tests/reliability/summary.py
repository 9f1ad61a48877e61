"""Sums the reliability suites' counts over the session and prints them in the terminal summary.

Each reliability test records ``reliability.<name>`` user properties (see conftest.py ``tally``); reports carry
them to the pytest-xdist controller, so this plugin is loaded by tests/conftest.py (``pytest_plugins``) rather than
by the reliability conftest, which the controller never imports. Printed line::

    reliability: 13140 generated cases, 2315 faults injected, 61830 requested items checked, 0 items lost
"""

from __future__ import annotations

from typing import Any

import pytest

PREFIX = "reliability."
_totals: dict[str, int] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "teardown":  # the last report of a test carries every property it recorded
        return
    for name, value in report.user_properties:
        if isinstance(name, str) and name.startswith(PREFIX) and isinstance(value, int):
            key = name[len(PREFIX) :]
            _totals[key] = _totals.get(key, 0) + value


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _totals:
        return
    terminalreporter.write_sep("-", "reliability")
    terminalreporter.write_line(
        f"reliability: {_totals.get('cases', 0)} generated cases, {_totals.get('faults', 0)} faults injected, "
        f"{_totals.get('items', 0)} requested items checked, {_totals.get('lost', 0)} items lost"
    )
