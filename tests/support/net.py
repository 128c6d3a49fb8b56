"""Loopback networking for tests: free ports, API envelopes, an HTTP server in a thread.

The suites' own servers (the integration suite's scripted server, the reliability
suite's programmable server, the simulator suite's file server) differ in how they
answer; starting, addressing and stopping them is :class:`LoopbackHTTPServer`.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listened on a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def closed_port_url() -> str:
    """An ``http://127.0.0.1:<port>`` base URL that refuses connections."""
    return f"http://127.0.0.1:{free_port()}"


def envelope(data: Any, code: int = 200, message: str = "success") -> bytes:
    """A WaveSpeed API response body: ``{"code", "message", "data"}`` as JSON bytes."""
    return json.dumps({"code": code, "message": message, "data": data}).encode()


def send(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> None:
    """Write one complete response (status, ``Content-Length``, headers, body)."""
    handler.send_response(status)
    handler.send_header("Content-Length", str(len(body)))
    for key, value in (headers or {}).items():
        handler.send_header(key, value)
    handler.end_headers()
    handler.wfile.write(body)


class LoopbackHTTPServer:
    """A ``ThreadingHTTPServer`` on 127.0.0.1 (a free port) served from a daemon thread.

    Use as a context manager (``with Server() as server:``) or ``start()``/``close()``.
    ``ssl_context`` turns it into an HTTPS server; ``base_url`` says which.
    """

    def __init__(
        self,
        handler: type[BaseHTTPRequestHandler],
        *,
        ssl_context: ssl.SSLContext | None = None,
        poll_interval: float = 0.5,
    ) -> None:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        scheme = "http"
        if ssl_context is not None:
            self._httpd.socket = ssl_context.wrap_socket(self._httpd.socket, server_side=True)
            scheme = "https"
        self.base_url = f"{scheme}://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(poll_interval,), daemon=True
        )

    def start(self) -> Self:
        self._thread.start()
        return self

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
