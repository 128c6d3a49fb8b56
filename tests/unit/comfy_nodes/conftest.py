"""Fixtures for the ComfyUI node package's unit tests (no ComfyUI needed)."""

from __future__ import annotations

import io
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import torch

from tests.support.comfy import load_fake_comfy_latest


@pytest.fixture
def fake_latest() -> ModuleType:
    """The tiny ``comfy_api.latest`` stand-in, loaded without touching ``sys.path``."""
    return load_fake_comfy_latest()


class FakeVideo:
    """A VIDEO as ComfyUI's ``VideoFromFile``: a path or BytesIO, an optional trim window,
    and ``save_to`` (which records that it had to write the video out)."""

    def __init__(self, source: Path | io.BytesIO, *, trimmed: bool = False) -> None:
        self.source = source
        self.trimmed = trimmed
        self.saved_to: list[str] = []

    def get_stream_source(self) -> Any:
        if isinstance(self.source, io.BytesIO):
            self.source.seek(0)
            return self.source
        return str(self.source)

    def get_active_trim_window(self) -> tuple[float, float]:
        return (0.5, 1.0) if self.trimmed else (0.0, 0.0)

    def save_to(self, path: str) -> None:
        self.saved_to.append(path)
        data = (
            self.source.getvalue()
            if isinstance(self.source, io.BytesIO)
            else Path(self.source).read_bytes()
        )
        Path(path).write_bytes(data)


def audio_value(seconds: float, rate: int = 8000, channels: int = 1) -> dict[str, Any]:
    """An AUDIO as LoadAudio gives it: a [batch, channels, samples] waveform and its rate."""
    t = torch.arange(int(seconds * rate), dtype=torch.float32) / rate
    tone = 0.5 * torch.sin(2 * torch.pi * 440 * t)
    return {"waveform": tone.repeat(1, channels, 1), "sample_rate": rate}
