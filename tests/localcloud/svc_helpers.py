"""An MNS+OSS-only local cloud for the MNS and OSS tests: the real apps on loopback ports, real signatures.

``SvcCloud`` holds exactly what :mod:`localcloud.mns.routes` and :mod:`localcloud.oss.routes` use (the two
backends and a gateway: clock, faults, credentials, region, account_id). Its ``fc`` is a recorder standing in for
the FC side of the ``deliver_event`` boundary; the MNS/OSS code under test is real.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import alibabacloud_oss_v2 as oss_v2
import oss2
import pytest
from mns.account import Account

from localcloud.auth.credentials import CredentialStore
from localcloud.clock import Clock
from localcloud.core.gateway import Gateway
from localcloud.faults import Faults
from localcloud.mns.models import MnsBackend
from localcloud.mns.routes import make_app as mns_app
from localcloud.oss.models import OssBackend
from localcloud.oss.routes import make_app as oss_app
from localcloud.server import ServiceServer

ACCESS_KEY_ID = "LTAI5tSvcTestKey"
ACCESS_KEY_SECRET = "svc-test-secret"
REGION = "cn-shanghai"
ACCOUNT_ID = "1234567890123456"


@dataclass(frozen=True)
class DeliveredEvent:
    target: str
    event: bytes
    source: str
    retry_strategy: str | None


@dataclass
class RecordingFc:
    """Records every ``deliver_event`` call (the FC engineer's real one invokes the function)."""

    events: list[DeliveredEvent] = field(default_factory=list)
    _arrived: threading.Condition = field(default_factory=threading.Condition)

    def deliver_event(self, target: str, event: bytes, *, source: str, retry_strategy: str | None = None) -> None:
        with self._arrived:
            self.events.append(DeliveredEvent(target, event, source, retry_strategy))
            self._arrived.notify_all()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[DeliveredEvent]:
        """Block until at least ``count`` events arrived (OSS delivers after the response is sent)."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.events) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"expected {count} FC events, got {len(self.events)}")
                self._arrived.wait(remaining)
            return list(self.events)


class SvcCloud:
    """The slice of LocalCloud that the MNS and OSS apps need."""

    def __init__(self) -> None:
        self.region = REGION
        self.account_id = ACCOUNT_ID
        self.access_key_id = ACCESS_KEY_ID
        self.access_key_secret = ACCESS_KEY_SECRET
        self.clock = Clock()
        self.faults = Faults(seed=7)
        self.credentials = CredentialStore(self.clock)
        self.credentials.add_access_key(ACCESS_KEY_ID, ACCESS_KEY_SECRET)
        self.gateway = Gateway(REGION, ACCOUNT_ID, self.clock, self.faults, self.credentials)
        self.fc = RecordingFc()
        self.mns = MnsBackend(self.clock, ACCOUNT_ID, self.deliver_event)
        self.oss = OssBackend(self.clock, REGION, ACCOUNT_ID, self.deliver_event)

    def deliver_event(self, target: str, event: bytes, *, source: str, retry_strategy: str | None = None) -> None:
        """Late-bound, so a test may swap ``fc.deliver_event`` for a slower one."""
        self.fc.deliver_event(target, event, source=source, retry_strategy=retry_strategy)

    def reset(self) -> None:
        self.faults.clear()
        self.clock.reset()
        self.credentials.reset()
        self.credentials.add_access_key(ACCESS_KEY_ID, ACCESS_KEY_SECRET)
        self.fc.events.clear()
        self.mns.reset()
        self.oss.reset()


@dataclass
class Running:
    cloud: SvcCloud
    mns_url: str
    oss_url: str


@contextmanager
def running_services() -> Iterator[Running]:
    """Both apps served on loopback for the duration of the block."""
    cloud = SvcCloud()
    servers = [
        ServiceServer("mns", mns_app(cloud.mns, cloud.gateway)).start(),
        ServiceServer("oss", oss_app(cloud.oss, cloud.gateway)).start(),
    ]
    try:
        yield Running(cloud, servers[0].url, servers[1].url)
    finally:
        for server in servers:
            server.stop()


# -- SDK clients ---------------------------------------------------------------------------------------------
class WireLog(logging.Handler):
    """Collects the HTTP status and headers of every MNS response from the SDK's own debug log.

    ``Account(..., logger=...)`` is the SDK's public hook; the status is the only way to see it, because
    ``MNSServerException`` carries the error code but not the HTTP status.
    """

    _STATUS = re.compile(r"^GetResponse Status: (\d+)\nHeader: (.*?)\nData: ", re.S)

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.responses: list[tuple[int, dict[str, str]]] = []

    def emit(self, record: logging.LogRecord) -> None:
        match = self._STATUS.match(record.getMessage())
        if match:
            headers = dict(line.split(": ", 1) for line in match.group(2).splitlines() if ": " in line)
            self.responses.append((int(match.group(1)), headers))

    @property
    def last_status(self) -> int:
        return self.responses[-1][0]

    @property
    def last_headers(self) -> dict[str, str]:
        return self.responses[-1][1]


def mns_account(
    url: str, access_key_id: str = ACCESS_KEY_ID, secret: str = ACCESS_KEY_SECRET, token: str = ""
) -> tuple[Account, WireLog]:
    """An SDK Account plus the log of its responses (statuses and headers)."""
    wire = WireLog()
    logger = logging.getLogger(f"mns-test-{id(wire)}")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(wire)
    return Account(url, access_key_id, secret, token, logger=logger), wire


def oss2_bucket(url: str, bucket: str, auth: object | None = None, **kwargs: object) -> oss2.Bucket:
    return oss2.Bucket(auth or oss2.Auth(ACCESS_KEY_ID, ACCESS_KEY_SECRET), url, bucket, **kwargs)


def oss_v2_client(
    url: str,
    access_key_id: str = ACCESS_KEY_ID,
    secret: str = ACCESS_KEY_SECRET,
    token: str | None = None,
    *,
    virtual_host_via_proxy: bool = False,
    signature_version: str = "v4",
) -> oss_v2.Client:
    """alibabacloud_oss_v2 against the local OSS: path style on the loopback URL (the function's setup), or
    virtual-host style on the real endpoint name with the local server as HTTP proxy.

    ``proxy_host`` must be a dict: the SDK turns a str into ``{"http://": ...}``, a key requests never matches.
    """
    cfg = oss_v2.config.load_default()
    cfg.credentials_provider = oss_v2.credentials.StaticCredentialsProvider(access_key_id, secret, token)
    cfg.region = REGION
    cfg.signature_version = signature_version
    cfg.retry_max_attempts = 1
    if virtual_host_via_proxy:
        cfg.endpoint = f"http://oss-{REGION}.aliyuncs.com"
        cfg.proxy_host = {"http": url}
    else:
        cfg.endpoint = url
        cfg.use_path_style = True
    return oss_v2.Client(cfg)


def oss_v2_error(call: Callable[[], object]) -> oss_v2.exceptions.ServiceError:
    """The service error an alibabacloud_oss_v2 call raised (it wraps each in an OperationError)."""
    with pytest.raises(oss_v2.exceptions.OperationError) as caught:
        call()
    error = caught.value.unwrap()
    assert isinstance(error, oss_v2.exceptions.ServiceError)
    return error
