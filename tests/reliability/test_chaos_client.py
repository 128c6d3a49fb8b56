"""Chaos runs through ``AsyncSeedanceClient``: every fault kind at once, nothing paid twice.

The short run is part of ``make test``; the 1,000-generation run is the soak
(``make soak``). Both assert the same properties (see :mod:`.chaos`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from seedance_simulator import Simulator

from .chaos import run_chaos
from .results import record


def _assert_every_fault_kind_happened(report_faults: dict[str, int]) -> None:
    kinds = {"429", "500", "502", "503", "reset", "slow", "ambiguous_submit"}
    assert kinds <= set(report_faults), f"fault kinds never injected: {kinds - set(report_faults)}"


@pytest.mark.timeout(240)
async def test_100_generations_under_20pct_faults_end_completed_or_typed_and_none_twice(
    chaos_simulator: Simulator, tmp_path: Path
) -> None:
    report = await run_chaos(
        chaos_simulator, generations=100, concurrency=25, out_dir=tmp_path / "videos"
    )
    record("chaos_client_100", report.summary())
    assert report.violations == []
    _assert_every_fault_kind_happened(report.faults_injected)
    assert report.max_submissions_per_fingerprint == 1
    assert report.outcomes["done"] > 0
    assert sum(report.outcomes.values()) == 100


@pytest.mark.soak
@pytest.mark.timeout(1800)
async def test_1000_generations_under_20pct_faults_end_completed_or_typed_and_none_twice(
    chaos_simulator: Simulator, tmp_path: Path
) -> None:
    report = await run_chaos(
        chaos_simulator, generations=1000, concurrency=50, out_dir=tmp_path / "videos"
    )
    record("chaos_client_1000", report.summary())
    assert report.violations == []
    _assert_every_fault_kind_happened(report.faults_injected)
    assert report.max_submissions_per_fingerprint == 1
    assert sum(report.outcomes.values()) == 1000
