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

Every submit is priced and its price reserved against the session cap first
(:mod:`.budget`): a refused run has uploaded and sent nothing. The quote is written into
the intent's index entry, so whichever run later finds the task can say what it cost.
"""

from __future__ import annotations

import logging
import time

from shared_client import (
    AsyncSeedanceClient,
    Prediction,
    SubmissionUncertainError,
    SubmitIntent,
)

from .budget import Reservation, price_and_reserve
from .errors import GenerationError
from .job import GenerationRequest
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
    request: GenerationRequest,
    entry: CacheEntry | None,
    fingerprint: str,
    cache: ResultCache,
    host: HostHooks,
    settings: NodeSettings,
) -> tuple[str, bool]:
    """The prediction these inputs pay for, and whether this run submitted it: an earlier
    run's (found again: False) or a new one (True)."""
    if entry is not None and entry.intent and not entry.prediction_id:
        earlier = SubmitIntent.from_json(entry.intent)
        logger.warning(
            "seedance: an earlier run %s; looking for its task",
            "lost its submit's answer" if earlier.answer_lost else "died inside its submit",
        )
        found = await confirm(client, earlier, host, settings)
        if found is not None:
            return _record(cache, fingerprint, found.id, entry.intent, _priced(entry)), False
        if earlier.answer_lost and not settings.resubmit_after_settle:
            raise GenerationError(
                f"An earlier run's submit was sent but its answer was lost, and no task with "
                f"its request fingerprint {earlier.fingerprint[:16]} appeared in the history "
                f"within the {settings.settle_window:g} s settle window. It was NOT "
                "resubmitted; check your WaveSpeed dashboard (or set "
                '"resubmit_after_settle": true in wavespeed.json to accept the risk).'
            )
        logger.warning("seedance: no task of the earlier run appeared; submitting now")
    return await _submit(client, request, fingerprint, cache, host, settings), True


async def _submit(
    client: AsyncSeedanceClient,
    request: GenerationRequest,
    fingerprint: str,
    cache: ResultCache,
    host: HostHooks,
    settings: NodeSettings,
    *,
    again: bool = False,
) -> str:
    if host.interrupt_requested():
        host.raise_interrupted("Interrupted before submitting; nothing was paid.")
    host.show_progress("Pricing the run…", 0.0)
    reservation = await price_and_reserve(client, request, settings)
    price = _price_fields(reservation)
    host.show_progress(f"Uploading media and submitting…\n{price_line(price)}", 0.0)
    recorded: list[str] = []

    def record_intent(intent: SubmitIntent) -> None:
        recorded.append(intent.to_json())
        cache.put(CacheEntry(fingerprint, None, intent=recorded[0], **price))

    # Not sliced: once the POST is sent a task may exist, and its id must be recorded.
    try:
        submitted = await client.submit(
            request,
            owner=owner_for(fingerprint),
            on_intent=record_intent,
            quote=reservation.quote if reservation else None,
        )
    except SubmissionUncertainError as exc:
        if reservation is not None:
            reservation.commit()  # sent, answer lost: it may be paid
        if exc.intent is None:  # pragma: no cover - the flow always attaches it
            raise
        intent = exc.intent.lost()
        cache.put(CacheEntry(fingerprint, None, intent=intent.to_json(), **price))
        found = await confirm(client, intent, host, settings)
        if found is not None:
            return _record(cache, fingerprint, found.id, intent.to_json(), price)
        if settings.resubmit_after_settle and not again:
            logger.warning("seedance: resubmitting after an empty settle window (opted in)")
            return await _submit(client, request, fingerprint, cache, host, settings, again=True)
        raise
    except BaseException as exc:
        # Any other error of the submit flow provably created no task (an ambiguous one is
        # SubmissionUncertainError): the upload failed, or the POST was refused. Only a
        # cancellation after the intent (the POST may be out) keeps the money counted.
        if reservation is not None:
            if recorded and not isinstance(exc, Exception):
                reservation.commit()
            else:
                reservation.release()
        raise
    if reservation is not None:
        reservation.commit()
    logger.info("seedance: submitted prediction %s (%s)", submitted.id, price_line(price))
    return _record(cache, fingerprint, submitted.id, recorded[0] if recorded else None, price)


def _price_fields(reservation: Reservation | None) -> dict[str, object]:
    if reservation is None:
        return {"cost_usd": None, "cost_source": None, "currency": None}
    quote = reservation.quote
    return {"cost_usd": quote.usd, "cost_source": quote.source, "currency": quote.currency}


def _priced(entry: CacheEntry) -> dict[str, object]:
    return {
        "cost_usd": entry.cost_usd,
        "cost_source": entry.cost_source,
        "currency": entry.currency,
    }


def price_line(price: dict[str, object] | CacheEntry) -> str:
    """``Price: $0.4464 USD (pricing API)`` for the progress text and the log."""
    fields = _priced(price) if isinstance(price, CacheEntry) else price
    usd = fields.get("cost_usd")
    if not isinstance(usd, int | float):
        return "Price: unknown"
    origin = "pricing API" if fields.get("cost_source") == "api" else "offline price table"
    return f"Price: ${usd:.4f} {fields.get('currency') or 'USD'} ({origin})"


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


def _record(
    cache: ResultCache,
    fingerprint: str,
    prediction_id: str,
    intent: str | None,
    price: dict[str, object],
) -> str:
    cache.put(CacheEntry(fingerprint, prediction_id, intent=intent, **price))  # type: ignore[arg-type]
    return prediction_id
