"""ComfyUI entry point when this repository is cloned into ``ComfyUI/custom_nodes/``.

ComfyUI imports a cloned repository's root ``__init__.py`` by file path, so the packages
beside it (``shared_client``, ``comfy_nodes``) are not importable by name yet. This file
appends its own folder to ``sys.path`` (appended, so it never shadows ComfyUI's modules)
and re-exports whichever entry point ``comfy_nodes`` chose: ``comfy_entrypoint`` (V3) or
``NODE_CLASS_MAPPINGS`` (V1), never both.
"""

from __future__ import annotations

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.append(_HERE)


def _collected_by_pytest() -> bool:
    """pytest imports this file as the package of the ``conftest.py`` beside it: the core's
    tests must not pay for (or depend on) the node package. ComfyUI never has pytest
    loaded; the tests that load this file the way ComfyUI does run it in a fresh process."""
    return "_pytest" in sys.modules and "comfy_api" not in sys.modules


if _collected_by_pytest():
    __all__: list[str] = []
else:
    import comfy_nodes as _package  # (needs the sys.path entry above)

    if hasattr(_package, "comfy_entrypoint"):
        comfy_entrypoint = _package.comfy_entrypoint
        __all__ = ["comfy_entrypoint"]
    else:
        NODE_CLASS_MAPPINGS = _package.NODE_CLASS_MAPPINGS
        NODE_DISPLAY_NAME_MAPPINGS = _package.NODE_DISPLAY_NAME_MAPPINGS
        __all__ = ["NODE_CLASS_MAPPINGS", "NODE_DISPLAY_NAME_MAPPINGS"]
