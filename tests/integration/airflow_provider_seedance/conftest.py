"""Fixtures for the provider's unit tests: a real simulator on loopback and task contexts.

The connection comes from ``AIRFLOW_CONN_WAVESPEED_DEFAULT`` exactly as in production; no
Airflow metadata database is needed. The task context is a small stand-in holding what the
provider reads from it (``ti``, ``task_state_store``, ``outlet_events``): see
``tests/support/airflow.py``. Helpers the per-module test files share (``make_op``,
``submit``, ``wait_completed``, ``API_KEY``) are in ``tests/support/provider.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("airflow")

from seedance_simulator import Simulator
from tests.support.airflow import attach_memory_store, set_connection, task_context
from tests.support.media import count_frames, pil_png, save_png
from tests.support.provider import API_KEY


@pytest.fixture(autouse=True)
def _airflow_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keep Airflow's files out of ``~/airflow`` and the repo."""
    home = tmp_path_factory.getbasetemp() / "airflow-home"
    home.mkdir(exist_ok=True)
    monkeypatch.setenv("AIRFLOW_HOME", str(home))
    monkeypatch.setenv("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    monkeypatch.delenv("WAVESPEED_API_KEY", raising=False)
    monkeypatch.delenv("WAVESPEED_BASE_URL", raising=False)


@pytest.fixture(scope="session")
def simulator() -> Iterator[Simulator]:
    with Simulator(api_key=API_KEY, generation_time=0.6, fast=True) as sim:
        yield sim


@pytest.fixture
def sim(simulator: Simulator) -> Iterator[Simulator]:
    """The shared simulator with faults off, fast generations and fresh counters."""
    simulator.set_faults()
    simulator.set_generation_time(0.6)
    simulator.reset_stats()
    yield simulator
    simulator.set_faults()


@pytest.fixture
def wavespeed_conn(sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> str:
    set_connection(monkeypatch, "wavespeed_default", password=API_KEY, host=sim.base_url)
    return "wavespeed_default"


@pytest.fixture
def product_image(tmp_path: Path) -> Path:
    """A real PNG on disk (the simulator renders the video from it)."""
    return save_png(tmp_path / "product.png", (96, 64), (200, 40, 90))


@pytest.fixture
def png_bytes() -> bytes:
    return pil_png((64, 64), (10, 120, 200))


@pytest.fixture
def context() -> dict[str, Any]:
    return task_context()


@pytest.fixture
def decode() -> Any:
    """Decode every frame of a video file; returns the frame count."""
    return count_frames


@pytest.fixture
def make_conn(monkeypatch: pytest.MonkeyPatch) -> Any:
    def make(conn_id: str, **fields: Any) -> str:
        set_connection(monkeypatch, conn_id, **fields)
        return conn_id

    return make


@pytest.fixture
def memory_store() -> str:
    """fsspec's in-memory filesystem as Airflow object storage (scheme ``memory``)."""
    return attach_memory_store()


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    """A real 2 s H.264 MP4 with sound (8 fps): the input of extend and edit."""
    from tests.support.media import write_mp4

    path = tmp_path / "clip.mp4"
    write_mp4(path, frames=16, fps=8, with_audio=True)
    return path


@pytest.fixture
def character(tmp_path: Path) -> Path:
    """A character reference image on disk."""
    return save_png(tmp_path / "character.png", (64, 96), (30, 160, 90))


@pytest.fixture
def voice(tmp_path: Path) -> Path:
    """A 2 s WAV reference on disk."""
    from tests.support.media import wav_bytes

    path = tmp_path / "voice.wav"
    path.write_bytes(wav_bytes(2.0))
    return path
