"""The loopback server keeps HTTP/1.1 connections alive (as the real endpoints do) without mixing up requests."""

from __future__ import annotations

import http.client
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.wrappers import Request, Response

from localcloud.server import ServiceServer


@Request.application  # type: ignore[misc]
def _app(request: Request) -> Response:
    if request.path == "/ignore-body":  # answers without reading the body
        return Response(b"ignored")
    if request.path == "/stream":  # no Content-Length: the server must chunk it
        return Response(iter([b"a" * 10, b"b" * 5]))
    if request.path == "/boom":
        raise RuntimeError("bug in an emulated service")
    return Response(request.get_data() + b"|" + request.path.encode())


@pytest.fixture
def server() -> Iterator[ServiceServer]:
    srv = ServiceServer("keepalive-test", _app).start()
    yield srv
    srv.stop()


def _connection(server: ServiceServer) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)


def _socket_of(conn: http.client.HTTPConnection) -> Any:
    return conn.sock


def test_two_requests_share_one_connection(server: ServiceServer) -> None:
    # GIVEN one client connection WHEN it sends two requests THEN both are answered on the same socket
    conn = _connection(server)
    conn.request("POST", "/one", body=b"first")
    first = conn.getresponse()
    assert first.read() == b"first|/one" and first.getheader("Connection") is None
    sock = _socket_of(conn)
    conn.request("POST", "/two", body=b"second")
    assert conn.getresponse().read() == b"second|/two"
    assert _socket_of(conn) is sock
    conn.close()


def test_an_unread_body_is_drained_before_the_next_request(server: ServiceServer) -> None:
    # GIVEN an app that ignores the body WHEN a request with a body is followed by another THEN the second is intact
    conn = _connection(server)
    conn.request("POST", "/ignore-body", body=b"x" * 100_000)
    assert conn.getresponse().read() == b"ignored"
    conn.request("POST", "/after", body=b"ok")
    assert conn.getresponse().read() == b"ok|/after"
    conn.close()


def test_a_body_without_length_is_sent_chunked(server: ServiceServer) -> None:
    conn = _connection(server)
    conn.request("GET", "/stream")
    response = conn.getresponse()
    assert response.getheader("Transfer-Encoding") == "chunked"
    assert response.read() == b"a" * 10 + b"b" * 5
    conn.close()


def test_connection_close_is_honoured(server: ServiceServer) -> None:
    # GIVEN a client asking to close WHEN answered THEN the server says close and closes
    conn = _connection(server)
    conn.request("GET", "/x", headers={"Connection": "close"})
    response = conn.getresponse()
    assert response.getheader("Connection") == "close"
    response.read()
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw:
        raw.sendall(b"GET /y HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := raw.recv(65536):
            data += chunk
    assert data.startswith(b"HTTP/1.1 200") and data.endswith(b"|/y")


def test_an_app_error_answers_500_and_closes(server: ServiceServer) -> None:
    conn = _connection(server)
    conn.request("GET", "/boom")
    response = conn.getresponse()
    assert response.status == 500 and response.getheader("Connection") == "close"
    conn.close()
