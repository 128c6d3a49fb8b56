"""A programmable HTTP(S) server on 127.0.0.1 for the safety tests.

Why not the integration suite's scripted server: these tests need handlers that write
raw responses (endless bodies, redirect chains, bodies cut mid-transfer) and a TLS
variant with a self-signed certificate; each handler is a plain function here.
"""

from __future__ import annotations

import ssl
import subprocess
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from tests.support.net import LoopbackHTTPServer, send

Handler = Callable[[BaseHTTPRequestHandler], None]


class LoopbackServer(LoopbackHTTPServer):
    """``routes`` maps a path prefix to a handler; ``hits`` counts requests per path."""

    def __init__(self, routes: dict[str, Handler], *, tls_dir: Path | None = None) -> None:
        self.routes = routes
        self.hits: list[str] = []
        self.bytes_written: dict[str, int] = {}
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _dispatch(self) -> None:
                server.hits.append(self.path)
                length = int(self.headers.get("content-length") or 0)
                if length:
                    self.rfile.read(length)
                for prefix, handler in server.routes.items():
                    if self.path.startswith(prefix):
                        handler(self)
                        return
                send(self, 404, b'{"code":404,"message":"no route"}')

            do_GET = do_POST = do_PUT = _dispatch

        context = None
        if tls_dir is not None:
            cert, key = self_signed_certificate(tls_dir)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, key)
        super().__init__(_Handler, ssl_context=context, poll_interval=0.05)


def redirect(location: str, status: int = 302) -> Handler:
    def handle(handler: BaseHTTPRequestHandler) -> None:
        send(handler, status, b"", {"Location": location})

    return handle


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A throwaway certificate for 127.0.0.1, made with the openssl CLI."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    if not cert.exists():
        subprocess.run(
            [
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                "-keyout", str(key), "-out", str(cert),
            ],
            check=True,
            capture_output=True,
        )  # fmt: skip
    return cert, key
