"""A tiny real HTTP server on 127.0.0.1 that answers from a script, for exact fault sequences.

The simulator injects faults at rates; some client behaviours (honouring one
``Retry-After``, resuming one cut transfer) are proven best with an exact sequence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.support.net import LoopbackHTTPServer


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    #: Announce this Content-Length but close the connection after ``cut_after`` bytes.
    cut_after: int | None = None


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


class ScriptedServer(LoopbackHTTPServer):
    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], list[Reply | Callable[[Seen], Reply]]] = {}
        self.seen: list[Seen] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                import time

                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                seen = Seen(
                    self.command,
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                    time.monotonic(),
                )
                server.seen.append(seen)
                path = self.path.split("?", 1)[0]
                queue = server.routes.get((self.command, path))
                if not queue:
                    reply = Reply(404, b'{"code":404,"message":"no route"}')
                else:
                    item = queue.pop(0) if len(queue) > 1 else queue[0]
                    reply = item(seen) if callable(item) else item
                self.send_response(reply.status)
                self.send_header("Content-Length", str(len(reply.body)))
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                if reply.cut_after is not None:
                    self.wfile.write(reply.body[: reply.cut_after])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(reply.body)

            do_GET = do_POST = do_PUT = _handle

        super().__init__(Handler)

    def route(self, method: str, path: str, *replies: Reply | Callable[[Seen], Reply]) -> None:
        """Answer ``method path`` with ``replies`` in order; the last one repeats."""
        self.routes[(method, path)] = list(replies)

    def requests_to(self, method: str, path: str) -> list[Seen]:
        return [s for s in self.seen if s.method == method and s.path.split("?", 1)[0] == path]


def ranged(payload: bytes) -> Callable[[Seen], Reply]:
    """A reply to a resumed download: ``206`` with the rest of ``payload`` from its Range."""

    def reply(seen: Seen) -> Reply:
        start = int(seen.headers["range"].split("=")[1].rstrip("-"))
        return Reply(
            206,
            payload[start:],
            {"Content-Range": f"bytes {start}-{len(payload) - 1}/{len(payload)}"},
        )

    return reply
