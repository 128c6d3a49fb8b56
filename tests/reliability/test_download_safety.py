"""Safety of what comes back from the service: redirects, schemes, file names, sizes, TLS.

A compromised or buggy API (or CDN) decides the URLs and bodies the client consumes;
none of that may make the client read local files, write outside its folder, buffer
without bound, loop forever, or stop checking certificates. Both clients are tested.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from collections.abc import AsyncIterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from shared_client import (
    AsyncSeedanceClient,
    DownloadError,
    InvalidResponseError,
    Prediction,
    PredictionStatus,
    SeedanceClient,
    SeedanceError,
    ServiceUnreachableError,
)
from shared_client.protocol import MAX_ENVELOPE_BYTES
from tests.support.clients import QUICK_RETRY as QUICK
from tests.support.clients import AnyClient, ClientDriver, build_client, close_clients
from tests.support.media import fake_mp4
from tests.support.net import send

from .loopback import LoopbackServer, redirect

KEY = "sk-safety-test-key"
VIDEO = fake_mp4(40)


@pytest.fixture(params=["sync", "async"])
async def make_client(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """``make(base_url, **options)``: a driver over a sync or an async client."""
    made: list[AnyClient] = []

    def make(base_url: str, **options: Any) -> ClientDriver:
        options.setdefault("retry", QUICK)
        client = build_client(request.param, api_key=KEY, base_url=base_url, **options)
        made.append(client)
        return ClientDriver(client)

    yield make
    await close_clients(made)


def video(handler: BaseHTTPRequestHandler) -> None:
    send(handler, 200, VIDEO, {"Content-Type": "video/mp4"})


def hop(n: int) -> Any:
    """A chain of redirects: /hop/n -> /hop/n-1 -> ... -> /v.mp4."""

    def handle(handler: BaseHTTPRequestHandler) -> None:
        left = int(handler.path.rsplit("/", 1)[1])
        target = "/v.mp4" if left <= 1 else f"/hop/{left - 1}"
        send(handler, 302, b"", {"Location": target})

    return handle


# -- redirects -----------------------------------------------------------------------------


async def test_a_short_redirect_chain_is_followed(make_client: Any, tmp_path: Path) -> None:
    with LoopbackServer({"/hop/": hop(0), "/v.mp4": video}) as server:
        client = make_client(server.base_url)
        path = await client.call("download", f"{server.base_url}/hop/3", tmp_path / "v.mp4")
        assert path.read_bytes() == VIDEO


async def test_a_redirect_loop_on_a_download_is_a_typed_error_and_stops(
    make_client: Any, tmp_path: Path
) -> None:
    """BUG (shared_client/client.py): httpx.TooManyRedirects is not an httpx.TransportError,
    so it escapes the drivers untyped. Expected: a DownloadError, no file, bounded requests."""
    with LoopbackServer({"/loop": redirect("/loop")}) as server:
        client = make_client(server.base_url)
        with pytest.raises(SeedanceError) as info:
            await client.call("download", f"{server.base_url}/loop", tmp_path / "v.mp4")
        assert isinstance(info.value, DownloadError)
        assert list(tmp_path.iterdir()) == []
        # at most max_redirects (5) + 1 requests per attempt, and few attempts
        assert len(server.hits) <= 6 * QUICK.max_attempts


async def test_a_redirect_loop_on_the_result_endpoint_is_a_typed_error(
    make_client: Any,
) -> None:
    """Same bug on a JSON read: the result GET must fail with a SeedanceError, not httpx's."""
    with LoopbackServer({"/api/v3/predictions/": redirect("/api/v3/predictions/p/result")}) as s:
        client = make_client(s.base_url)
        with pytest.raises(SeedanceError):
            await client.call("get_prediction", "p")


async def test_a_redirect_to_a_local_file_is_refused_and_nothing_is_read(
    make_client: Any, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("local secret")
    dest = tmp_path / "out"
    with LoopbackServer({"/v.mp4": redirect(secret.as_uri())}) as server:
        client = make_client(server.base_url)
        with pytest.raises(DownloadError) as info:
            await client.call("download", f"{server.base_url}/v.mp4", dest / "v.mp4")
        assert "unsupported protocol 'file://'" in str(info.value)
        assert list(dest.iterdir()) == [] if dest.exists() else True


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://127.0.0.1/v.mp4", "gopher://x/1", "//cdn/v.mp4"]
)
async def test_outputs_with_other_schemes_are_refused_before_any_request(
    make_client: Any, tmp_path: Path, url: str
) -> None:
    prediction = Prediction(id="p1", status=PredictionStatus.COMPLETED, outputs=[url])
    client = make_client("http://127.0.0.1:9")
    with pytest.raises(DownloadError, match="only http"):
        await client.call("download", prediction, tmp_path)
    assert list(tmp_path.iterdir()) == []


# -- file names ----------------------------------------------------------------------------

