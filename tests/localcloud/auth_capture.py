"""Capture real requests from the official SDKs, so the auth tests verify exactly what each SDK puts on the wire.

A tiny werkzeug app served by :class:`localcloud.server.ServiceServer` records every request (environ + body)
and answers the minimal response each SDK accepts (sdk_wire.md). :meth:`Captured.request` rebuilds a werkzeug
Request from the recording, optionally tampered, so one capture can be verified many times.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from werkzeug.wrappers import Request, Response

from localcloud.auth import CredentialStore
from localcloud.server import ServiceServer

ACCESS_KEY_ID = "LTAI5tAuthTestKey"
ACCESS_KEY_SECRET = "auth-test-secret/+="

_MNS_OK = (
    '<?xml version="1.0" encoding="utf-8"?><Message xmlns="http://mns.aliyuncs.com/doc/v1/">'
    "<MessageId>M-1</MessageId><MessageBodyMD5>0123456789ABCDEF0123456789ABCDEF</MessageBodyMD5></Message>"
)
OSS_OBJECT_BODY = b"manifest line\n"


@dataclass(frozen=True)
class Identity:
    """What an SDK is configured with: a static AccessKey (token '') or STS credentials."""

    access_key_id: str
    secret: str
    token: str = ""


def identity(store: CredentialStore, kind: str) -> Identity:
    """``static`` → the store's permanent key (which must be registered); ``sts`` → a freshly issued token."""
    if kind == "static":
        return Identity(ACCESS_KEY_ID, ACCESS_KEY_SECRET)
    sts = store.issue_sts_token()
    return Identity(sts.access_key_id, sts.access_key_secret, sts.security_token)


@dataclass(frozen=True)
class Captured:
    """One request as the server saw it: the string-valued WSGI environ and the body bytes."""

    environ: dict[str, str]
    body: bytes

    def header(self, name: str) -> str:
        return self.request().headers.get(name, "")

    @property
    def target(self) -> str:
        return self.environ["RAW_URI"]

    def request(
        self,
        *,
        headers: dict[str, str | None] | None = None,
        target: str | None = None,
        body: bytes | None = None,
    ) -> Request:
        """A fresh Request for this capture; ``headers`` (None deletes), ``target`` and ``body`` tamper with it."""
        environ: dict[str, Any] = dict(self.environ)
        for name, value in (headers or {}).items():
            key = name.upper().replace("-", "_")
            if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                key = "HTTP_" + key
            if value is None:
                environ.pop(key, None)
            else:
                environ[key] = value
        if target is not None:
            path, _, query = target.partition("?")
            environ.update(RAW_URI=target, REQUEST_URI=target, QUERY_STRING=query)
            environ["PATH_INFO"] = unquote(path).encode("utf-8").decode("latin-1")
        payload = self.body if body is None else body
        environ["CONTENT_LENGTH"] = str(len(payload))
        environ["wsgi.input"] = io.BytesIO(payload)
        return Request(environ)


class CaptureServer:
    """Records requests and answers like VOD, MNS, OSS or FC depending on the request's signature scheme."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.captured: list[Captured] = []
        self._server = ServiceServer("auth-capture", self._app)

    @property
    def url(self) -> str:
        return self._server.url

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self._server.port}"

    def last(self) -> Captured:
        with self._lock:
            return self.captured[-1]

    def capture(self, call: Callable[[], object], *, ignore_errors: bool = False) -> Captured:
        """Run one SDK call and return the single request it sent.

        ``ignore_errors`` is for calls whose response this server does not bother to fake (list results): the
        request is what matters here.
        """
        with self._lock:
            before = len(self.captured)
        try:
            call()
        except Exception:
            if not ignore_errors:
                raise
        with self._lock:
            sent = self.captured[before:]
        assert len(sent) == 1, f"expected one request, got {len(sent)}"
        return sent[0]

    def _app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        body = request.get_data()
        snapshot = {k: v for k, v in environ.items() if isinstance(v, str)}
        with self._lock:
            self.captured.append(Captured(snapshot, body))
        return _answer(request)(environ, start_response)

    @contextmanager
    def running(self) -> Iterator[CaptureServer]:
        self._server.start()
        try:
            yield self
        finally:
            self._server.stop()


def _answer(request: Request) -> Response:
    authorization = request.headers.get("Authorization", "")
    if authorization.startswith("MNS "):
        return Response(_MNS_OK, status=201, content_type="text/xml", headers={"x-mns-request-id": "R-1"})
    if authorization.startswith("FC "):
        return Response(b"ok", status=200, headers={"x-fc-request-id": "R-1"})
    if authorization.startswith("OSS"):
        headers = {"x-oss-request-id": "R-1", "ETag": '"0123456789ABCDEF0123456789ABCDEF"'}
        if request.method == "GET":
            return Response(OSS_OBJECT_BODY, status=200, content_type="text/plain", headers=headers)
        return Response(b"", status=200, headers=headers)
    body = {"RequestId": "R-1", "CanceledJobs": [], "NonExists": []}
    return Response(json.dumps(body), status=200, content_type="application/json")
