"""Fixtures for the simulator's HTTP tests: a running simulator, images, a loopback file server."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import av
import httpx
import pytest
from PIL import Image

from seedance_simulator import Simulator

API_KEY = "sim-test-key"
I2V = "bytedance/seedance-2.0-mini/image-to-video"


def make_image(
    size: tuple[int, int] = (160, 120), color: tuple[int, int, int] = (200, 80, 40)
) -> bytes:
    img = Image.new("RGB", size, color)
    for x in range(0, size[0], 8):  # some structure, so motion is visible in frames
        img.putpixel((x, size[1] // 2), (255, 255, 255))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(api_key=API_KEY, fast=True, generation_time=0.3, seed=7) as s:
        yield s


@pytest.fixture
def api(sim: Simulator) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=sim.base_url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=30
    ) as client:
        yield client


class FileServer:
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

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


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


def probe_mp4(data: bytes) -> dict[str, Any]:
    """Decode every video frame (proves the file is valid) and report its properties."""
    with av.open(io.BytesIO(data)) as container:
        video = container.streams.video[0]
        info: dict[str, Any] = {
            "width": video.codec_context.width,
            "height": video.codec_context.height,
            "fps": float(video.average_rate),
            "duration": float(container.duration) / 1e6,
            "codec": video.codec_context.name,
            "audio": len(container.streams.audio) > 0,
        }
        info["frames"] = sum(1 for _ in container.decode(video=0))
    return info


@pytest.fixture
def submit(api: httpx.Client) -> Callable[..., httpx.Response]:
    def _submit(body: dict[str, Any], model: str = I2V, **params: str) -> httpx.Response:
        return api.post(f"/api/v3/{model}", json=body, params=params)

    return _submit
