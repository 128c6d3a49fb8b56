"""Start-up shim for running ComfyUI on a CPU-only torch (used by scripts/comfyui-e2e.sh only).

The torchvision wheel matching torch 2.13.0 on PyPI is a CUDA build whose compiled ops
cannot load next to the CPU torch; ``import torchvision`` then dies in
``_meta_registrations`` with ``operator torchvision::nms does not exist``, and ComfyUI
imports torchvision at start-up. Declaring the two op schemas that module registers fake
kernels for (unconditionally) lets the import finish. Calling ``nms`` still fails
loudly (no kernel); the e2e graph never does.
"""

from __future__ import annotations

try:
    import torch

    _LIB = torch.library.Library("torchvision", "DEF")  # kept alive for the process
    for _name in ("nms", "qnms"):
        _LIB.define(f"{_name}(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
except Exception:  # a torchvision that loads its own ops defines them first: nothing to do
    pass
