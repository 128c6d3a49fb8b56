"""Exact fault sequences over real HTTP: retries, Retry-After, resumed downloads, key scope."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path
from typing import Any

import pytest

from shared_client import (
    DownloadError,
    ImageToVideoRequest,
    InvalidResponseError,
    RetryPolicy,
    ServiceUnreachableError,
)
from tests.support.net import closed_port_url, envelope

from .conftest import API_KEY
from .scripted_server import Reply, ScriptedServer, ranged

MODEL_PATH = "/api/v3/bytedance/seedance-2.0-mini/image-to-video"


def ok(data: Any) -> Reply:
    return Reply(200, envelope(data), {"Content-Type": "application/json"})


def prediction(status: str, base: str, outputs: list[str] | None = None) -> dict[str, Any]:
    return {
        "id": "p1",
        "status": status,
        "outputs": outputs or [],
        "urls": {"get": f"{base}/api/v3/predictions/p1/result"},
    }


async def test_429_retry_after_is_honoured_then_the_read_succeeds(
    scripted: ScriptedServer, driver_factory: Any
) -> None:
    path = "/api/v3/predictions/p1/result"
    scripted.route(
        "GET",
        path,
        Reply(429, b'{"code":429,"message":"rate limited"}', {"Retry-After": "1"}),
        ok(prediction("processing", scripted.base_url)),
    )
    client = driver_factory(scripted.base_url)
    result = await client.get_prediction("p1")
    assert result.status.value == "processing"
    first, second = scripted.requests_to("GET", path)
    assert second.at - first.at >= 0.95


async def test_html_503_and_json_500_are_retried_for_reads(
    scripted: ScriptedServer, driver_factory: Any
) -> None:
    path = "/api/v3/predictions/p1/result"
    scripted.route(
        "GET",
        path,
        Reply(
            503,
            b"<html><body><h1>503 Service Unavailable</h1></body></html>",
            {"Content-Type": "text/html"},
        ),
        Reply(500, b'{"code":5000,"message":"internal"}'),
        ok(prediction("completed", scripted.base_url, ["https://cdn/v.mp4"])),
    )
    client = driver_factory(scripted.base_url)
    result = await client.get_prediction("p1")
    assert result.outputs == ["https://cdn/v.mp4"]
    assert len(scripted.requests_to("GET", path)) == 3


async def test_an_html_body_on_200_is_a_clear_error_not_a_crash(
    scripted: ScriptedServer, driver_factory: Any
) -> None:
    scripted.route(
        "GET", "/api/v3/predictions/p1/result", Reply(200, b"<html>Login to the proxy</html>")
    )
    client = driver_factory(scripted.base_url)
    with pytest.raises(InvalidResponseError, match="Login to the proxy"):
        await client.get_prediction("p1")


async def test_gzip_encoded_envelopes_are_decoded(
    scripted: ScriptedServer, driver_factory: Any
) -> None:
    body = gzip.compress(
        json.dumps({"code": 200, "data": prediction("created", scripted.base_url)}).encode()
    )
    scripted.route(
        "GET", "/api/v3/predictions/p1/result", Reply(200, body, {"Content-Encoding": "gzip"})
    )
    client = driver_factory(scripted.base_url)
    assert (await client.get_prediction("p1")).id == "p1"


async def test_a_500_after_submit_is_never_resent(
    scripted: ScriptedServer, driver_factory: Any
) -> None:
    from shared_client import SubmissionUncertainError

    scripted.route("POST", MODEL_PATH, Reply(502, b"<html>bad gateway</html>"))
    client = driver_factory(scripted.base_url)
    with pytest.raises(SubmissionUncertainError):
        await client.submit(ImageToVideoRequest(prompt="x", image="https://cdn/x.png"))
    assert len(scripted.requests_to("POST", MODEL_PATH)) == 1


async def test_a_429_on_submit_is_resent_because_nothing_was_created(
    scripted: ScriptedServer, driver_factory: Any
) -> None:
    scripted.route(
        "POST",
        MODEL_PATH,
        Reply(429, b'{"code":429}', {"Retry-After": "0"}),
        ok(prediction("created", scripted.base_url)),
    )
    client = driver_factory(scripted.base_url)
    result = await client.submit(ImageToVideoRequest(prompt="x", image="https://cdn/x.png"))
    assert result.id == "p1"
    sent = scripted.requests_to("POST", MODEL_PATH)
    assert len(sent) == 2
    assert sent[0].headers["authorization"] == f"Bearer {API_KEY}"
    assert json.loads(sent[0].body)["prompt"] == "x"


async def test_a_refused_connection_is_a_clear_error(driver_factory: Any) -> None:
    client = driver_factory(
        closed_port_url(),
        retry=RetryPolicy(max_attempts=2, initial=0.01, maximum=0.02),
    )
    with pytest.raises(ServiceUnreachableError) as info:
        await client.submit(ImageToVideoRequest(prompt="x", image="https://cdn/x.png"))
    assert info.value.request_sent is False
    assert "Check the base URL" in str(info.value)


async def test_a_multi_megabyte_download_cut_midway_resumes_byte_exact(
    scripted: ScriptedServer, driver_factory: Any, tmp_path: Path
) -> None:
    payload = os.urandom(6 * 1024 * 1024 + 123)

    scripted.route("GET", "/out/v.mp4", Reply(200, payload, cut_after=2_500_000), ranged(payload))
    client = driver_factory(scripted.base_url)
    path = await client.download(f"{scripted.base_url}/out/v.mp4", tmp_path)
    assert path.read_bytes() == payload
    first, second = scripted.requests_to("GET", "/out/v.mp4")
    assert "range" not in first.headers
    assert second.headers["range"] == f"bytes={2_500_000}-"
    assert list(tmp_path.iterdir()) == [path]


async def test_background_writeback_windows_survive_a_cut_and_a_resume(
    scripted: ScriptedServer,
    driver_factory: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With a 256 KiB writeback window the helper thread runs many times before and after
    the cut; the file must still be byte-exact and the helper must not outlive it."""
    import threading

    from shared_client import download

    monkeypatch.setattr(download, "_WRITEBACK_WINDOW", 256 * 1024)
    payload = os.urandom(3 * 1024 * 1024 + 7)

    scripted.route("GET", "/out/w.mp4", Reply(200, payload, cut_after=1_300_000), ranged(payload))
    client = driver_factory(scripted.base_url)
    path = await client.download(f"{scripted.base_url}/out/w.mp4", tmp_path)
    assert path.read_bytes() == payload
    assert len(scripted.requests_to("GET", "/out/w.mp4")) == 2
    assert not [t for t in threading.enumerate() if t.name == "seedance-writeback"]


