"""The import contract in ``pyproject.toml`` covers every module of the core.

``lint-imports`` checks only the modules a contract names: a new module in no layer would
escape the layering silently. This test fails then, naming the module to place.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _contracts() -> dict[str, dict[str, object]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {c["id"]: c for c in config["tool"]["importlinter"]["contracts"]}


def _core_modules() -> set[str]:
    package = ROOT / "shared_client"
    found = {f"shared_client.{p.stem}" for p in package.glob("*.py") if p.stem != "__init__"}
    found |= {f"shared_client.{p.name}" for p in package.iterdir() if (p / "__init__.py").is_file()}
    return found


def _layered() -> set[str]:
    layers = _contracts()["core-layers"]["layers"]
    assert isinstance(layers, list)
    return {name.strip() for layer in layers for name in layer.split(":")}


def test_every_core_module_is_in_a_layer() -> None:
    missing = sorted(_core_modules() - _layered())
    assert not missing, f"place these modules in a layer of pyproject's core-layers: {missing}"
    unknown = sorted(_layered() - _core_modules())
    assert not unknown, f"core-layers names modules that do not exist: {unknown}"


def test_the_face_only_contract_forbids_every_module_behind_the_face() -> None:
    forbidden = set(_contracts()["face-only"]["forbidden_modules"])  # type: ignore[arg-type]
    behind = _layered() - {"shared_client.cli"}
    assert forbidden == behind, sorted(forbidden ^ behind)