HOSTILE_PATHS = [
    "/..%2F..%2Fescaped.mp4",
    "/%2e%2e/%2e%2e/escaped.mp4",
    "/a/..%5C..%5Cescaped.mp4",
    "/%2Fetc%2Fpasswd",
    "/.bashrc",
    "/" + "A" * 400 + ".mp4",
]


@pytest.mark.parametrize("url_path", HOSTILE_PATHS)
async def test_a_hostile_output_name_never_writes_outside_the_folder(
    make_client: Any, tmp_path: Path, url_path: str
) -> None:
    folder = tmp_path / "deep" / "out"
    folder.mkdir(parents=True)
    with LoopbackServer({"/": video}) as server:
        client = make_client(server.base_url)
        path = await client.call("download", f"{server.base_url}{url_path}", folder)
    assert path.resolve().parent == folder.resolve()
    assert not path.name.startswith(".")
    assert path.read_bytes() == VIDEO
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written == [path]


@pytest.mark.parametrize("pid", ["../../escaped", "/etc/passwd", "..", "a/../../b", "\\..\\x"])
async def test_a_hostile_prediction_id_never_writes_outside_the_folder(
    make_client: Any, tmp_path: Path, pid: str
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    with LoopbackServer({"/": video}) as server:
        client = make_client(server.base_url)
        prediction = Prediction(
            id=pid, status=PredictionStatus.COMPLETED, outputs=[f"{server.base_url}/v.mp4"]
        )
        [path] = await client.call("download_all", prediction, folder)
    assert path.resolve().parent == folder.resolve()
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == [path]


# -- body sizes ----------------------------------------------------------------------------


def endless_json(handler: BaseHTTPRequestHandler) -> None:
    """A 200 JSON envelope that never ends (chunked): a client must stop reading."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    chunk = b'{"code":200,"data":{"id":"' + b"x" * 65536
    sent = 0
    try:
        while sent < 512 * 1024 * 1024:
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sent += len(chunk)
            chunk = b"x" * 65536
    except OSError:
        pass
    handler.server.bytes_sent = sent  # type: ignore[attr-defined]


async def test_an_endless_json_body_is_cut_at_the_cap_with_a_typed_error(
    make_client: Any,
) -> None:
    with LoopbackServer({"/api/v3/predictions/": endless_json}) as server:
        client = make_client(server.base_url)
        started = time.monotonic()
        with pytest.raises(InvalidResponseError) as info:
            await client.call("get_prediction", "p")
        elapsed = time.monotonic() - started
        await asyncio.sleep(0.3)
        sent = getattr(server._httpd, "bytes_sent", None)
    assert info.value.status_code == 200
    assert elapsed < 20
    # the server could push at most the cap plus what socket buffers hold, not 512 MB
    assert sent is not None and sent < MAX_ENVELOPE_BYTES + 32 * 1024 * 1024


async def test_an_oversized_but_finite_envelope_is_refused_not_parsed(make_client: Any) -> None:
    big = json.dumps({"code": 200, "data": {"id": "p", "pad": "x" * (MAX_ENVELOPE_BYTES + 1)}})

    def handle(handler: BaseHTTPRequestHandler) -> None:
        send(handler, 200, big.encode(), {"Content-Type": "application/json"})

    with LoopbackServer({"/api/v3/predictions/": handle}) as server:
        client = make_client(server.base_url)
        with pytest.raises(InvalidResponseError, match="expected a JSON envelope"):
            await client.call("get_prediction", "p")


# -- TLS -----------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [SeedanceClient, AsyncSeedanceClient])
def test_tls_verification_is_on_by_default(cls: Any) -> None:
    client = cls(api_key=KEY, base_url="https://api.example.invalid")
    context = client._http._transport._pool._ssl_context
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname is True


async def test_a_self_signed_server_is_rejected_unless_verification_is_turned_off(
    make_client: Any, tmp_path: Path
) -> None:
    def result(handler: BaseHTTPRequestHandler) -> None:
        body = json.dumps({"code": 200, "data": {"id": "p", "status": "processing"}})
        send(handler, 200, body.encode(), {"Content-Type": "application/json"})

    with LoopbackServer({"/api/v3/predictions/": result}, tls_dir=tmp_path) as server:
        strict = make_client(server.base_url)
        with pytest.raises(ServiceUnreachableError, match="CERTIFICATE_VERIFY_FAILED"):
            await strict.call("get_prediction", "p")
        relaxed = make_client(server.base_url, verify=False)
        assert (await relaxed.call("get_prediction", "p")).id == "p"


def test_the_airflow_connection_keeps_tls_on_unless_explicitly_off() -> None:
    hook = pytest.importorskip("airflow_provider_seedance.hooks.seedance")
    for extra in ({}, {"verify_ssl": None}, {"verify_ssl": ""}, {"verify_ssl": "true"}):
        assert "verify" not in hook.settings_from("k", "h", None, None, extra).client_kwargs()
    for off in (False, "false", "False ", "0", "no", "off"):
        kwargs = hook.settings_from("k", "h", None, None, {"verify_ssl": off}).client_kwargs()
        assert kwargs["verify"] is False
