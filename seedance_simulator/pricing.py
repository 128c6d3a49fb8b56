"""`POST /api/v3/model/pricing`, and the quote a submit is held against.

Why: clients ask the price of a run before paying (the real pricing API is free and
authoritative); the simulator answers with its own copy of the formula
(`catalogue.run_price`) without fetching anything. The one input it cannot know is the
length of a video-edit input without `duration`: it probes the file when it is one of its
own uploads or outputs (or a data: URI), and otherwise quotes the 15 s cap.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from . import envelopes
from .catalogue import CURRENCY, ModelSpec, model_spec
from .context import CTX, SimContext
from .fetch import MediaUnavailable, local_media
from .jobs import billed_seconds
from .probe import NotAMedia, probe_video
from .validation import CODE_INVALID, CODE_MISSING, ValidationFailure, VideoInput, validate_body


async def _known_input_seconds(ctx: SimContext, vin: VideoInput) -> float | None:
    if vin.mode != "edit" or vin.duration is not None or not vin.video:
        return None
    try:
        data = local_media(ctx, vin.video)
    except MediaUnavailable:
        return None
    if data is None:
        return None
    try:
        return (await asyncio.to_thread(probe_video, data)).seconds
    except NotAMedia:
        return None


async def quote(ctx: SimContext, spec: ModelSpec, vin: VideoInput) -> float:
    """The price of one run of `vin` on `spec`, as far as it is known before fetching."""
    seconds = billed_seconds(vin, await _known_input_seconds(ctx, vin))
    return spec.price(vin.resolution, seconds)


async def model_pricing(request: web.Request) -> web.Response:
    """POST /api/v3/model/pricing {"model_id", "inputs"} -> {model_id, unit_price, currency}."""
    ctx = request.app[CTX]
    try:
        body: Any = await request.json()
    except ValueError:
        return envelopes.error(400, "invalid parameter body: malformed JSON", CODE_INVALID)
    if not isinstance(body, dict):
        return envelopes.error(400, "request body must be a JSON object", CODE_INVALID)
    model = body.get("model_id")
    if model in (None, ""):
        return envelopes.error(400, "missing required parameter: model_id", CODE_MISSING)
    spec = model_spec(model) if isinstance(model, str) else None
    if spec is None:
        return envelopes.error(
            400, f"invalid parameter model_id={model!r}: unknown model", CODE_INVALID
        )
    inputs = body.get("inputs", {})
    if not isinstance(inputs, dict):
        return envelopes.error(400, "invalid parameter inputs: must be a JSON object", CODE_INVALID)
    vin = validate_body(spec.path, inputs)
    if isinstance(vin, ValidationFailure):
        return envelopes.error(400, vin.message, vin.code)
    price = await quote(ctx, spec, vin)
    return envelopes.ok({"model_id": spec.path, "unit_price": price, "currency": CURRENCY})
