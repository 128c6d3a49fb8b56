"""The values every layer passes around: a prediction, its status, a quote, usage.

A leaf: it imports nothing of the package, so errors, flows and drivers can all name
these types without import circles (an error carries the :class:`Prediction` or the
:class:`Quote` it is about).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Literal

__all__ = ["Prediction", "PredictionStatus", "Quote", "Usage"]


class PredictionStatus(StrEnum):
    """Status of a prediction, normalised over the spellings the API has used."""

    CREATED = "created"
    QUEUED = "queued"
    PENDING = "pending"
    STARTING = "starting"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TIMEOUT = "timeout"
    DELETED = "deleted"
    #: A status this client does not know: treated as still in flight, so polling goes on.
    UNKNOWN = "unknown"

    @classmethod
    def parse(cls, raw: object) -> PredictionStatus:
        """Map any status the API sends onto a member; unknown values become ``UNKNOWN``."""
        text = str(raw or "").strip().lower()
        if text in ("succeeded", "success"):
            return cls.COMPLETED
        if text == "canceled":
            return cls.CANCELLED
        try:
            return cls(text)
        except ValueError:
            return cls.UNKNOWN

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL

    @property
    def is_failure(self) -> bool:
        return self in _FAILURES


_FAILURES = frozenset(
    {
        PredictionStatus.FAILED,
        PredictionStatus.CANCELLED,
        PredictionStatus.TIMEOUT,
        PredictionStatus.DELETED,
    }
)
_TERMINAL = _FAILURES | {PredictionStatus.COMPLETED}


@dataclass(frozen=True)
class Prediction:
    """One generation task as the API reports it.

    ``outputs`` are URL strings (objects of the form ``{"url": ...}`` are normalised);
    ``error_code`` is the API's task error code when it gave one.
    """

    id: str
    model: str | None = None
    status: PredictionStatus = PredictionStatus.UNKNOWN
    outputs: list[str] = field(default_factory=list)
    error: str | None = None
    error_code: int | None = None
    created_at: str | None = None
    inference_ms: int | None = None
    result_url: str | None = None
    has_nsfw_contents: list[bool] = field(default_factory=list)
    #: What the run costs in USD when it is known: the quote taken at submit.
    cost_usd: float | None = None
    #: Where ``cost_usd`` came from: "api" (the pricing API) or "table" (offline table).
    cost_source: str | None = None
    #: Local files the outputs were saved to, when the run downloaded them.
    files: list[str] = field(default_factory=list)

    @property
    def is_terminal(self) -> bool:
        return self.status.is_terminal

    @property
    def is_success(self) -> bool:
        return self.status is PredictionStatus.COMPLETED

    @property
    def is_failure(self) -> bool:
        return self.status.is_failure

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict (status as its string value): safe for XCom and events."""
        return {
            "id": self.id,
            "model": self.model,
            "status": self.status.value,
            "outputs": list(self.outputs),
            "error": self.error,
            "error_code": self.error_code,
            "created_at": self.created_at,
            "inference_ms": self.inference_ms,
            "result_url": self.result_url,
            "has_nsfw_contents": list(self.has_nsfw_contents),
            "cost_usd": self.cost_usd,
            "cost_source": self.cost_source,
            "files": list(self.files),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Prediction:
        """Inverse of :meth:`to_dict` (tolerates missing keys)."""
        return cls(
            id=str(data["id"]),
            model=data.get("model"),
            status=PredictionStatus.parse(data.get("status")),
            outputs=[str(u) for u in data.get("outputs") or []],
            error=data.get("error"),
            error_code=data.get("error_code"),
            created_at=data.get("created_at"),
            inference_ms=data.get("inference_ms"),
            result_url=data.get("result_url"),
            has_nsfw_contents=[bool(x) for x in data.get("has_nsfw_contents") or []],
            cost_usd=data.get("cost_usd"),
            cost_source=data.get("cost_source"),
            files=[str(f) for f in data.get("files") or []],
        )

    def saved_to(self, paths: Sequence[str | os.PathLike[str]]) -> Prediction:
        """This prediction, recording the local files its outputs were saved to."""
        return replace(self, files=[os.fspath(p) for p in paths])


@dataclass(frozen=True)
class Quote:
    """The price of one run: ``usd`` in ``currency`` for ``model``, from ``source``."""

    usd: float
    currency: str
    source: Literal["api", "table"]
    model: str

    def describe(self) -> str:
        origin = "pricing API" if self.source == "api" else "offline price table"
        return f"${self.usd:.4f} {self.currency} ({origin})"


@dataclass(frozen=True)
class Usage:
    """Requests and cost in a period, in total and per model (from the usage API)."""

    start_date: str
    end_date: str
    total_requests: int
    total_cost: float
    by_model: tuple[tuple[str, int, float], ...]
