"""The conformance suite: the local cloud driven the way real clients drive Alibaba Cloud — through the high-level
helpers that ship inside the official packages (resumable transfers, iterators and paginators, uploaders,
downloaders, copiers, presigners), so usage patterns, not only single calls, are checked.

Each test gets the session's :class:`~localcloud.cloud.LocalCloud`, reset (the ``localcloud`` fixture of the
``localcloud.testing`` plugin), with one empty bucket. Objects are small and parts are OSS's minimum (100 KB), so
multipart paths run in milliseconds.
"""

from __future__ import annotations

import alibabacloud_oss_v2 as oss_v2
import oss2
import pytest

from localcloud.cloud import LocalCloud
from localcloud.testing import oss_bucket, oss_v2_client

BUCKET = "conformance"
PART = 100 * 1024
"""OSS's smallest part size (every part but the last): the fastest multipart upload that is still valid."""


@pytest.fixture
def part() -> int:
    return PART


@pytest.fixture
def bucket_name() -> str:
    return BUCKET


@pytest.fixture
def cloud(localcloud: LocalCloud) -> LocalCloud:
    localcloud.oss.create_bucket(BUCKET)
    return localcloud


@pytest.fixture
def bucket(cloud: LocalCloud) -> oss2.Bucket:
    """An ``oss2.Bucket`` (signature V1, path style on the loopback endpoint)."""
    return oss_bucket(cloud, BUCKET)


@pytest.fixture
def client(cloud: LocalCloud) -> oss_v2.Client:
    """An ``alibabacloud_oss_v2`` Client (signature V4, path style on the loopback endpoint, no retries)."""
    return oss_v2_client(cloud)