async def test_a_download_that_keeps_failing_leaves_no_file(
    scripted: ScriptedServer, driver_factory: Any, tmp_path: Path
) -> None:
    scripted.route("GET", "/out/v.mp4", Reply(200, b"x" * 100_000, cut_after=10))
    client = driver_factory(
        scripted.base_url, retry=RetryPolicy(max_attempts=3, initial=0.01, maximum=0.02)
    )
    with pytest.raises(DownloadError) as info:
        await client.download(f"{scripted.base_url}/out/v.mp4", tmp_path / "v.mp4")
    assert info.value.url.endswith("/out/v.mp4")
    assert list(tmp_path.iterdir()) == []


async def test_an_expired_output_is_a_typed_download_error(
    scripted: ScriptedServer, driver_factory: Any, tmp_path: Path
) -> None:
    scripted.route("GET", "/out/gone.mp4", Reply(404, b"Not Found"))
    client = driver_factory(scripted.base_url)
    with pytest.raises(DownloadError, match="404"):
        await client.download(f"{scripted.base_url}/out/gone.mp4", tmp_path)
    assert list(tmp_path.iterdir()) == []


async def test_the_key_is_never_sent_to_another_origin(driver_factory: Any, tmp_path: Path) -> None:
    with ScriptedServer() as api, ScriptedServer() as cdn:
        cdn.route("GET", "/v.mp4", Reply(200, b"video-bytes"))
        api.route("PUT", "/put", Reply(200))
        api.route(
            "POST",
            "/api/v3/media/uploads",
            ok(
                {
                    "download_url": f"{cdn.base_url}/img.png",
                    "upload": {"url": f"{api.base_url}/put?sig=1", "headers": {"x-amz-meta": "1"}},
                }
            ),
        )
        client = driver_factory(api.base_url)
        await client.download(f"{cdn.base_url}/v.mp4", tmp_path)
        await client.upload(b"\x89PNG\r\n\x1a\n" + b"0" * 32)
        assert "authorization" not in cdn.seen[0].headers
        [put] = api.requests_to("PUT", "/put")
        assert "authorization" not in put.headers
        assert put.headers["x-amz-meta"] == "1"
        assert put.body.startswith(b"\x89PNG")
        assert (
            api.requests_to("POST", "/api/v3/media/uploads")[0].headers["authorization"]
            == f"Bearer {API_KEY}"
        )


async def test_cancelling_an_async_download_stops_it_and_leaves_no_file(tmp_path: Path) -> None:
    import asyncio
    import threading

    from shared_client import AsyncSeedanceClient

    release = threading.Event()

    def slow(seen: Any) -> Reply:
        release.wait(10)
        return Reply(200, b"x" * 1_000_000)

    with ScriptedServer() as server:
        server.route("GET", "/slow.mp4", slow)
        async with AsyncSeedanceClient(api_key=API_KEY, base_url=server.base_url) as client:
            task = asyncio.create_task(client.download(f"{server.base_url}/slow.mp4", tmp_path))
            await asyncio.sleep(0.3)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            release.set()
            await asyncio.sleep(0.5)  # the worker thread notices the flag and cleans up
    assert list(tmp_path.iterdir()) == []
