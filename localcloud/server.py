"""A werkzeug HTTP server on 127.0.0.1, port 0, in a daemon thread (moto's ThreadedMotoServer pattern).

Connections are kept alive (HTTP/1.1), as on the real endpoints: the SDKs pool their connections, and werkzeug's
own handler, which closes every connection, made each call pay a TCP connect and a server thread start — the local
cloud, not the function, dominated the per-event benchmark (see bench/README.md).
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wsgi import LimitedStream

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Any]


_DROPPED = (ConnectionError, TimeoutError, BrokenPipeError)


class _QuietHandler(WSGIRequestHandler):
    """HTTP/1.1 keep-alive WSGI handler that does not print one access-log line per request.

    werkzeug's ``run_wsgi`` always answers ``Connection: close`` because it cannot find the end of an unread
    request body. Here the body is bounded by its Content-Length and whatever the app left unread is drained
    after the response, so the connection can carry the next request. Chunked request bodies, errors and
    dropped connections (e.g. an injected reset fault) still close the connection.
    """

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes: Nagle would wait for the delayed ACK

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        return None

    def run_wsgi(self) -> None:
        if self.headers.get("Expect", "").lower().strip(" \t") == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        environ = self.make_environ()
        body: LimitedStream | None = None
        if not environ.get("wsgi.input_terminated"):  # werkzeug de-chunks chunked bodies; those close below
            try:
                body = LimitedStream(self.rfile, max(0, int(environ.get("CONTENT_LENGTH") or 0)))
                environ["wsgi.input"] = body
            except ValueError:
                body = None
        if body is None:
            self.close_connection = True
        response = _ResponseWriter(self, environ["REQUEST_METHOD"])
        try:
            result: Iterable[bytes] = self.server.app(environ, response.start_response)
            try:
                for data in result:
                    response.write(data)
                response.finish()
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
            if body is not None and not self.close_connection:
                body.exhaust()  # the next request starts right after this one's body
        except _DROPPED:
            self.close_connection = True
        except Exception:
            self.close_connection = True
            self.log_error("Error on request:\n%s", traceback.format_exc())
            if not response.head_sent:
                try:
                    self.send_response(500, "Internal Server Error")
                    self.send_header("Content-Length", "0")
                    self.send_header("Connection", "close")
                    self.end_headers()
                except _DROPPED:
                    pass


class _ResponseWriter:
    """One response: status and headers go out with the first body bytes; chunked if no Content-Length."""

    def __init__(self, handler: _QuietHandler, method: str) -> None:
        self._handler = handler
        self._method = method
        self._started: tuple[str, list[tuple[str, str]]] | None = None
        self.head_sent = False
        self._chunked = False

    def start_response(
        self, status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], None]:
        if exc_info and self.head_sent:
            raise exc_info[1].with_traceback(exc_info[2])
        self._started = (status, headers)
        return self.write

    def write(self, data: bytes) -> None:
        if not self.head_sent:
            self._send_head()
        if data:
            wfile = self._handler.wfile
            wfile.write(b"%x\r\n%s\r\n" % (len(data), data) if self._chunked else data)

    def finish(self) -> None:
        if not self.head_sent:
            self._send_head()
        if self._chunked:
            self._handler.wfile.write(b"0\r\n\r\n")

    def _send_head(self) -> None:
        if self._started is None:
            raise RuntimeError("the WSGI app returned a body before calling start_response")
        handler = self._handler
        status, headers = self._started
        code_text, _, message = status.partition(" ")
        code = int(code_text)
        handler.send_response(code, message)
        names = set()
        for name, value in headers:
            handler.send_header(name, value)
            names.add(name.lower())
        self._chunked = not ("content-length" in names or self._method == "HEAD" or code < 200 or code in (204, 304))
        if self._chunked:
            handler.send_header("Transfer-Encoding", "chunked")
        if handler.close_connection:
            handler.send_header("Connection", "close")
        handler.end_headers()
        self.head_sent = True


class ServiceServer:
    """Serves one WSGI app on a free loopback port until :meth:`stop`."""

    def __init__(self, name: str, app: WsgiApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self.name = name
        self._server: BaseWSGIServer = make_server(host, port, app, threaded=True, request_handler=_QuietHandler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"localcloud-{name}", daemon=True)

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
