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

import comfy_nodes as _package  # noqa: E402  (needs the sys.path entry above)

if hasattr(_package, "comfy_entrypoint"):
    comfy_entrypoint = _package.comfy_entrypoint
    __all__ = ["comfy_entrypoint"]
else:
    NODE_CLASS_MAPPINGS = _package.NODE_CLASS_MAPPINGS
    NODE_DISPLAY_NAME_MAPPINGS = _package.NODE_DISPLAY_NAME_MAPPINGS
    __all__ = ["NODE_CLASS_MAPPINGS", "NODE_DISPLAY_NAME_MAPPINGS"]
