"""A task's life: created -> processing -> completed/failed over `generation_time`.

Why: clients must see the in-flight statuses, a failure that only shows after submit
(unreachable image: code 1402; injected generation failures), and a completed task whose
output URL serves a real video. Rendering runs in worker threads and is cached by
(image bytes, parameters), so 1,000 identical generations render once.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import time
from pathlib import Path
from urllib.parse import unquote_to_bytes, urlsplit

import aiohttp

from . import webhooks
from .context import SimContext
from .faults import FAILURE_MESSAGES
from .render import (
    NotAnImage,
    RenderParams,
    decode_image,
    motion_from_prompt,
    placeholder_image,
    render_key,
    render_mp4,
)
from .state import Task
from .validation import VideoInput

logger = logging.getLogger(__name__)

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
MAX_IMAGE_BYTES = 50 * 1024 * 1024
CODE_MEDIA_UNREACHABLE = 1402


class MediaUnavailable(Exception):
    """The image URL could not be fetched or is not an image (task fails with 1402)."""


def decode_data_uri(uri: str) -> bytes:
    header, _, payload = uri.partition(",")
    try:
        if header.endswith(";base64"):
            return base64.b64decode(payload, validate=True)
        return unquote_to_bytes(payload)
    except (binascii.Error, ValueError) as exc:
        raise MediaUnavailable(f"invalid data URI: {exc}") from exc


async def fetch_media(ctx: SimContext, url: str) -> bytes:
    """Bytes behind an image URL: a data: URI, our own upload, or a loopback http URL.

    Other hosts are refused: the simulator is offline by design and never reaches out.
    """
    if url.startswith("data:"):
        return decode_data_uri(url)
    parts = urlsplit(url)
    own = urlsplit(ctx.base_url)
    if parts.netloc == own.netloc and parts.path.startswith("/media/"):
        upload_id = parts.path.split("/")[2]
        upload = ctx.state.uploads.get(upload_id)
        if upload is None or upload.data is None:
            raise MediaUnavailable(f"uploaded media {upload_id} not found")
        return upload.data
    if (parts.hostname or "") not in LOOPBACK_HOSTS:
        raise MediaUnavailable(f"host {parts.hostname!r} is not reachable from the simulator")
    assert ctx.session is not None
    try:
        async with ctx.session.get(url, timeout=aiohttp.ClientTimeout(total=15)) as resp:
            if resp.status != 200:
                raise MediaUnavailable(f"HTTP {resp.status} fetching the image")
            data = await resp.content.read(MAX_IMAGE_BYTES + 1)
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise MediaUnavailable(f"{type(exc).__name__}: {exc}") from exc
    if len(data) > MAX_IMAGE_BYTES:
        raise MediaUnavailable("image larger than 50 MB")
    return data


def _render_job(
    image_bytes: bytes | None,
    last_bytes: bytes | None,
    prompt: str,
    params: RenderParams,
    dest: Path,
) -> Path:
    """Worker-thread body: decode the images (non-images raise) and encode the video."""
    if dest.exists():
        return dest
    image = decode_image(image_bytes) if image_bytes is not None else placeholder_image(prompt)
    last = decode_image(last_bytes) if last_bytes is not None else None
    return render_mp4(image, params, dest, last_image=last)


async def render_cached(
    ctx: SimContext, vin: VideoInput, image_bytes: bytes | None, last_bytes: bytes | None
) -> Path:
    params = RenderParams(
        resolution=vin.resolution,
        aspect_ratio=vin.aspect_ratio,
        duration=vin.duration,
        generate_audio=vin.generate_audio,
        motion=motion_from_prompt(vin.prompt),
        fast=ctx.config.fast,
    )
    source = image_bytes if image_bytes is not None else b"prompt:" + vin.prompt.encode()
    key = render_key(source, last_bytes, params)
    future = ctx.render_cache.get(key)
    if future is None:
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(
            ctx.executor,
            _render_job,
            image_bytes,
            last_bytes,
            vin.prompt,
            params,
            ctx.output_dir / f"{key}.mp4",
        )
        ctx.render_cache[key] = future
        ctx.state.stats.incr("renders")
    try:
        return await asyncio.shield(future)
    except Exception:
        ctx.render_cache.pop(key, None)  # do not cache failures
        raise


def _finish(ctx: SimContext, task: Task) -> None:
    task.completed_monotonic = time.monotonic()
    task.inference_ms = int((task.completed_monotonic - task.created_monotonic) * 1000)
    event = ctx.done_events.get(task.id)
    if event is not None:
        event.set()
    if task.webhook:
        ctx.spawn(_deliver_webhook(ctx, task))


def _fail(ctx: SimContext, task: Task, code: int, message: str) -> None:
    task.status, task.error, task.error_code = "failed", message, code
    logger.info("task %s failed (%s): %s", task.id, code, message)
    _finish(ctx, task)


async def _deliver_webhook(ctx: SimContext, task: Task) -> None:
    assert ctx.session is not None and task.webhook
    data = task.to_data(ctx.base_url)
    data["input"] = task.input
    if await webhooks.deliver(ctx.session, task.webhook, ctx.config.webhook_secret, data):
        ctx.state.stats.incr("webhook_deliveries")


async def run_task(ctx: SimContext, task: Task, vin: VideoInput, failure_code: int | None) -> None:
    """Drive one task to a terminal status; never raises (failures become task state)."""
    gen = ctx.config.generation_time
    deadline = task.created_monotonic + gen
    try:
        await asyncio.sleep(min(gen * 0.1, 0.5))
        task.status = "processing"
        try:
            image = await fetch_media(ctx, vin.image) if vin.image else None
            last = await fetch_media(ctx, vin.last_image) if vin.last_image else None
        except MediaUnavailable as exc:
            _fail(ctx, task, CODE_MEDIA_UNREACHABLE, f"{FAILURE_MESSAGES[1402]}: {exc}")
            return
        if failure_code is not None:
            await asyncio.sleep(max(0.0, deadline - time.monotonic()))
            _fail(ctx, task, failure_code, FAILURE_MESSAGES.get(failure_code, "Generation failed"))
            return
        try:
            path = await render_cached(ctx, vin, image, last)
        except NotAnImage as exc:
            _fail(ctx, task, CODE_MEDIA_UNREACHABLE, f"The media is not a valid image: {exc}")
            return
        # Claim the render now: a sweep while the task waits for its deadline must keep it.
        task.output_file = path
        await asyncio.sleep(max(0.0, deadline - time.monotonic()))
        task.outputs = [f"{ctx.base_url}/outputs/{task.id}.mp4"]
        task.status = "completed"
        _finish(ctx, task)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # a simulator bug must still end the task, visibly
        logger.exception("task %s crashed", task.id)
        _fail(ctx, task, 5000, f"Internal server error: {type(exc).__name__}")


def sweep_expired(ctx: SimContext) -> int:
    """Delete rendered files no unexpired task still serves; returns how many were removed.

    Why: a long soak run would otherwise fill the disk with outputs nobody may download.
    """
    now = time.monotonic()
    retention = ctx.config.retention
    live: set[Path] = set()
    for task in ctx.state.tasks.values():
        if task.output_file is None:
            continue
        if task.completed_monotonic is not None and now - task.completed_monotonic > retention:
            task.output_file = None  # expired: the output URL now answers 410
        else:
            live.add(task.output_file)
    removed = 0
    for key, future in list(ctx.render_cache.items()):
        if not future.done() or future.cancelled() or future.exception() is not None:
            continue
        path = future.result()
        if path not in live:
            ctx.render_cache.pop(key, None)
            path.unlink(missing_ok=True)
            removed += 1
    for upload_id, upload in list(ctx.state.uploads.items()):
        if upload.data is not None and now - upload.created_monotonic > retention:
            ctx.state.uploads.pop(upload_id, None)
            ctx.state.uploads_by_token.pop(upload.token, None)
    return removed


async def sweep_forever(ctx: SimContext) -> None:
    """Run `sweep_expired` periodically for the life of the server."""
    while True:
        await asyncio.sleep(max(0.5, min(ctx.config.retention, 60.0)))
        removed = sweep_expired(ctx)
        if removed:
            logger.debug("swept %d expired outputs", removed)
