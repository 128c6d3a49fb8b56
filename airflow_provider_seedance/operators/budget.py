"""Money on the operator: the quote it records, the cap and balance it enforces before paying.

Every try prices its request (the pricing API is free; the offline table when the API
cannot answer), and the figure goes where people look: the ``seedance_quote`` XCom, the
asset event's ``extra`` and one task-log line per submit. ``max_cost_usd`` and
``check_balance`` turn the quote into a gate, checked before anything is uploaded or
sent; a refusal is an ``AirflowFailException`` (a retry would be refused the same way).

The gate runs where the operator pays (``PayOnceMixin._submit``), so a resubmit after an
empty settle window is gated too, while a try that reattaches to a prediction an earlier
try already paid for is not refused for a cap lowered since.
"""

from __future__ import annotations

import logging
import math
from dataclasses import replace
from typing import Any

from airflow.providers.common.compat.sdk import AirflowFailException

from shared_client import (
    BudgetExceededError,
    InsufficientBalanceError,
    InvalidRequestError,
    Prediction,
    Quote,
    QuoteUnavailableError,
    SeedanceClient,
    SeedanceError,
)

log = logging.getLogger(__name__)

#: XCom key of the task's price record: the quote (``usd``, ``currency``, ``source``,
#: ``model``), the cap, and once submitted ``prediction_id``, ``cost_usd``, ``cost_source``.
QUOTE_XCOM_KEY = "seedance_quote"
_CAP_ALLOWED = "a non-negative number of US dollars, or None for no cap"


def quote_record(quote: Quote, cap: float | None) -> dict[str, Any]:
    """The JSON shape of a quote in XCom and in asset events."""
    return {
        "usd": quote.usd,
        "currency": quote.currency,
        "source": quote.source,
        "model": quote.model,
        "max_cost_usd": cap,
    }


def parse_cap(value: Any, field: str = "max_cost_usd") -> float | None:
    """A rendered cap as a float (``"1.5"`` from a template, a number from an XCom)."""
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "none")):
        return None
    if isinstance(value, bool):
        raise InvalidRequestError(field, value, _CAP_ALLOWED, reason="not a number:")
    try:
        cap = float(value)
    except (TypeError, ValueError):
        raise InvalidRequestError(field, value, _CAP_ALLOWED, reason="not a number:") from None
    if not math.isfinite(cap) or cap < 0:
        raise InvalidRequestError(field, value, _CAP_ALLOWED, reason="out of range:")
    return cap


def with_cost(prediction: Prediction, record: dict[str, Any] | None) -> Prediction:
    """The prediction carrying the recorded quote as its cost, when it has none itself.

    A prediction read back from the API (after deferring, after a retry) does not know
    what it was quoted; the task's record does.
    """
    if record is None or prediction.cost_usd is not None:
        return prediction
    return replace(prediction, cost_usd=record["usd"], cost_source=record["source"])


class BudgetMixin:
    """Quote, record, and enforce ``max_cost_usd`` / ``check_balance`` for an operator."""

    max_cost_usd: Any
    check_balance: bool
    _quote: Quote | None = None
    _record: dict[str, Any] | None = None

    def _cap(self) -> float | None:
        return parse_cap(self.max_cost_usd)

    def _price(self, context: Any, client: SeedanceClient, request: Any) -> Quote | None:
        """Quote the request for the record (XCom, log). Best effort: the gate decides.

        Without a cap a price that cannot be had is only a warning: the submit itself
        tells whether the request is acceptable.
        """
        try:
            quote = client.quote(request)
        except SeedanceError as err:
            log.warning("No price for this request (%s); its cost will not be recorded", err)
            return None
        self._quote = quote
        log.info("Quoted %s for %s", quote.describe(), request.model)
        self._push_record(context, quote_record(quote, self._cap()))
        return quote

    def _gate(self, context: Any, client: SeedanceClient, request: Any) -> Quote | None:
        """Refuse to pay over ``max_cost_usd`` or over the balance; the quote that passed.

        Called right before the submit (before any upload). Without a cap or balance check
        a missing quote is allowed (None); with one, no price means no payment.
        """
        cap = self._cap()
        quote = self._quote
        if quote is None:
            try:
                quote = self._quote = client.quote(request)
            except QuoteUnavailableError as err:
                if cap is None and not self.check_balance:
                    return None
                raise AirflowFailException(
                    f"{err}. The cap (max_cost_usd={cap}) or balance check cannot be "
                    "honoured without a price; nothing was submitted."
                ) from err
            except SeedanceError:
                if cap is None and not self.check_balance:
                    return None
                raise
        if cap is not None and quote.usd > cap:
            refusal = BudgetExceededError(quote, cap)
            raise AirflowFailException(str(refusal)) from refusal
        if self.check_balance:
            balance = client.balance()
            if balance < quote.usd:
                short = InsufficientBalanceError.before_paying(
                    quote.model, quote.describe(), balance, quote.usd
                )
                raise AirflowFailException(str(short)) from short
        return quote

    def _record_cost(self, context: Any, quote: Quote | None, prediction: Prediction) -> None:
        """Add the paid prediction and its cost to the task's price record."""
        if quote is None:
            return
        record = quote_record(quote, self._cap())
        record.update(prediction_id=prediction.id, cost_usd=quote.usd, cost_source=quote.source)
        self._push_record(context, record)

    def _push_record(self, context: Any, record: dict[str, Any]) -> None:
        self._record = record
        try:
            context["ti"].xcom_push(key=QUOTE_XCOM_KEY, value=record)
        except Exception:
            log.warning("Could not push the price record to XCom", exc_info=True)

    def _recorded(self, context: Any) -> dict[str, Any] | None:
        """This task's price record: in memory, else from XCom (after a deferral)."""
        if self._record is not None:
            return dict(self._record)
        ti = context["ti"]
        try:
            value = ti.xcom_pull(
                task_ids=ti.task_id, key=QUOTE_XCOM_KEY, map_indexes=getattr(ti, "map_index", -1)
            )
        except Exception:
            log.debug("Could not read the price record from XCom", exc_info=True)
            return None
        return dict(value) if isinstance(value, dict) and "usd" in value else None
