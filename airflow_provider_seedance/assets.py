"""What a generation's asset event says: enough for the asset page to tell what was made.

Before this, an event carried only the prediction id and local paths; a person looking at
the asset in the UI could not tell which video, model or prompt it was, nor what it cost.
The extra is built here, once, from the prediction, the task's price record and its
rendered request fields, and every outlet of the task gets the same dict.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from airflow_provider_seedance.templates import shorten
from shared_client import Prediction, Quote

log = logging.getLogger(__name__)

#: Characters of the prompt kept in an event.
PROMPT_CHARS = 120


def event_extra(
    prediction: Prediction,
    paths: Sequence[str],
    record: Mapping[str, Any] | None,
    *,
    prompt: str | None,
    seconds: Any,
) -> dict[str, Any]:
    """The ``extra`` of each outlet's event (plain JSON types only).

    ``cost`` is the human-readable figure with its source (``$0.6000 USD (pricing API)``
    or ``(offline price table)``), ``cost_usd``/``cost_source`` the machine-readable one;
    both are absent when no price was known. ``seconds`` is the requested duration (for an
    extend: the new seconds, the billed part), absent when the API decides it.
    """
    model = prediction.model or (record or {}).get("model")
    # Key order is what the asset page shows first (its JSON viewer is small).
    extra: dict[str, Any] = {"prediction_id": prediction.id}
    if prediction.cost_usd is not None:
        currency = (record or {}).get("currency", "USD")
        source: Literal["api", "table"] = "api" if prediction.cost_source == "api" else "table"
        quote = Quote(usd=prediction.cost_usd, currency=currency, source=source, model=model or "")
        extra["cost"] = quote.describe()
    extra.update(model=model, prompt=shorten(prompt, PROMPT_CHARS))
    if (duration := _seconds(seconds)) is not None:
        extra["seconds"] = duration
    extra["video_url"] = prediction.outputs[0] if prediction.outputs else None
    if prediction.cost_usd is not None:
        extra.update(cost_usd=prediction.cost_usd, cost_source=prediction.cost_source)
    extra["paths"] = list(paths)
    if record is not None:
        extra["quote"] = {k: record[k] for k in ("usd", "currency", "source", "model")}
    return extra


def _seconds(value: Any) -> int | float | None:
    """A rendered duration (``5`` or ``"5"``) as a number; None when unset or not a number."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return value
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    return int(number) if number.is_integer() else number


def emit(context: Any, outlets: Sequence[Any] | None, extra: dict[str, Any]) -> None:
    """Attach ``extra`` to the event of each outlet (Airflow 2.10+/3 ``outlet_events``)."""
    outlet_events = context.get("outlet_events")
    if outlet_events is None:
        return
    for outlet in outlets or []:
        try:
            outlet_events[outlet].extra = extra
        except (KeyError, TypeError, AttributeError):
            log.debug("Outlet %r takes no event extra", outlet, exc_info=True)
