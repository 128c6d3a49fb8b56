"""Fixtures for the simulator's HTTP tests: a running simulator and a loopback file server.

Images and MP4 probing come from ``tests/support/media.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import httpx
import pytest

from seedance_simulator import Simulator
from tests.support import plain_http
from tests.support.net import LoopbackHTTPServer

API_KEY = "sim-test-key"
I2V = "bytedance/seedance-2.0-mini/image-to-video"


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(api_key=API_KEY, fast=True, generation_time=0.3, seed=7) as s:
        yield s


@pytest.fixture
def api(sim: Simulator) -> Iterator[httpx.Client]:
    with plain_http.client(
        base_url=sim.base_url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=30
    ) as client:
        yield client


class FileServer(LoopbackHTTPServer):
    """A loopback HTTP server that serves `files[path] = (content_type, body)`."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[str, bytes]] = {}
        self.received: list[tuple[str, dict[str, str], bytes]] = []
        self.status_for_post = 200
        files, received, owner = self.files, self.received, self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                if self.path not in files:
                    self.send_response(404)
                    self.end_headers()
                    return
                ctype, body = files[self.path]
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                received.append((self.path, dict(self.headers.items()), body))
                self.send_response(owner.status_for_post)
                self.send_header("Content-Length", "0")
                self.end_headers()

        super().__init__(Handler)
        self.url = self.base_url
        self.start()


@pytest.fixture
def file_server() -> Iterator[FileServer]:
    server = FileServer()
    yield server
    server.close()


def wait_terminal(api: httpx.Client, task_id: str, timeout: float = 30.0) -> dict[str, Any]:
    """Poll the result endpoint until a terminal status; returns `data`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        data = api.get(f"/api/v3/predictions/{task_id}/result").json()["data"]
        if data["status"] in ("completed", "failed"):
            return data
        time.sleep(0.05)
    raise AssertionError(f"task {task_id} not terminal after {timeout}s")


@pytest.fixture
def submit(api: httpx.Client) -> Callable[..., httpx.Response]:
    def _submit(body: dict[str, Any], model: str = I2V, **params: str) -> httpx.Response:
        return api.post(f"/api/v3/{model}", json=body, params=params)

    return _submit
