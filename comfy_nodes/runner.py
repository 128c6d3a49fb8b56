"""One Seedance generation as ComfyUI needs it, free of ComfyUI itself.

The node classes (``nodes.py``) only translate sockets to :class:`GenerationInputs` and
the result back to ComfyUI types; everything that decides money and waiting lives here
so it is testable against the simulator without ComfyUI:

* validate everything (prompt, parameters, key) before the first request;
* never pay twice for identical inputs + seed (``result_cache``), and re-attach to a job
  that an interrupt or a restart left running instead of submitting a new one;
* wait in short slices on the event loop, reporting status + elapsed time, and on an
  interrupt stop polling at once, saying plainly that the remote job keeps running.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from shared_client import (
    DEFAULT_BASE_URL,
    AsyncSeedanceClient,
    AuthenticationError,
    GenerationFailedError,
    GenerationTimeoutError,
    ImageToVideoRequest,
    InvalidRequestError,
    Prediction,
    SeedanceError,
    ServiceUnreachableError,
    SubmissionUncertainError,
)

from .conversions import sha256_hex
from .errors import GenerationError, NodeInputError
from .pay_once import paid_prediction_id
from .result_cache import CacheEntry, ResultCache, request_fingerprint
from .settings import BASE_URL_ENV, NodeSettings
from .waiting import HostHooks, sliced

logger = logging.getLogger(__name__)

T = TypeVar("T")

AUTO_ASPECT_RATIO = "auto"
#: Rough duration used only to move the progress bar (the API reports no percentage).
ESTIMATE_BASE_SECONDS = 30.0
ESTIMATE_PER_VIDEO_SECOND = 6.0


@dataclass(frozen=True)
class GenerationInputs:
    """The node's inputs after conversion: images are PNG bytes."""

    prompt: str
    image_png: bytes = field(repr=False)
    model: str
    resolution: str
    aspect_ratio: str
    duration: int
    generate_audio: bool
    enable_web_search: bool
    seed: int
    last_image_png: bytes | None = field(default=None, repr=False)

    def to_request(self) -> ImageToVideoRequest:
        """The validated API request; raises :class:`NodeInputError` naming the field.

        ``seed`` is not sent: the Seedance 2.0 image-to-video API takes none. It is the
        re-run control (part of the cache key), as in ComfyUI's own API nodes.
        """
        aspect = None if self.aspect_ratio == AUTO_ASPECT_RATIO else self.aspect_ratio
        try:
            return ImageToVideoRequest(
                prompt=self.prompt,
                image=self.image_png,
                last_image=self.last_image_png,
                aspect_ratio=aspect,
                resolution=self.resolution,
                duration=self.duration,
                enable_web_search=self.enable_web_search,
                generate_audio=self.generate_audio,
                model=self.model,
            )
        except InvalidRequestError as exc:
            raise NodeInputError(str(exc)) from None

    def fingerprint(self, base_url: str | None) -> str:
        """Cache key: every paid parameter, image digests, seed and service URL; no key."""
        return request_fingerprint(
            {
                "model": self.model,
                "prompt": self.prompt,
                "image": sha256_hex(self.image_png),
                "last_image": sha256_hex(self.last_image_png) if self.last_image_png else None,
                "resolution": self.resolution,
                "aspect_ratio": self.aspect_ratio,
                "duration": self.duration,
                "generate_audio": self.generate_audio,
                "enable_web_search": self.enable_web_search,
                "seed": self.seed,
                "base_url": (base_url or "").rstrip("/"),
            }
        )


@dataclass(frozen=True)
class GenerationResult:
    """The finished video on disk, its URL, and whether this run paid for it."""

    video_path: Path
    url: str
    prediction_id: str
    from_cache: bool


ClientFactory = Callable[[NodeSettings], AsyncSeedanceClient]


def default_client_factory(settings: NodeSettings) -> AsyncSeedanceClient:
    return AsyncSeedanceClient(api_key=settings.api_key, base_url=settings.base_url)


_CACHES: dict[Path, ResultCache] = {}


def cache_for(folder: Path) -> ResultCache:
    """One :class:`ResultCache` per folder per process (its locks must be shared)."""
    return _CACHES.setdefault(folder, ResultCache(folder))


def _redact(text: str, secret: str) -> str:
    return text.replace(secret, "***") if secret else text


async def generate_video(
    inputs: GenerationInputs,
    settings: NodeSettings,
    host: HostHooks,
    *,
    client_factory: ClientFactory = default_client_factory,
) -> GenerationResult:
    """Run (or reuse) one generation and return the video on disk.

    Call ``inputs.to_request()`` first if the key should only be looked up after the
    inputs are known to be good; this function validates again either way.
    """
    request = inputs.to_request()
    cache = cache_for(settings.cache_dir)
    fingerprint = inputs.fingerprint(settings.base_url)
    async with cache.lock(fingerprint):
        entry = cache.get(fingerprint)
        if entry is not None:
            cached = cache.finished_video(entry)
            if cached is not None and entry.url:
                host.show_progress(
                    f"Reused the video of prediction {entry.prediction_id} "
                    "(same inputs and seed; no new charge).",
                    1.0,
                )
                logger.info("seedance: cache hit %s -> %s", fingerprint[:12], cached.name)
                return GenerationResult(cached, entry.url, entry.prediction_id, True)
        try:
            async with client_factory(settings) as client:
                return await _run(
                    client, request, inputs, entry, fingerprint, cache, host, settings
                )
        except (NodeInputError, GenerationError):
            raise
        except SeedanceError as exc:
            raise GenerationError(_explain(exc, settings)) from None


async def _run(
    client: AsyncSeedanceClient,
    request: ImageToVideoRequest,
    inputs: GenerationInputs,
    entry: CacheEntry | None,
    fingerprint: str,
    cache: ResultCache,
    host: HostHooks,
    settings: NodeSettings,
) -> GenerationResult:
    started = time.monotonic()
    if entry is not None and entry.prediction_id:
        prediction_id = entry.prediction_id
        logger.info("seedance: re-attaching to prediction %s (no new submit)", prediction_id)
        host.show_progress(f"Re-attaching to prediction {prediction_id} (no new charge)", 0.0)
    else:
        prediction_id = await paid_prediction_id(
            client, request, entry, fingerprint, cache, host, settings
        )

    status = {"value": "submitted"}
    estimate = ESTIMATE_BASE_SECONDS + ESTIMATE_PER_VIDEO_SECOND * inputs.duration

    def on_update(prediction: Prediction) -> None:
        status["value"] = prediction.status.value

    def describe() -> tuple[str, float]:
        elapsed = time.monotonic() - started
        text = f"Status: {status['value']}\nElapsed: {int(elapsed)}s\nPrediction: {prediction_id}"
        return text, min(0.95, elapsed / estimate)

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
    cache.put(
        CacheEntry(
            fingerprint=fingerprint,
            prediction_id=prediction_id,
            video_file=Path(path).name,
            url=url,
        )
    )
    elapsed = int(time.monotonic() - started)
    host.show_progress(f"Status: completed\nElapsed: {elapsed}s\nPrediction: {prediction_id}", 1.0)
    return GenerationResult(Path(path), url, prediction_id, False)


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
    if isinstance(exc, GenerationFailedError):
        return (
            f"WaveSpeed reports the generation failed: {detail}. Change the prompt or image "
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
    "GenerationInputs",
    "GenerationResult",
    "HostHooks",
    "NodeInputError",
    "generate_video",
    "run_blocking",
]
