"""Fixtures for the provider's unit tests: a real simulator on loopback and task contexts.

The connection comes from ``AIRFLOW_CONN_WAVESPEED_DEFAULT`` exactly as in production; no
Airflow metadata database is needed. The task context is a small stand-in holding what the
provider reads from it (``ti``, ``task_state_store``, ``outlet_events``).
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

pytest.importorskip("airflow")

from seedance_simulator import Simulator

API_KEY = "unit-test-secret-key-1234"


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


def set_connection(monkeypatch: pytest.MonkeyPatch, conn_id: str, **fields: Any) -> None:
    """Define a connection through the environment, the way the demo and e2e do."""
    monkeypatch.setenv(
        f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps({"conn_type": "wavespeed", **fields})
    )


@pytest.fixture
def wavespeed_conn(sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> str:
    set_connection(monkeypatch, "wavespeed_default", password=API_KEY, host=sim.base_url)
    return "wavespeed_default"


@pytest.fixture
def product_image(tmp_path: Path) -> Path:
    """A real PNG on disk (the simulator renders the video from it)."""
    path = tmp_path / "product.png"
    Image.new("RGB", (96, 64), (200, 40, 90)).save(path)
    return path


@pytest.fixture
def png_bytes() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 120, 200)).save(buf, format="PNG")
    return buf.getvalue()


class FakeStateStore:
    """``task_state_store`` as Airflow 3.3 exposes it: get/set/delete per task instance."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def set(self, key: str, value: Any, **_: Any) -> None:
        self.data[key] = value

    def delete(self, key: str) -> None:
        self.data.pop(key, None)


class FakeTI:
    """The task-instance surface the provider touches: identity and ``xcom_push``."""

    def __init__(self, task_id: str = "generate", map_index: int = -1) -> None:
        self.dag_id = "unit_dag"
        self.run_id = "manual__unit"
        self.task_id = task_id
        self.map_index = map_index
        self.try_number = 1
        self.xcom: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any, **_: Any) -> None:
        json.dumps(value)  # XCom values must be JSON-serialisable
        self.xcom[key] = value


class OutletEvents(dict):  # type: ignore[type-arg]
    """``outlet_events``: an accessor per outlet whose ``extra`` the task sets."""

    def __missing__(self, key: Any) -> Any:
        accessor = type("Accessor", (), {"extra": None})()
        self[key] = accessor
        return accessor


@pytest.fixture
def context() -> dict[str, Any]:
    return {
        "ti": FakeTI(),
        "task_state_store": FakeStateStore(),
        "outlet_events": OutletEvents(),
        "ds": "2026-01-02",
    }


def decode_video(path: str | os.PathLike[str]) -> int:
    """Decode every frame with PyAV; return the frame count (fails on a broken file)."""
    import av

    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


@pytest.fixture
def decode() -> Any:
    return decode_video


@pytest.fixture
def make_conn(monkeypatch: pytest.MonkeyPatch) -> Any:
    def make(conn_id: str, **fields: Any) -> str:
        set_connection(monkeypatch, conn_id, **fields)
        return conn_id

    return make


@pytest.fixture
def memory_store() -> str:
    """Register fsspec's in-memory filesystem as Airflow object storage (scheme ``memory``).

    It stands in for s3:// or gs://: same ``ObjectStoragePath`` code path, no network.
    """
    import fsspec

    try:
        from airflow.sdk.io import attach
    except ImportError:  # Airflow 2
        from airflow.io.store import attach
    attach(protocol="memory", fs=fsspec.filesystem("memory"))
    return "memory"
