"""The direct-read path's decisions and failures, with a scripted connection.

The real-HTTP tests (tests/integration/shared_client/test_download_direct.py) show the
path working; these pin what is hard to provoke on loopback: which responses may take
it, a read timeout half-way (retried with ``Range``, byte exact), and cancellation.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import httpcore
import httpx
import pytest

from shared_client import RetryPolicy
from shared_client.download import DownloadCancelled, DownloadTarget, _direct_stream, fetch

MIB = 1024 * 1024
PAYLOAD = bytes(range(256)) * (24 * 4096)  # 24 MiB, every offset distinguishable mod 256
FAST = RetryPolicy(max_attempts=3, initial=0.001, maximum=0.002)


class ScriptedConnection:
    """httpcore's ``network_stream`` stand-in: serves ``data``, may fail after ``fail_at``."""

    def __init__(self, data: bytes, fail_at: int | None = None, on_read: Any = None) -> None:
        self.data, self.sent, self.fail_at, self.on_read = data, 0, fail_at, on_read
        self.reads = 0

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        self.reads += 1
        if self.on_read is not None:
            self.on_read()
        if self.fail_at is not None and self.sent >= self.fail_at:
            raise httpcore.ReadTimeout("timed out")
        chunk = self.data[self.sent : self.sent + max_bytes]
        self.sent += len(chunk)
        return chunk


def transport(connections: list[ScriptedConnection], seen: list[httpx.Request]) -> Any:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        start = int(request.headers.get("range", "bytes=0-")[6:].rstrip("-"))
        body = PAYLOAD[start:]
        first, rest = body[: 64 * 1024], body[64 * 1024 :]
        connection = ScriptedConnection(rest)
        connections.append(connection)
        headers = {"content-length": str(len(body))}
        if start:
            headers["content-range"] = f"bytes {start}-{len(PAYLOAD) - 1}/{len(PAYLOAD)}"
        return httpx.Response(
            206 if start else 200,
            headers=headers,
            stream=httpx.ByteStream(first),
            extensions={"http_version": b"HTTP/1.1", "network_stream": connection},
        )

    return httpx.MockTransport(handle)


def response(headers: dict[str, str], version: bytes = b"HTTP/1.1") -> httpx.Response:
    return httpx.Response(
        200,
        headers=headers,
        extensions={"http_version": version, "network_stream": ScriptedConnection(b"")},
    )


@pytest.mark.parametrize(
    ("headers", "version"),
    [
        ({"transfer-encoding": "chunked"}, b"HTTP/1.1"),
        ({"content-length": str(64 * MIB), "content-encoding": "gzip"}, b"HTTP/1.1"),
        ({"content-length": str(64 * MIB)}, b"HTTP/2"),
        ({"content-length": str(3 * MIB)}, b"HTTP/1.1"),
        ({}, b"HTTP/1.1"),
    ],
    ids=["chunked", "gzip", "http2", "small", "no-length"],
)
def test_only_plain_large_http11_bodies_take_the_direct_path(
    headers: dict[str, str], version: bytes
) -> None:
    assert _direct_stream(response(headers, version), 0) is None


def test_a_plain_large_http11_body_takes_it() -> None:
    assert _direct_stream(response({"content-length": str(64 * MIB)}), 65536) is not None


def test_a_read_timeout_half_way_is_retried_with_range_and_the_file_is_exact(
    tmp_path: Path,
) -> None:
    connections: list[ScriptedConnection] = []
    seen: list[httpx.Request] = []
    handler = transport(connections, seen)

    def failing_first(request: httpx.Request) -> httpx.Response:
        result = handler.handle_request(request)
        if len(connections) == 1:
            connections[0].fail_at = 10 * MIB
        return result

    with httpx.Client(transport=httpx.MockTransport(failing_first)) as http:
        path = fetch(http, DownloadTarget("http://cdn/v.mp4", tmp_path / "v.mp4"), FAST)
    assert path.read_bytes() == PAYLOAD
    assert len(seen) == 2
    assert seen[1].headers["range"] == f"bytes={64 * 1024 + 10 * MIB}-"
    assert all(c.reads > 1 for c in connections)  # both bodies came through the direct reads


def test_cancelling_on_the_direct_path_stops_between_reads_and_leaves_no_file(
    tmp_path: Path,
) -> None:
    cancelled = threading.Event()
    connections: list[ScriptedConnection] = []
    handler = transport(connections, [])

    def cancel_after_three_reads(request: httpx.Request) -> httpx.Response:
        result = handler.handle_request(request)
        connection = connections[-1]
        connection.on_read = lambda: connection.reads >= 3 and cancelled.set()
        return result

    with (
        httpx.Client(transport=httpx.MockTransport(cancel_after_three_reads)) as http,
        pytest.raises(DownloadCancelled),
    ):
        fetch(http, DownloadTarget("http://cdn/v.mp4", tmp_path / "v.mp4"), FAST, cancelled)
    assert connections[0].reads == 3
    assert list(tmp_path.iterdir()) == []
