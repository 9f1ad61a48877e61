"""A werkzeug HTTP server on 127.0.0.1, port 0, in a daemon thread (moto's ThreadedMotoServer pattern)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Any]


class _QuietHandler(WSGIRequestHandler):
    """Keep-alive capable handler that does not print one access-log line per request."""

    protocol_version = "HTTP/1.1"

    def log_request(self, *args: Any, **kwargs: Any) -> None:  # noqa: D401 - werkzeug hook
        return None


class ServiceServer:
    """Serves one WSGI app on a free loopback port until :meth:`stop`."""

    def __init__(self, name: str, app: WsgiApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self.name = name
        self._server: BaseWSGIServer = make_server(
            host, port, app, threaded=True, request_handler=_QuietHandler
        )
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"localcloud-{name}", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServiceServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
