"""Fixtures for the ComfyUI node package's unit tests (no ComfyUI needed)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

FAKE_COMFY_DIR = Path(__file__).parent / "fake_comfy"
REPO_ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def fake_latest() -> ModuleType:
    """The tiny ``comfy_api.latest`` stand-in, loaded without touching ``sys.path``."""
    path = FAKE_COMFY_DIR / "comfy_api" / "latest" / "__init__.py"
    spec = importlib.util.spec_from_file_location("fake_comfy_api_latest", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module
