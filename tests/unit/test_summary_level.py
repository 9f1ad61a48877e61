"""The summary line's level follows the failed items: INFO, WARNING when some failed, ERROR when all did."""

from __future__ import annotations

import pytest

from lib.invocation import summary_level


@pytest.mark.parametrize(
    ("requested", "failed", "level"),
    [(3, 0, "INFO"), (3, 1, "WARNING"), (3, 2, "WARNING"), (3, 3, "ERROR"), (1, 1, "ERROR")],
)
def test_summary_level(requested: int, failed: int, level: str) -> None:
    # GIVEN a request's counts WHEN the summary level is chosen THEN it says how many items failed
    assert summary_level({"Requested": requested, "Failed": failed}) == level
