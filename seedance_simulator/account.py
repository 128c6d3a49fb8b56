"""The account ledger: balance, holds for runs in flight, billing items.

Why: a client that prices a run, checks the balance before paying and reconciles what it
spent needs a service that actually charges. A completed run is charged its price (one
`usage` billing item); a failed one is not. A submit is refused with HTTP 402 when its
price exceeds the balance minus the prices of the runs still in flight. Amounts are kept
as Decimal so the balance runs down by exactly the prices charged.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from .catalogue import CURRENCY

#: Large enough that no test or benchmark that ignores money ever runs out.
DEFAULT_BALANCE = 1_000_000.0


def usd(value: float | Decimal) -> str:
    """$-amount for messages: at least 2 decimals, at most 4 (prices have 4)."""
    text = f"{Decimal(str(value)):.4f}".rstrip("0")
    whole, _, frac = text.partition(".")
    return f"{whole}.{frac.ljust(2, '0')}"


@dataclass(frozen=True)
class BillingItem:
    id: str
    type: str  # "usage" | "topup" | "adjustment"
    amount: Decimal  # negative for usage
    model: str | None
    created: datetime
    task_id: str | None = None

    def to_data(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "amount": float(self.amount),
            "currency": CURRENCY,
            "status": "completed",
            "model": self.model,
            "created_at": self.created.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "task_id": self.task_id,
        }


class Account:
    """Thread-safe: the server loop charges, the test thread reads and sets."""

    def __init__(self, balance: float = DEFAULT_BALANCE) -> None:
        self._lock = threading.Lock()
        self._balance = Decimal(0)
        self._holds: dict[str, Decimal] = {}
        self._charged = Decimal(0)
        self._refusals = 0
        self._items: list[BillingItem] = []
        self.set_balance(balance)

    def _record(
        self, kind: str, amount: Decimal, model: str | None = None, task: str | None = None
    ) -> None:
        now = datetime.now(UTC)
        self._items.append(BillingItem(uuid.uuid4().hex, kind, amount, model, now, task))

    def balance(self) -> float:
        with self._lock:
            return float(self._balance)

    def set_balance(self, value: float) -> float:
        """Set the balance; the difference is recorded as a top-up (or an adjustment)."""
        with self._lock:
            return self._set_unlocked(Decimal(str(value)))

    def topup(self, amount: float) -> float:
        with self._lock:
            return self._set_unlocked(self._balance + Decimal(str(amount)))

    def _set_unlocked(self, new: Decimal) -> float:
        diff = new - self._balance
        self._balance = new
        if diff:
            self._record("topup" if diff > 0 else "adjustment", diff)
        return float(new)

    def available(self) -> Decimal:
        with self._lock:
            return self._balance - sum(self._holds.values(), Decimal(0))

    def try_hold(self, task_id: str, price: float) -> tuple[bool, Decimal]:
        """Hold `price` for a new run if the balance minus other holds covers it."""
        amount = Decimal(str(price))
        with self._lock:
            available = self._balance - sum(self._holds.values(), Decimal(0))
            if amount > available:
                self._refusals += 1
                return False, available
            self._holds[task_id] = amount
            return True, available

    def hold(self, task_id: str, price: float) -> None:
        """Change the hold of a run in flight (its media fixed the price)."""
        with self._lock:
            if task_id in self._holds:
                self._holds[task_id] = Decimal(str(price))

    def settle(self, task_id: str, model: str, price: float | None) -> None:
        """End a run: charge `price` (completed) or just release its hold (None: failed)."""
        with self._lock:
            self._holds.pop(task_id, None)
            if price is None:
                return
            amount = Decimal(str(price))
            self._balance -= amount
            self._charged += amount
            self._record("usage", -amount, model, task_id)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "balance": float(self._balance),
                "charged_usd": float(self._charged),
                "held_usd": float(sum(self._holds.values(), Decimal(0))),
                "insufficient_balance_refusals": self._refusals,
            }

    def items(self) -> list[BillingItem]:
        with self._lock:
            return list(self._items)
