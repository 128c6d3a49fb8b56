"""Runs scripts/comfyui-e2e.sh against a real ComfyUI checkout named by ``COMFYUI_DIR``.

Skipped when ``COMFYUI_DIR`` is unset (CI has no ComfyUI). The script builds its own
virtualenv for ComfyUI once (minutes), then each run takes about a minute.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
COMFYUI_DIR = os.environ.get("COMFYUI_DIR", "")

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.comfy,
    pytest.mark.skipif(not COMFYUI_DIR, reason="set COMFYUI_DIR to a ComfyUI checkout"),
]


@pytest.mark.timeout(1800)
def test_seedance_node_in_a_real_headless_comfyui() -> None:
    proc = subprocess.run(
        ["bash", str(REPO / "scripts" / "comfyui-e2e.sh"), COMFYUI_DIR],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert "E2E PASSED" in proc.stdout
