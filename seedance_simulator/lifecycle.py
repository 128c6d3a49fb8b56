"""A task's life: created -> processing -> completed/failed over `generation_time`.

Why: clients must see the in-flight statuses, a failure that only shows after submit
(unreachable or unreadable media: code 1402; reference lengths out of range: 1401;
injected generation failures), and a completed task whose output URL serves a real video.
A completed task is charged its price, a failed one only releases its hold. Rendering
runs in worker threads and is cached by (input bytes, parameters), so 1,000 identical
generations render once.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from pathlib import Path

from . import webhooks
from .catalogue import model_spec
from .context import SimContext
from .faults import FAILURE_MESSAGES
from .fetch import CODE_MEDIA_UNREACHABLE, MediaUnavailable
from .jobs import Job, MediaRejected, prepare_job
from .probe import NotAMedia
from .render import NotAnImage
from .state import Task
from .validation import VideoInput

logger = logging.getLogger(__name__)


async def render_cached(ctx: SimContext, job: Job) -> Path:
    """Run `job` in a render thread once per cache key; concurrent twins share the render."""
    future = ctx.render_cache.get(job.key)
    if future is None:
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(ctx.executor, lambda: job.fn(*job.args, **job.kwargs))
        ctx.render_cache[job.key] = future
        ctx.state.stats.incr("renders")
    try:
        return await asyncio.shield(future)
    except Exception:
        ctx.render_cache.pop(job.key, None)  # do not cache failures
        raise


def _reprice(ctx: SimContext, task: Task, seconds: float, resolution: str) -> None:
    """The fetched media fix the price (video-edit's input length): update the hold."""
    spec = model_spec(task.model)
    if spec is not None:
        task.price = spec.price(resolution, seconds)
        ctx.account.hold(task.id, task.price)


def _finish(ctx: SimContext, task: Task) -> None:
    """Terminal bookkeeping: charge a completed run (release a failed one's hold), then
    tell waiters and the webhook, so whoever sees the status sees the balance too."""
    completed = task.status == "completed"
    ctx.account.settle(task.id, task.model, task.price if completed else None)
    ctx.state.stats.model_event(task.model, task.status)
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
    """Wait for a concurrency slot (status ``queued`` meanwhile), then run the task; the
    slot is held until the task is terminal. Never raises (failures become task state)."""
    if not ctx.limiter.try_acquire():
        task.status = "queued"
        await ctx.limiter.wait_for_slot()
    try:
        await _run(ctx, task, vin, failure_code)
    finally:
        ctx.limiter.release()


def spread_share(task_id: str) -> float:
    """A fraction in [0, 1) fixed by the task id: its share of ``generation_spread``."""
    return int.from_bytes(hashlib.blake2b(task_id.encode(), digest_size=4).digest(), "big") / 2**32


async def _run(ctx: SimContext, task: Task, vin: VideoInput, failure_code: int | None) -> None:
    """The generation itself: ``generation_time`` from the moment the task got its slot."""
    gen = ctx.config.generation_time + spread_share(task.id) * ctx.config.generation_spread
    deadline = time.monotonic() + gen
    try:
        await asyncio.sleep(min(gen * 0.1, 0.5))
        task.status = "processing"
        try:
            job = await prepare_job(ctx, vin)
        except MediaUnavailable as exc:
            _fail(ctx, task, CODE_MEDIA_UNREACHABLE, f"{FAILURE_MESSAGES[1402]}: {exc}")
            return
        except MediaRejected as exc:
            _fail(ctx, task, exc.code, exc.message)
            return
        _reprice(ctx, task, job.billed_seconds, vin.resolution)
        if failure_code is not None:
            await asyncio.sleep(max(0.0, deadline - time.monotonic()))
            _fail(ctx, task, failure_code, FAILURE_MESSAGES.get(failure_code, "Generation failed"))
            return
        try:
            path = await render_cached(ctx, job)
        except NotAnImage as exc:
            _fail(ctx, task, CODE_MEDIA_UNREACHABLE, f"The media is not a valid image: {exc}")
            return
        except NotAMedia as exc:
            _fail(ctx, task, CODE_MEDIA_UNREACHABLE, f"The media is not a valid video: {exc}")
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
