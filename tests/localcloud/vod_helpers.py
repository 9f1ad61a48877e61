"""A VOD-only local cloud for the VOD tests: the real app on a loopback port, driven by the official SDK.

``MiniCloud`` holds just what :func:`localcloud.vod.routes.make_app` needs (the VOD backend and a gateway: clock,
faults, credentials, region, account_id), so these tests do not depend on the other services.
``capture_request`` records the exact bytes an SDK call puts on the wire, for replay tests.
"""

from __future__ import annotations

import http.client
import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from alibabacloud_tea_openapi.models import Config
from alibabacloud_tea_openapi.utils_models import OpenApiRequest, Params
from alibabacloud_vod20170321.client import Client
from darabonba.runtime import RuntimeOptions

from localcloud.auth.credentials import CredentialStore
from localcloud.clock import Clock
from localcloud.core.gateway import Gateway
from localcloud.faults import Faults
from localcloud.server import ServiceServer
from localcloud.vod.models import VodBackend
from localcloud.vod.routes import make_app

ACCESS_KEY_ID = "LTAI5tVodTestKey"
ACCESS_KEY_SECRET = "vod-test-secret"
REGION = "cn-shanghai"
ACCOUNT_ID = "1234567890123456"


class MiniCloud:
    """The subset of LocalCloud that the VOD app uses."""

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
        self.vod = VodBackend(self.clock)

    def reset(self) -> None:
        self.faults.clear()
        self.clock.reset()
        self.credentials.reset()
        self.credentials.add_access_key(ACCESS_KEY_ID, ACCESS_KEY_SECRET)
        self.vod.reset()


@dataclass
class VodEnv:
    cloud: MiniCloud
    server: ServiceServer

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.server.port}"

    @property
    def vod(self) -> VodBackend:
        return self.cloud.vod

    def client(
        self,
        access_key_id: str = ACCESS_KEY_ID,
        access_key_secret: str = ACCESS_KEY_SECRET,
        security_token: str | None = None,
        *,
        v2: bool = False,
        endpoint: str | None = None,
    ) -> Client:
        """An official VOD SDK client; ``v2=True`` signs with the legacy HMAC-SHA1 RPC signature."""
        config = Config(
            access_key_id=access_key_id,
            access_key_secret=access_key_secret,
            security_token=security_token,
            endpoint=endpoint or self.endpoint,
            protocol="http",
            read_timeout=5000,
            connect_timeout=2000,
        )
        if v2:
            config.signature_algorithm = "v2"
        return Client(config)

    def sts_client(self, ttl_seconds: float = 3600, *, v2: bool = False) -> Client:
        sts = self.cloud.credentials.issue_sts_token(ttl_seconds)
        return self.client(sts.access_key_id, sts.access_key_secret, sts.security_token, v2=v2)


def call_api(
    client: Client,
    action: str,
    query: dict[str, str] | None = None,
    *,
    body: dict[str, str] | None = None,
    method: str = "POST",
    version: str = "2017-03-21",
    body_type: str = "json",
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The SDK's generic ``call_api`` (public API, no patching): any action, version, method, form body, headers;
    ``body_type="string"`` hands back the answer as text (an XML answer as sent)."""
    params = Params(
        action=action,
        version=version,
        protocol="HTTP",
        pathname="/",
        method=method,
        auth_type="AK",
        style="RPC",
        req_body_type="formData",
        body_type=body_type,
    )
    request = OpenApiRequest(query=query, body=body, headers=headers)
    return client.call_api(params, request, RuntimeOptions())


@contextmanager
def running_vod() -> Iterator[VodEnv]:
    cloud = MiniCloud()
    server = ServiceServer("vod", make_app(cloud.vod, cloud.gateway)).start()
    try:
        yield VodEnv(cloud, server)
    finally:
        server.stop()


# -- raw capture and replay ----------------------------------------------------------------------------------
@dataclass
class RawRequest:
    method: str
    target: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def send(self, port: int) -> tuple[int, bytes]:
        """Re-send these exact bytes (Host header included, it is signed) to 127.0.0.1:port."""
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.putrequest(self.method, self.target, skip_host=True, skip_accept_encoding=True)
            for name, value in self.headers:
                connection.putheader(name, value)
            connection.endheaders(self.body or None)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()


@contextmanager
def capture_request(reply: bytes = b'{"RequestId":"CAPTURED"}') -> Iterator[tuple[str, list[RawRequest]]]:
    """A loopback server that records each request and answers ``reply``; yields (endpoint, captured)."""
    captured: list[RawRequest] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            captured.append(RawRequest(self.command, self.path, list(self.headers.items()), body))
            self.send_response(200)
            self.send_header("Content-Type", "application/json;charset=utf-8")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        do_GET = do_POST = _handle

        def log_message(self, *args: Any) -> None:
            return None

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_port}", captured
    finally:
        server.shutdown()
        server.server_close()
