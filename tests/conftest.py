"""Shared test setup: the local cloud fixtures (``localcloud``, ``localcloud_session``) and the opt-in soak run."""

from __future__ import annotations

import pytest

pytest_plugins = ["localcloud.testing", "reliability.summary"]  # + the reliability counts


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--soak", action="store_true", default=False, help="also run the long tests marked soak")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--soak"):
        return
    skip = pytest.mark.skip(reason="soak test: run with --soak")
    for item in items:
        if "soak" in item.keywords:
            item.add_marker(skip)
