"""The node's paying path: one payment per inputs + seed, even across a ComfyUI crash.

The result index (:mod:`.result_cache`) gets the submit intent *before* the POST and the
prediction id after the answer. A run that finds an intent without an id knows that an
earlier run died (ComfyUI killed, the machine restarted) while its submit was in flight:
the task may exist and be billed, so the node shows "Confirming whether the request was
received..." and searches the API's history for it (exact body fingerprint, created after
the intent) until the settle window has passed. Found: the run follows that task. Not
found once the window has passed: it was never created, and the run submits.

A submit whose answer is lost is settled the same way; if the task does not appear within
the window the node fails, saying so (it may still have been created), unless the user
opted into ``resubmit_after_settle`` in ``wavespeed.json``.
"""

from __future__ import annotations

import logging
import time

from shared_client import (
    AsyncSeedanceClient,
    ImageToVideoRequest,
    Prediction,
    SubmissionUncertainError,
    SubmitIntent,
)

from .errors import GenerationError
from .result_cache import CacheEntry, ResultCache
from .settings import NodeSettings
from .waiting import HostHooks, sliced

logger = logging.getLogger(__name__)

CONFIRMING = "Confirming whether the request was received…"
#: Seconds between two history searches while confirming.
CONFIRM_INTERVAL = 5.0


def owner_for(fingerprint: str) -> str:
    """The owner recorded in the node's intents: its inputs + seed (the cache key)."""
    return f"comfyui/{fingerprint[:32]}"


async def paid_prediction_id(
    client: AsyncSeedanceClient,
    request: ImageToVideoRequest,
    entry: CacheEntry | None,
    fingerprint: str,
    cache: ResultCache,
    host: HostHooks,
    settings: NodeSettings,
) -> str:
    """The prediction these inputs pay for: an earlier run's (found again) or a new one."""
    if entry is not None and entry.intent and not entry.prediction_id:
        earlier = SubmitIntent.from_json(entry.intent)
        logger.warning(
            "seedance: an earlier run %s; looking for its task",
            "lost its submit's answer" if earlier.answer_lost else "died inside its submit",
        )
        found = await confirm(client, earlier, host, settings)
        if found is not None:
            return _record(cache, fingerprint, found.id, entry.intent)
        if earlier.answer_lost and not settings.resubmit_after_settle:
            raise GenerationError(
                f"An earlier run's submit was sent but its answer was lost, and no task with "
                f"its request fingerprint {earlier.fingerprint[:16]} appeared in the history "
                f"within the {settings.settle_window:g} s settle window. It was NOT "
                "resubmitted; check your WaveSpeed dashboard (or set "
                '"resubmit_after_settle": true in wavespeed.json to accept the risk).'
            )
        logger.warning("seedance: no task of the earlier run appeared; submitting now")
    return await _submit(client, request, fingerprint, cache, host, settings)


async def _submit(
    client: AsyncSeedanceClient,
    request: ImageToVideoRequest,
    fingerprint: str,
    cache: ResultCache,
    host: HostHooks,
    settings: NodeSettings,
    *,
    again: bool = False,
) -> str:
    if host.interrupt_requested():
        host.raise_interrupted("Interrupted before submitting; nothing was paid.")
    host.show_progress("Uploading image and submitting…", 0.0)
    recorded: list[str] = []

    def record_intent(intent: SubmitIntent) -> None:
        recorded.append(intent.to_json())
        cache.put(CacheEntry(fingerprint=fingerprint, prediction_id=None, intent=recorded[0]))

    # Not sliced: once the POST is sent a task may exist, and its id must be recorded.
    try:
        submitted = await client.submit(
            request, owner=owner_for(fingerprint), on_intent=record_intent
        )
    except SubmissionUncertainError as exc:
        if exc.intent is None:  # pragma: no cover - the flow always attaches it
            raise
        intent = exc.intent.lost()
        cache.put(CacheEntry(fingerprint=fingerprint, prediction_id=None, intent=intent.to_json()))
        found = await confirm(client, intent, host, settings)
        if found is not None:
            return _record(cache, fingerprint, found.id, intent.to_json())
        if settings.resubmit_after_settle and not again:
            logger.warning("seedance: resubmitting after an empty settle window (opted in)")
            return await _submit(client, request, fingerprint, cache, host, settings, again=True)
        raise
    logger.info("seedance: submitted prediction %s", submitted.id)
    return _record(cache, fingerprint, submitted.id, recorded[0] if recorded else None)


async def confirm(
    client: AsyncSeedanceClient, intent: SubmitIntent, host: HostHooks, settings: NodeSettings
) -> Prediction | None:
    """Search the history until the intent's task shows up or the window has passed."""
    left = {"seconds": settings.settle_window}
    started = time.monotonic()

    def describe() -> tuple[str, float]:
        elapsed = time.monotonic() - started
        return f"{CONFIRMING}\nElapsed: {int(elapsed)}s", 0.0

    host.show_progress(CONFIRMING, 0.0)
    return await sliced(
        client.settle_submission(
            intent,
            settle_window=settings.settle_window,
            interval=min(CONFIRM_INTERVAL, max(settings.settle_window / 4, 0.2)),
            on_search=lambda seconds: left.update(seconds=seconds),
        ),
        host,
        describe,
        f"(unconfirmed submit {intent.fingerprint[:12]})",
    )


def _record(cache: ResultCache, fingerprint: str, prediction_id: str, intent: str | None) -> str:
    cache.put(CacheEntry(fingerprint=fingerprint, prediction_id=prediction_id, intent=intent))
    return prediction_id
