"""The official SDK clients (VOD, OSS, MNS, FC): how each is built, and the one cache that keeps them.

A client is built on first use and kept for the next invocations of the instance while the credentials stay the
same; when FC rotates the role's STS token, every client built with the old one is dropped. Clients are shared,
not per thread: the canceller's worker threads all use the one VOD client (the VOD SDK keeps its HTTP sessions
process-wide, one per host, so a client per thread would isolate nothing), while the OSS client and the MNS account
are only used by the invocation's own thread. The SDKs are imported here, lazily (lib.sdk), on the first call.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from lib import sdk
from lib.config import Credentials, Settings
from lib.limits import (
    OSS_CONNECT_TIMEOUT_S,
    OSS_READ_TIMEOUT_S,
    PUBLISH_TIMEOUT_S,
    VOD_CONNECT_TIMEOUT_MS,
    VOD_READ_TIMEOUT_MS,
)

__all__ = [
    "ClientCache",
    "build_vod_client",
    "drop_mns_account",
    "fc_client",
    "mns_account",
    "oss_client",
    "vod_client",
]

T = TypeVar("T")


class ClientCache:
    """SDK clients by (service, endpoint), all for one set of credentials at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._identity: tuple[str, str] | None = None
        self._clients: dict[tuple[str, str], Any] = {}

    def get(self, service: str, endpoint: str, credentials: Credentials, build: Callable[[], T]) -> T:
        identity = (credentials.access_key_id, credentials.security_token)
        with self._lock:
            if identity != self._identity:  # FC rotated the token: no old client may be used again
                self._clients.clear()
                self._identity = identity
            client = self._clients.get((service, endpoint))
            if client is None:
                client = self._clients[(service, endpoint)] = build()
            return client

    def drop(self, service: str, endpoint: str) -> None:
        with self._lock:
            self._clients.pop((service, endpoint), None)


_cache = ClientCache()


def _tea_config(endpoint: str, credentials: Credentials, region: str, connect_ms: int, read_ms: int) -> Any:
    """The tea-openapi Config for ``endpoint`` (``host[:port]``, optionally with an http/https scheme).

    The scheme picks the protocol (plain ``http://`` for the local cloud) and is stripped from the host, because
    the SDK would otherwise sign a literal ``host: http://…`` header. SDK retries stay off: lib.retry owns them.
    """
    from alibabacloud_tea_openapi.models import Config

    host, protocol = endpoint.strip(), "https"
    lower = host.lower()
    if lower.startswith("http://"):
        host, protocol = host[len("http://") :], "http"
    elif lower.startswith("https://"):
        host = host[len("https://") :]
    return Config(
        access_key_id=credentials.access_key_id,
        access_key_secret=credentials.access_key_secret,
        security_token=credentials.security_token or None,
        endpoint=host.rstrip("/"),
        protocol=protocol,
        region_id=region,
        connect_timeout=int(connect_ms),
        read_timeout=int(read_ms),
    )


def build_vod_client(
    endpoint: str,
    credentials: Credentials,
    region: str,
    *,
    connect_timeout_ms: int = VOD_CONNECT_TIMEOUT_MS,
    read_timeout_ms: int = VOD_READ_TIMEOUT_MS,
) -> Any:
    """The VOD SDK client for ``endpoint`` (see :func:`_tea_config`)."""
    sdk.load(sdk.VOD)
    from alibabacloud_vod20170321.client import Client

    return Client(_tea_config(endpoint, credentials, region, connect_timeout_ms, read_timeout_ms))


def vod_client(settings: Settings, credentials: Credentials) -> Any:
    """The instance's VOD client for these credentials."""

    def build() -> Any:
        return build_vod_client(
            settings.vod_endpoint,
            credentials,
            settings.region,
            connect_timeout_ms=settings.connect_timeout_ms,
            read_timeout_ms=settings.read_timeout_ms,
        )

    return _cache.get("vod", settings.vod_endpoint, credentials, build)


def fc_client(settings: Settings, credentials: Credentials) -> Any:
    """The instance's FC 3.0 client (alibabacloud-fc20230330), for continuing in a new invocation."""

    def build() -> Any:
        sdk.load(sdk.FC)
        from alibabacloud_fc20230330.client import Client

        return Client(_tea_config(settings.fc_endpoint, credentials, settings.region, 5000, 10000))

    return _cache.get("fc", settings.fc_endpoint, credentials, build)


def _uses_path_style(endpoint: str) -> bool:
    """Buckets cannot be virtual hosts of an IP address or localhost (the local cloud), so use path style there."""
    host = urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}").hostname or ""
    if host == "localhost":
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def oss_client(settings: Settings, credentials: Credentials) -> Any:
    """The instance's OSS client (alibabacloud-oss-v2) for these credentials."""

    def build() -> Any:
        sdk.load(sdk.OSS)
        import alibabacloud_oss_v2 as oss

        provider = oss.credentials.StaticCredentialsProvider(
            credentials.access_key_id, credentials.access_key_secret, credentials.security_token or None
        )
        config = oss.config.Config(
            region=settings.region,
            endpoint=settings.oss_endpoint,
            credentials_provider=provider,
            use_path_style=_uses_path_style(settings.oss_endpoint),
            connect_timeout=OSS_CONNECT_TIMEOUT_S,
            readwrite_timeout=OSS_READ_TIMEOUT_S,
        )
        return oss.Client(config)

    return _cache.get("oss", settings.oss_endpoint, credentials, build)


def mns_account(settings: Settings, credentials: Credentials) -> Any:
    """The instance's MNS Account (aliyun-mns-sdk) for these credentials.

    Its socket timeout is set once, here: aliyun-mns-sdk applies a connection timeout to ``http://`` endpoints
    only (its HTTPS connection takes none), and its setter reconnects each time it is called. Over HTTPS a publish
    that hangs is therefore ended by the function's own timeout, and the event is delivered again.
    """

    def build() -> Any:
        sdk.load(sdk.MNS)
        from mns.account import Account

        account = Account(
            settings.mns_endpoint,
            credentials.access_key_id,
            credentials.access_key_secret,
            security_token=credentials.security_token or "",
        )
        account.mns_client.set_connection_timeout(PUBLISH_TIMEOUT_S)
        return account

    return _cache.get("mns", settings.mns_endpoint, credentials, build)


def drop_mns_account(settings: Settings) -> None:
    """Forget the MNS account after a network error: its keep-alive connection may be half-closed."""
    _cache.drop("mns", settings.mns_endpoint)
