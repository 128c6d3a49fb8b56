"""The ``seedance`` command run as a subprocess against one simulator per module.

Subprocesses are what scripts see: exit codes, stdout, stderr. The environment is built
from scratch (no stray WAVESPEED_* from the developer's shell); PYTHONPATH is the
repository root, so the command runs this checkout's code.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from seedance_simulator import Simulator

API_KEY = "sk-cli-test-key-0123456789"
ROOT = Path(__file__).resolve().parents[3]


@dataclass
class Result:
    code: int
    out: str
    err: str


def cli_env(base_url: str, key: str | None = API_KEY) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WAVESPEED_")}
    env["PYTHONPATH"] = str(ROOT)
    env["WAVESPEED_BASE_URL"] = base_url
    if key is not None:
        env["WAVESPEED_API_KEY"] = key
    return env


@pytest.fixture(scope="module")
def simulator() -> Iterator[Simulator]:
    with Simulator(api_key=API_KEY, generation_time=1.0, fast=True, seed=3) as sim:
        yield sim


@pytest.fixture
def sim(simulator: Simulator) -> Simulator:
    simulator.set_faults(seed=3)  # no keywords: back to no faults
    simulator.set_generation_time(1.0)
    simulator.reset_stats()
    return simulator


@pytest.fixture
def run(sim: Simulator, tmp_path: Path):  # type: ignore[no-untyped-def]
    def run(*args: str, key: str | None = API_KEY, timeout: float = 60) -> Result:
        proc = subprocess.run(
            [sys.executable, "-m", "shared_client.cli", *args],
            env=cli_env(sim.base_url, key),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    return run
