"""One node execution as the runner sees it: a validated request, its identity, its result.

Why one type for every node: the runner decides money and waiting (cache, pay once, the
session cap, progress) the same way for text-to-video, image-to-video, extend and edit;
only the request differs. :class:`NodeJob` carries any of the core's four request types
and the fields its fingerprint covers, so nothing in the runner depends on the mode.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

from shared_client import (
    ImageToVideoRequest,
    TextToVideoRequest,
    VideoEditRequest,
    VideoExtendRequest,
)

from .media_inputs import media_digest
from .result_cache import request_fingerprint

__all__ = ["GenerationRequest", "GenerationResult", "NodeJob", "fingerprint_fields"]

GenerationRequest: TypeAlias = (
    TextToVideoRequest | ImageToVideoRequest | VideoExtendRequest | VideoEditRequest
)


def fingerprint_fields(request: GenerationRequest, widgets: Mapping[str, Any]) -> dict[str, Any]:
    """Model, prompt, every media field of the request (digests; None or [] when unset) and
    every widget value but the seed: everything that changes the paid request.

    For image-to-video this is exactly the recipe of the first node version (model,
    prompt, image, last_image, the five widgets), so indexes written by it stay valid.
    """
    fields: dict[str, Any] = {"model": request.model, "prompt": request.prompt}
    for name in request.MEDIA_FIELDS:
        fields[name] = media_digest(getattr(request, name))
    fields.update(widgets)
    return fields


@dataclass(frozen=True)
class NodeJob:
    """A validated request plus what identifies it: fingerprint fields and the seed."""

    request: GenerationRequest = field(repr=False)
    fields: Mapping[str, Any]
    seed: int

    def fingerprint(self, base_url: str | None) -> str:
        """Cache key: every paid parameter, media digests, seed and service URL; no key."""
        return request_fingerprint(
            {**self.fields, "seed": self.seed, "base_url": (base_url or "").rstrip("/")}
        )

    @property
    def billed_seconds(self) -> float:
        """Seconds the run bills (extend: the new seconds; edit: the input's length)."""
        return self.request.billed_seconds()


@dataclass(frozen=True)
class GenerationResult:
    """The finished video on disk, its URL, its price, and whether this run paid for it."""

    video_path: Path
    url: str
    prediction_id: str
    from_cache: bool
    model: str = ""
    seconds: float | None = None
    cost_usd: float | None = None
    cost_source: str | None = None
    currency: str | None = None
    #: True only when this execution sent the submit (a reuse or re-attach costs nothing).
    new_charge: bool = False

    def info(self) -> dict[str, Any]:
        """The node's JSON output: enough to log the run or name a saved file after it."""
        return {
            "prediction_id": self.prediction_id,
            "model": self.model,
            "seconds": self.seconds,
            "price_usd": self.cost_usd,
            "price_source": self.cost_source,
            "currency": self.currency,
            "video_url": self.url,
            "new_charge": self.new_charge,
        }

    def info_json(self) -> str:
        return json.dumps(self.info(), sort_keys=True)
