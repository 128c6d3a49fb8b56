"""The ComfyUI node's socket values and the ``comfy_api.latest`` stand-in, for every suite."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType
from typing import Any

from .paths import FAKE_COMFY_LATEST

#: The widget values every node test starts from (the cheapest valid request).
NODE_WIDGETS: dict[str, Any] = {
    "model": "bytedance/seedance-2.0-mini/image-to-video",
    "resolution": "480p",
    "aspect_ratio": "auto",
    "duration": 4,
    "generate_audio": True,
    "enable_web_search": False,
}


def node_values(image: Any, prompt: str, seed: int, /, **overrides: Any) -> dict[str, Any]:
    """The node's inputs as ComfyUI passes them: ``image``, ``prompt``, the widgets, ``seed``.

    ``overrides`` replace any of them (``image=None`` included).
    """
    values: dict[str, Any] = {"image": image, "prompt": prompt, **NODE_WIDGETS, "seed": seed}
    values.update(overrides)
    return values


def load_fake_comfy_latest(module_name: str = "fake_comfy_api_latest") -> ModuleType:
    """The tiny ``comfy_api.latest`` stand-in, loaded by path without touching ``sys.path``."""
    spec = importlib.util.spec_from_file_location(module_name, FAKE_COMFY_LATEST)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module
