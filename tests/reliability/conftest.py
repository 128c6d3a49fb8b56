"""Fixtures of the reliability suite (soak tests are skipped by the root ``conftest.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from seedance_simulator import Simulator

#: A key nobody would type: any occurrence of it outside the client's own headers is a leak.
SENTINEL_KEY = "sk-SENTINEL-7f3a9c2e-reliability-never-log-me"


@pytest.fixture
def sentinel_key() -> str:
    return SENTINEL_KEY


@pytest.fixture
def chaos_simulator(tmp_path: Path) -> Iterator[Simulator]:
    """A fresh simulator per test: its counters then describe that test's run alone."""
    with Simulator(
        api_key=SENTINEL_KEY,
        generation_time=1.0,
        fast=True,
        seed=20261124,
        output_dir=tmp_path / "sim-outputs",
        render_workers=2,
    ) as sim:
        yield sim
