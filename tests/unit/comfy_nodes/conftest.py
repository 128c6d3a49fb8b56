"""Fixtures for the ComfyUI node package's unit tests (no ComfyUI needed)."""

from __future__ import annotations

from types import ModuleType

import pytest

from tests.support.comfy import load_fake_comfy_latest


@pytest.fixture
def fake_latest() -> ModuleType:
    """The tiny ``comfy_api.latest`` stand-in, loaded without touching ``sys.path``."""
    return load_fake_comfy_latest()
