"""Fixed places in the repository that tests read or load."""

from __future__ import annotations

from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parents[1]
REPO_ROOT = TESTS_DIR.parent

#: The tiny ``comfy_api`` stand-in (benchmarks/bench_comfy_node.py loads it by this path too).
FAKE_COMFY_DIR = TESTS_DIR / "unit" / "comfy_nodes" / "fake_comfy"
FAKE_COMFY_LATEST = FAKE_COMFY_DIR / "comfy_api" / "latest" / "__init__.py"
