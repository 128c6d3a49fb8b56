"""The node's execute path against the local simulator (real HTTP on 127.0.0.1)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import NoReturn

import pytest
import torch

from comfy_nodes import budget, settings
from seedance_simulator import Simulator
from tests.support.comfy import load_fake_comfy_latest

#: A recognisable key: tests search every output, file and log for it.
SENTINEL_KEY = "sk-SENTINEL-comfy-2b9e4d"


@pytest.fixture(scope="module")
def simulator() -> Iterator[Simulator]:
    with Simulator(api_key=SENTINEL_KEY, fast=True, generation_time=0.4) as sim:
        yield sim


@pytest.fixture
def node_env(simulator: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Configure the node the way a user would: environment only. Returns the cache dir."""
    cache = tmp_path / "seedance-cache"
    monkeypatch.setenv("WAVESPEED_API_KEY", SENTINEL_KEY)
    monkeypatch.setenv("WAVESPEED_BASE_URL", simulator.base_url)
    monkeypatch.setenv("SEEDANCE_COMFY_CACHE_DIR", str(cache))
    monkeypatch.setenv("SEEDANCE_POLL_INTERVAL", "0.1")
    simulator.set_generation_time(0.4)
    simulator.set_faults(failed_generation=0.0)
    simulator.reset_stats()
    budget._LEDGERS.clear()  # each test is a new ComfyUI session
    return cache


@pytest.fixture
def user_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Path]:
    """Write ``<ComfyUI user dir>/wavespeed.json`` as a user would; returns its path."""
    user = tmp_path / "user"
    user.mkdir()
    monkeypatch.setattr(settings, "comfy_user_directory", lambda: user)

    def write(**values: object) -> Path:
        path = user / "wavespeed.json"
        path.write_text(json.dumps(values))
        return path

    return write


@pytest.fixture(scope="module")
def fake_latest() -> ModuleType:
    return load_fake_comfy_latest("fake_comfy_api_latest_modes")


@pytest.fixture
def start_image() -> torch.Tensor:
    """A 64x48 gradient IMAGE batch of one, as LoadImage would produce."""
    ys = torch.linspace(0, 1, 48)[:, None, None]
    xs = torch.linspace(0, 1, 64)[None, :, None]
    rgb = torch.cat([xs.expand(48, 64, 1), ys.expand(48, 64, 1), (xs * ys).expand(48, 64, 1)], -1)
    return rgb[None, ...].contiguous()


class Interrupted(Exception):
    """What the test host raises where ComfyUI raises InterruptProcessingException."""


class RecordingHost:
    """Records progress; reports an interrupt once ``interrupt_after`` progress calls passed."""

    def __init__(self, interrupt_after: int | None = None) -> None:
        self.texts: list[str] = []
        self.fractions: list[float] = []
        self.interrupt_after = interrupt_after

    def show_progress(self, text: str, fraction: float | None) -> None:
        self.texts.append(text)
        if fraction is not None:
            self.fractions.append(fraction)

    def interrupt_requested(self) -> bool:
        return self.interrupt_after is not None and len(self.texts) > self.interrupt_after

    def raise_interrupted(self, message: str) -> NoReturn:
        self.texts.append(message)
        raise Interrupted(message)
