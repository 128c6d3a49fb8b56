"""Fixtures of the reliability suite, and the rule that keeps soak runs out of ``make test``.

Soak tests (``@pytest.mark.soak``) take minutes; they run with ``make soak`` (``-m soak``)
or when ``SEEDANCE_SOAK=1`` is set, and are skipped otherwise, so ``make test`` stays fast.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from seedance_simulator import Simulator

#: A key nobody would type: any occurrence of it outside the client's own headers is a leak.
SENTINEL_KEY = "sk-SENTINEL-7f3a9c2e-reliability-never-log-me"
_HERE = Path(__file__).resolve().parent


def soak_enabled(config: pytest.Config) -> bool:
    """True when the run asked for soak tests: ``-m soak`` (or an expression naming it)."""
    markexpr = str(config.getoption("-m") or "")
    return ("soak" in markexpr and "not soak" not in markexpr) or os.environ.get(
        "SEEDANCE_SOAK"
    ) == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if soak_enabled(config):
        return
    skip = pytest.mark.skip(reason="soak run: use `make soak` (-m soak) or SEEDANCE_SOAK=1")
    for item in items:
        if item.get_closest_marker("soak") and _HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(skip)


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
