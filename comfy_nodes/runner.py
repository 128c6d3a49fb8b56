"""One Seedance generation as ComfyUI needs it, free of ComfyUI itself, for any mode.

The node classes (``nodes.py``) only translate sockets to a :class:`NodeJob` (any of the
core's four request types) and the result back to ComfyUI types; everything that decides
money and waiting lives here so it is testable against the simulator without ComfyUI:

* validate everything (prompt, parameters, media, key) before the first request;
* price the run and hold the price against the session cap before paying (``budget``);
* never pay twice for identical inputs + seed (``result_cache``), and re-attach to a job
  that an interrupt or a restart left running instead of submitting a new one;
* wait in short slices on the event loop, reporting status, elapsed time and price, and
  on an interrupt stop polling at once, saying plainly that the remote job keeps running.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from shared_client import (
    DEFAULT_BASE_URL,
    AsyncSeedanceClient,
    AuthenticationError,
    GenerationFailedError,
    GenerationTimeoutError,
    InsufficientBalanceError,
    Prediction,
    RetryPolicy,
    SeedanceError,
    ServiceUnreachableError,
    SubmissionUncertainError,
)

from .budget import ledger_for
from .errors import GenerationError, NodeInputError
from .job import GenerationResult, NodeJob
from .pay_once import paid_prediction_id, price_line
from .result_cache import CacheEntry, ResultCache
from .settings import BASE_URL_ENV, NodeSettings
from .waiting import HostHooks, sliced

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Rough duration used only to move the progress bar (the API reports no percentage).
ESTIMATE_BASE_SECONDS = 30.0
ESTIMATE_PER_VIDEO_SECOND = 6.0


ClientFactory = Callable[[NodeSettings], AsyncSeedanceClient]


def default_client_factory(settings: NodeSettings) -> AsyncSeedanceClient:
    retry = (
        None if settings.max_attempts is None else RetryPolicy(max_attempts=settings.max_attempts)
    )
    return AsyncSeedanceClient(api_key=settings.api_key, base_url=settings.base_url, retry=retry)


_CACHES: dict[Path, ResultCache] = {}


def cache_for(folder: Path) -> ResultCache:
    """One :class:`ResultCache` per folder per process (its locks must be shared)."""
    return _CACHES.setdefault(folder, ResultCache(folder))


def _redact(text: str, secret: str) -> str:
    return text.replace(secret, "***") if secret else text


async def generate_video(
    job: NodeJob,
    settings: NodeSettings,
    host: HostHooks,
    *,
    client_factory: ClientFactory = default_client_factory,
) -> GenerationResult:
    """Run (or reuse) one generation and return the video on disk."""
    cache = cache_for(settings.cache_dir)
    fingerprint = job.fingerprint(settings.base_url)
    async with cache.lock(fingerprint):
        entry = cache.get(fingerprint)
        if entry is not None:
            cached = cache.finished_video(entry)
            if cached is not None and entry.url:
                host.show_progress(
                    f"Reused the video of prediction {entry.prediction_id} "
                    f"(same inputs and seed; no new charge).\n{price_line(entry)}",
                    1.0,
                )
                logger.info("seedance: cache hit %s -> %s", fingerprint[:12], cached.name)
                return _result(job, cached, entry, from_cache=True, new_charge=False)
        try:
            async with client_factory(settings) as client:
                return await _run(client, job, entry, fingerprint, cache, host, settings)
        except (NodeInputError, GenerationError):
            raise
        except SeedanceError as exc:
            raise GenerationError(_explain(exc, settings)) from None


def _result(
    job: NodeJob, path: Path, entry: CacheEntry, *, from_cache: bool, new_charge: bool
) -> GenerationResult:
    return GenerationResult(
        video_path=path,
        url=entry.url or "",
        prediction_id=entry.prediction_id or "",
        from_cache=from_cache,
        model=job.request.model,
        seconds=job.billed_seconds,
        cost_usd=entry.cost_usd,
        cost_source=entry.cost_source,
        currency=entry.currency,
        new_charge=new_charge,
    )


async def _run(
    client: AsyncSeedanceClient,
    job: NodeJob,
    entry: CacheEntry | None,
    fingerprint: str,
    cache: ResultCache,
    host: HostHooks,
    settings: NodeSettings,
) -> GenerationResult:
    started = time.monotonic()
    new_charge = False
    if entry is not None and entry.prediction_id:
        prediction_id = entry.prediction_id
        logger.info("seedance: re-attaching to prediction %s (no new submit)", prediction_id)
        host.show_progress(f"Re-attaching to prediction {prediction_id} (no new charge)", 0.0)
    else:
        prediction_id, new_charge = await paid_prediction_id(
            client, job.request, entry, fingerprint, cache, host, settings
        )
    recorded = cache.get(fingerprint)
    price = price_line(recorded) if recorded is not None else "Price: unknown"
    session = ledger_for(settings.base_url).summary(settings.max_cost_usd)

    status = {"value": "submitted"}
    estimate = ESTIMATE_BASE_SECONDS + ESTIMATE_PER_VIDEO_SECOND * job.billed_seconds

    def on_update(prediction: Prediction) -> None:
        status["value"] = prediction.status.value

    def text() -> str:
        elapsed = int(time.monotonic() - started)
        return (
            f"Status: {status['value']}\nElapsed: {elapsed}s\nPrediction: {prediction_id}"
            f"\n{price}\n{session}"
        )

    def describe() -> tuple[str, float]:
        return text(), min(0.95, (time.monotonic() - started) / estimate)

    try:
        final = await sliced(
            client.wait(
                prediction_id,
                timeout=settings.timeout,
                poll_interval=settings.poll_interval,
                on_update=on_update,
            ),
            host,
            describe,
            prediction_id,
        )
    except GenerationFailedError:
        cache.forget(fingerprint)  # a failed task is not billed as a video; a re-run retries
        raise
    if not final.outputs:
        cache.forget(fingerprint)
        raise GenerationError(f"prediction {prediction_id} completed without an output video")
    url = final.outputs[0]
    destination = cache.video_path(prediction_id)
    destination.parent.mkdir(parents=True, exist_ok=True)
    status["value"] = "downloading"
    path = await sliced(client.download(url, destination), host, describe, prediction_id)
    done = CacheEntry(
        fingerprint=fingerprint,
        prediction_id=prediction_id,
        video_file=Path(path).name,
        url=url,
        intent=recorded.intent if recorded else None,
        cost_usd=recorded.cost_usd if recorded else None,
        cost_source=recorded.cost_source if recorded else None,
        currency=recorded.currency if recorded else None,
    )
    cache.put(done)
    status["value"] = "completed"
    host.show_progress(text(), 1.0)
    return _result(job, Path(path), done, from_cache=False, new_charge=new_charge)


def _explain(exc: SeedanceError, settings: NodeSettings) -> str:
    """A message for the node: what happened, whether anything was paid, what to do."""
    detail = _redact(str(exc), settings.api_key)
    where = settings.base_url or DEFAULT_BASE_URL
    if isinstance(exc, AuthenticationError):
        return (
            f"api_key: WaveSpeed rejected the key ({detail}). Check WAVESPEED_API_KEY or the "
            "key file, then restart ComfyUI. Nothing was paid."
        )
    if isinstance(exc, ServiceUnreachableError) and not getattr(exc, "request_sent", True):
        return (
            f"service: cannot reach {where} ({detail}). Check the network or {BASE_URL_ENV}. "
            "Nothing was submitted or paid."
        )
    if isinstance(exc, SubmissionUncertainError):
        return (
            f"The submit may have created a paid task but no answer came back ({detail}), and "
            f"it did not appear in the history within the {settings.settle_window:g} s settle "
            "window. It was NOT resubmitted; check your WaveSpeed dashboard before running "
            'again (or set "resubmit_after_settle": true in wavespeed.json to accept the risk).'
        )
    if isinstance(exc, InsufficientBalanceError):
        return (
            f"WaveSpeed refused the run for lack of funds ({detail}). Nothing was created. "
            "Top up the WaveSpeed account and queue again."
        )
    if isinstance(exc, GenerationFailedError):
        return (
            f"WaveSpeed reports the generation failed: {detail}. Change the prompt or media "
            "(and seed) and run again."
        )
    if isinstance(exc, GenerationTimeoutError):
        return (
            f"Gave up waiting ({detail}). The job is still recorded: queue the same inputs and "
            "seed again to resume waiting without paying again."
        )
    return f"{type(exc).__name__}: {detail}"


def run_blocking(coro: Awaitable[T]) -> T:
    """Run ``coro`` to completion from synchronous code (the V1 fallback).

    Old ComfyUI runs nodes in a worker thread without an event loop; if a loop is already
    running in this thread, the coroutine gets its own loop in a helper thread instead.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_as_coroutine(coro))
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, _as_coroutine(coro)).result()


async def _as_coroutine(awaitable: Awaitable[T]) -> T:
    return await awaitable


__all__ = [
    "GenerationError",
    "GenerationResult",
    "HostHooks",
    "NodeInputError",
    "NodeJob",
    "generate_video",
    "run_blocking",
]
