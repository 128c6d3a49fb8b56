"""WaveSpeed's account levels: how many tasks an account runs at once and submits a minute.

Why here, once: the Airflow provider sizes its pool from the concurrency limit, the docs
and the CLI print it, and a caller that knows its level can pace itself. The numbers are
WaveSpeed's published table (reference ``seedance-2.0-family.md``, "Account levels"); the
simulator keeps its own copy on purpose, as it stands in for the service.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from .errors import InvalidRequestError, allowed_values

__all__ = ["ACCOUNT_LEVELS", "DEFAULT_ACCOUNT_LEVEL", "AccountLevel", "account_level"]


@dataclass(frozen=True)
class AccountLevel:
    """One level: ``max_concurrent`` tasks run at once (more wait in WaveSpeed's queue),
    ``videos_per_minute`` submits are accepted a minute (more get HTTP 429), reached
    after ``topup_usd`` of top-ups."""

    name: str
    max_concurrent: int
    videos_per_minute: int
    topup_usd: float


ACCOUNT_LEVELS: Final[dict[str, AccountLevel]] = {
    level.name: level
    for level in (
        AccountLevel("bronze", 2, 2, 0.0),
        AccountLevel("silver", 300, 500, 100.0),
        AccountLevel("gold", 3000, 3000, 1000.0),
        AccountLevel("ultra", 10000, 5000, 10000.0),
    )
}
#: A new account's level (with $1 of trial credit).
DEFAULT_ACCOUNT_LEVEL: Final = "bronze"


def account_level(name: object = None) -> AccountLevel:
    """The level called ``name`` (case and spaces ignored; empty: the default, Bronze).

    Raises :class:`InvalidRequestError` naming ``account_level`` and the allowed values.
    """
    key = DEFAULT_ACCOUNT_LEVEL if name in (None, "") else name
    if isinstance(key, str) and key.strip().lower() in ACCOUNT_LEVELS:
        return ACCOUNT_LEVELS[key.strip().lower()]
    raise InvalidRequestError(
        "account_level", name, allowed_values(list(ACCOUNT_LEVELS)), reason="unknown level"
    )
