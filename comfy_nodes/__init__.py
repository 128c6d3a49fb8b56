"""ComfyUI entry point of the Seedance 2.0 node package (text-to-video with references,
image-to-video, video-extend, video-edit).

ComfyUI's loader (``nodes.load_custom_node``) takes ``NODE_CLASS_MAPPINGS`` *before*
``comfy_entrypoint``: a package exporting both is always loaded as V1. So exactly one
is exported: the V3 extension when ``comfy_api.latest`` imports, else the V1 mappings.
"""

from __future__ import annotations

from typing import Any

from .nodes import DISPLAY_NAMES, V1_CLASSES, load_v3, make_v3_classes

_latest = load_v3()

if _latest is not None:
    _, SeedanceExtension = make_v3_classes(_latest)

    async def comfy_entrypoint() -> Any:
        """Called (and awaited) by ComfyUI's loader; returns the ``ComfyExtension``."""
        return SeedanceExtension()

    __all__ = ["comfy_entrypoint"]
else:
    NODE_CLASS_MAPPINGS: dict[str, type] = dict(V1_CLASSES)
    NODE_DISPLAY_NAME_MAPPINGS: dict[str, str] = dict(DISPLAY_NAMES)
    __all__ = ["NODE_CLASS_MAPPINGS", "NODE_DISPLAY_NAME_MAPPINGS"]

#: Tells ComfyUI-Manager/registry tooling which API version this package was loaded as.
API_VERSION = "v3" if _latest is not None else "v1"
