"""Fixtures shared by every test folder: small real images, and no stray credentials.

The builders behind them live in ``tests/support`` (see its docstring for how that package
is imported under ``--import-mode=importlib``).
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path


def _make_tests_support_importable() -> None:
    """``tests.support`` is found through the ``tests`` namespace pytest creates when the
    rootdir is the repository root; with another rootdir, use the repository root on
    ``sys.path`` instead (appended, so installed packages keep precedence)."""
    try:
        importlib.import_module("tests.support")
    except ModuleNotFoundError:
        sys.path.append(str(Path(__file__).resolve().parents[1]))
        importlib.invalidate_caches()


_make_tests_support_importable()

import pytest  # noqa: E402

from tests.support.media import make_png  # noqa: E402


@pytest.fixture
def png_bytes() -> bytes:
    return make_png()


@pytest.fixture
def png_path(tmp_path: Path, png_bytes: bytes) -> Path:
    path = tmp_path / "start.png"
    path.write_bytes(png_bytes)
    return path


@pytest.fixture(autouse=True)
def _no_ambient_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never pick up a developer's real key or base URL from the environment."""
    monkeypatch.delenv("WAVESPEED_API_KEY", raising=False)
    monkeypatch.delenv("WAVESPEED_BASE_URL", raising=False)
