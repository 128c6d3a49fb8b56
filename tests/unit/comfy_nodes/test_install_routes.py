"""The install routes, loaded the way ComfyUI's ``nodes.load_custom_node`` loads them.

Each case runs in a fresh interpreter (module state and ``sys.modules`` must not leak
between routes) with a loader that mirrors ComfyUI's: the folder's ``__init__.py`` (or a
single file) is imported by *path* under a path-derived module name, then
``NODE_CLASS_MAPPINGS`` is taken first and ``comfy_entrypoint`` only otherwise.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import FAKE_COMFY_DIR, REPO_ROOT

LOADER = r"""
import asyncio, importlib.util, json, os, sys

target, hide_editable = sys.argv[1], sys.argv[2] == "1"
if hide_editable:  # a plain clone: the project is NOT pip-installed
    def pip_made(hook):
        return "__editable__" in getattr(hook, "__module__", "")
    sys.meta_path[:] = [f for f in sys.meta_path if not pip_made(f)]
    sys.path_hooks[:] = [h for h in sys.path_hooks if not pip_made(h)]
    sys.path_importer_cache.clear()
    assert importlib.util.find_spec("comfy_nodes") is None, "clone route must not rely on pip"

if os.path.isfile(target):
    name, init = os.path.splitext(target)[0], target
else:
    name, init = target.replace(".", "_x_"), os.path.join(target, "__init__.py")
spec = importlib.util.spec_from_file_location(name, init)
module = importlib.util.module_from_spec(spec)
sys.modules[name] = module
spec.loader.exec_module(module)

result = {"has_mappings": hasattr(module, "NODE_CLASS_MAPPINGS"),
          "has_entrypoint": hasattr(module, "comfy_entrypoint")}
if result["has_mappings"]:
    result["kind"] = "v1"
    result["nodes"] = sorted(module.NODE_CLASS_MAPPINGS)
    result["display"] = module.NODE_DISPLAY_NAME_MAPPINGS
elif result["has_entrypoint"]:
    async def load():
        extension = await module.comfy_entrypoint()
        await extension.on_load()
        return [n.define_schema().node_id for n in await extension.get_node_list()]
    result["kind"] = "v3"
    result["nodes"] = asyncio.run(load())
print(json.dumps(result))
"""


def _load(tmp_path: Path, target: Path, *, hide_editable: bool, with_comfy_api: bool) -> dict:
    script = tmp_path / "load_like_comfyui.py"
    script.write_text(LOADER)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if with_comfy_api:
        env["PYTHONPATH"] = str(FAKE_COMFY_DIR)
    proc = subprocess.run(
        [sys.executable, str(script), str(target), "1" if hide_editable else "0"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _custom_nodes(tmp_path: Path) -> Path:
    folder = tmp_path / "custom_nodes"
    folder.mkdir()
    return folder


@pytest.mark.parametrize("with_comfy_api", [False, True], ids=["v1-comfyui", "v3-comfyui"])
def test_clone_into_custom_nodes(tmp_path: Path, with_comfy_api: bool) -> None:
    clone = _custom_nodes(tmp_path) / "seedance-workflows"
    clone.symlink_to(REPO_ROOT, target_is_directory=True)
    result = _load(tmp_path, clone, hide_editable=True, with_comfy_api=with_comfy_api)
    _assert_exactly_one_entry_point(result, with_comfy_api)


@pytest.mark.parametrize("with_comfy_api", [False, True], ids=["v1-comfyui", "v3-comfyui"])
def test_pip_install_plus_link_to_the_package(tmp_path: Path, with_comfy_api: bool) -> None:
    import comfy_nodes

    link = _custom_nodes(tmp_path) / "seedance"
    link.symlink_to(Path(comfy_nodes.__file__).parent, target_is_directory=True)
    result = _load(tmp_path, link, hide_editable=False, with_comfy_api=with_comfy_api)
    _assert_exactly_one_entry_point(result, with_comfy_api)


def test_pip_install_plus_one_line_loader_file(tmp_path: Path) -> None:
    loader = _custom_nodes(tmp_path) / "seedance_loader.py"
    loader.write_text("from comfy_nodes import *  # noqa: F403\n")
    for with_comfy_api in (False, True):
        result = _load(tmp_path, loader, hide_editable=False, with_comfy_api=with_comfy_api)
        _assert_exactly_one_entry_point(result, with_comfy_api)


NODE_IDS = [
    "SeedanceTextToVideo",
    "SeedanceImageToVideo",
    "SeedanceVideoExtend",
    "SeedanceVideoEdit",
    "SeedanceLastFrame",
    "SeedanceConcatVideos",
    "SeedanceStoryboard",
]


def _assert_exactly_one_entry_point(result: dict, v3: bool) -> None:
    assert sorted(result["nodes"]) == sorted(NODE_IDS)
    if v3:  # ComfyUI would load a package exporting both as V1: it must export one
        assert result == {
            "has_mappings": False,
            "has_entrypoint": True,
            "kind": "v3",
            "nodes": NODE_IDS,
        }
    else:
        assert result["kind"] == "v1" and not result["has_entrypoint"]
        assert result["display"]["SeedanceImageToVideo"] == (
            "Seedance 2.0 Image to Video (WaveSpeed)"
        )
        assert result["display"]["SeedanceTextToVideo"] == "Seedance 2.0 Text to Video (WaveSpeed)"
        assert sorted(result["display"]) == sorted(NODE_IDS)
