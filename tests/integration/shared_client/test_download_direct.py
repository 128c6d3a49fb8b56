"""Large downloads read straight from the connection, over real HTTP on 127.0.0.1.

Why: past the first chunk, a large plain HTTP/1.1 body bypasses h11's parser (2.7x less
CPU per GiB, benchmark 4). These tests hold what that must not break: the file is byte
exact, the path is really taken, the connection it used is never handed to the next
request, and a cut in the middle resumes with ``Range`` (again on the direct path).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from shared_client import download

from .scripted_server import Reply, ScriptedServer, ranged

MIB = 1024 * 1024


@pytest.fixture
def direct_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The body offset at which each response switched to the direct path."""
    taken: list[int] = []
    decide = download._direct_stream

    def spy(response: Any, body_received: int) -> Any:
        stream = decide(response, body_received)
        if stream is not None:
            taken.append(body_received)
        return stream

    monkeypatch.setattr(download, "_direct_stream", spy)
    return taken


async def test_large_bodies_take_the_direct_path_and_the_next_download_is_unharmed(
    scripted: ScriptedServer, driver_factory: Any, tmp_path: Path, direct_calls: list[int]
) -> None:
    first, second = os.urandom(9 * MIB + 5), os.urandom(7 * MIB + 3)
    small = os.urandom(300_000)
    scripted.route("GET", "/out/a.mp4", Reply(200, first))
    scripted.route("GET", "/out/b.mp4", Reply(200, second))
    scripted.route("GET", "/out/c.mp4", Reply(200, small))
    client = driver_factory(scripted.base_url)
    a = await client.download(f"{scripted.base_url}/out/a.mp4", tmp_path / "a.mp4")
    # The same client again: a connection whose body h11 never saw end must not be reused.
    b = await client.download(f"{scripted.base_url}/out/b.mp4", tmp_path / "b.mp4")
    c = await client.download(f"{scripted.base_url}/out/c.mp4", tmp_path / "c.mp4")
    assert a.read_bytes() == first
    assert b.read_bytes() == second
    assert c.read_bytes() == small
    assert len(direct_calls) == 2  # a and b, not the 300 kB c
    assert all(len(scripted.requests_to("GET", p)) == 1 for p in ("/out/a.mp4", "/out/b.mp4"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mp4", "b.mp4", "c.mp4"]


async def test_a_cut_on_the_direct_path_resumes_with_range_byte_exact(
    scripted: ScriptedServer, driver_factory: Any, tmp_path: Path, direct_calls: list[int]
) -> None:
    payload = os.urandom(20 * MIB + 11)
    cut = 9 * MIB + 1234
    scripted.route("GET", "/out/v.mp4", Reply(200, payload, cut_after=cut), ranged(payload))
    client = driver_factory(scripted.base_url)
    path = await client.download(f"{scripted.base_url}/out/v.mp4", tmp_path)
    assert path.read_bytes() == payload
    first, second = scripted.requests_to("GET", "/out/v.mp4")
    assert "range" not in first.headers
    assert second.headers["range"] == f"bytes={cut}-"
    assert len(direct_calls) == 2  # the cut body and the 11 MiB remainder
    assert list(tmp_path.iterdir()) == [path]
