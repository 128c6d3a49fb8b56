"""The session cap: what this ComfyUI process has paid for, and the limit it may not cross.

Why the nodes keep a ledger at all: a graph with several Seedance nodes, or a queue of
many prompts, can spend a lot before anyone looks. ``max_cost_usd`` in ``wavespeed.json``
caps what one ComfyUI session (one process: a restart starts a new one) may submit. Each
run is priced first (the pricing API; the offline table only when it cannot answer), and
the price is *reserved* before anything is uploaded: nodes executing at the same time (V3
nodes are async, V1 nodes run in threads) cannot both pass the check with the same money.
A reservation becomes spent once the submit was sent, and is released when the submit
provably created nothing. A submit whose answer was lost stays counted: it may be paid.
A run that later fails also stays counted (whether WaveSpeed bills it is not documented),
so the cap errs on the side of spending less.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared_client import AsyncSeedanceClient, Quote, QuoteUnavailableError

from .errors import GenerationError
from .settings import NodeSettings

__all__ = [
    "Reservation",
    "SessionCapError",
    "SessionLedger",
    "ledger_for",
    "price_and_reserve",
]

logger = logging.getLogger(__name__)


class SessionCapError(GenerationError):
    """The run would cross ``max_cost_usd``: refused before anything was uploaded or paid."""


def _usd(value: float) -> str:
    return f"${value:.4f}"


class SessionLedger:
    """Spent and reserved USD of one session against one service; safe across threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.spent = 0.0
        self.reserved = 0.0

    def reserve(
        self, quote: Quote, cap: float | None, config_path: Path | None = None
    ) -> Reservation:
        """Hold ``quote.usd`` for a submit, or raise :class:`SessionCapError` naming the
        spent and remaining amounts. Without a cap nothing is refused, only counted."""
        with self._lock:
            committed = self.spent + self.reserved
            if cap is not None and committed + quote.usd > cap + 1e-9:
                remaining = max(0.0, cap - committed)
                where = f" in {config_path}" if config_path else " in wavespeed.json"
                raise SessionCapError(
                    f"max_cost_usd: this run costs {quote.describe()}, but only "
                    f"{_usd(remaining)} of the session cap of {_usd(cap)} remains "
                    f"({_usd(self.spent)} spent this session, {_usd(self.reserved)} reserved "
                    "by runs being submitted). Nothing was uploaded or submitted. Raise "
                    f"max_cost_usd{where}, lower the duration or resolution, or pick a "
                    "cheaper tier; a ComfyUI restart starts a new session."
                )
            self.reserved += quote.usd
        return Reservation(self, quote)

    def _settle(self, usd: float, paid: float) -> None:
        with self._lock:
            self.reserved = max(0.0, self.reserved - usd)
            self.spent += paid

    def summary(self, cap: float | None) -> str:
        """One line for the node's progress text."""
        if cap is None:
            return f"Session: {_usd(self.spent)} spent (no max_cost_usd cap)"
        left = max(0.0, cap - self.spent - self.reserved)
        return f"Session: {_usd(self.spent)} spent, {_usd(left)} left of {_usd(cap)}"


@dataclass
class Reservation:
    """Money held for one submit until it is known whether the submit was sent."""

    ledger: SessionLedger
    quote: Quote
    _settled: bool = field(default=False, repr=False)

    def commit(self) -> None:
        """The submit was sent (answered or not): the money counts as spent."""
        self._settle(paid=self.quote.usd)

    def release(self) -> None:
        """The submit provably created nothing: the money is free again."""
        self._settle(paid=0.0)

    def commit_part(self, usd: float) -> None:
        """Several submits were held at once (a storyboard): ``usd`` of them counts as
        spent, the rest is free again."""
        self._settle(paid=max(0.0, min(usd, self.quote.usd)))

    def _settle(self, *, paid: float) -> None:
        if not self._settled:
            self._settled = True
            self.ledger._settle(self.quote.usd, paid)


_LEDGERS: dict[str, SessionLedger] = {}
_LEDGERS_LOCK = threading.Lock()


def ledger_for(base_url: str | None) -> SessionLedger:
    """The session's ledger for one service (simulator runs never count against the API)."""
    key = (base_url or "").rstrip("/")
    with _LEDGERS_LOCK:
        return _LEDGERS.setdefault(key, SessionLedger())


async def price_and_reserve(
    client: AsyncSeedanceClient, request: Any, settings: NodeSettings
) -> Reservation | None:
    """Quote the run (free; nothing is uploaded) and hold its price in the session ledger.

    The pricing API's figure, or the offline table's when the API cannot answer. None
    only when no price can be had at all and no cap is set (the run goes on unpriced);
    with a cap an unpriced run is refused.
    """
    try:
        quote = await client.quote(request)
    except QuoteUnavailableError as exc:
        if settings.max_cost_usd is not None:
            raise SessionCapError(
                f"max_cost_usd: this run cannot be priced ({exc}); with a session cap set, "
                "nothing is submitted unpriced. Nothing was uploaded or submitted."
            ) from None
        logger.warning("seedance: %s; submitting without a price", exc)
        return None
    return ledger_for(settings.base_url).reserve(quote, settings.max_cost_usd, settings.config_path)
