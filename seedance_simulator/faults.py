"""Seeded fault injection: the failures a real API gateway produces, on demand.

Why: the client's retry, reconciliation and never-pay-twice logic can only be proven
against failures that actually happen on the wire (status codes, HTML error pages from a
proxy, reset connections, a 502 after the task was created). A seeded
`random.Random` makes a reliability run repeatable: the same seed and the same request
sequence give the same faults.
"""

from __future__ import annotations

import logging
import random
from dataclasses import asdict, dataclass, field, fields
from typing import Any

logger = logging.getLogger(__name__)

SCOPES = ("submit", "result", "upload", "output", "history", "account")
#: Scopes faults apply to unless told otherwise. "account" (pricing, balance, usage,
#: billings) is opt-in, so existing fault runs keep their exact sequence of draws.
DEFAULT_SCOPES = ("submit", "result", "upload", "output", "history")
FAILURE_CODES = (5000, 5003, 1200)
FAILURE_MESSAGES = {
    5000: "Internal server error during generation, please retry",
    5003: "Service temporarily unavailable, please retry",
    5004: "Generation timed out",
    1200: "The content was flagged by the moderation system",
    1402: "Failed to fetch media from the provided URL",
}


@dataclass
class FaultConfig:
    """Probabilities (0..1) of each fault per eligible request, and their shapes.

    `scopes` limits the transport faults (429/5xx/reset/slow) to some endpoints; the
    generation faults (`failed_generation`, `ambiguous_submit`) only concern submits.
    """

    rate_429: float = 0.0
    retry_after: float = 1.0
    rate_500: float = 0.0
    rate_502: float = 0.0
    rate_503: float = 0.0
    html_fraction: float = 0.5
    rate_reset: float = 0.0
    rate_slow: float = 0.0
    slow_seconds: float = 2.0
    failed_generation: float = 0.0
    failure_codes: tuple[int, ...] = FAILURE_CODES
    ambiguous_submit: float = 0.0
    scopes: tuple[str, ...] = DEFAULT_SCOPES

    def __post_init__(self) -> None:
        for f in fields(self):
            if f.name.startswith("rate_") or f.name in (
                "html_fraction",
                "failed_generation",
                "ambiguous_submit",
            ):
                value = getattr(self, f.name)
                if not 0.0 <= float(value) <= 1.0:
                    raise ValueError(f"fault {f.name}={value!r}: must be between 0 and 1")
        self.failure_codes = tuple(int(c) for c in self.failure_codes)
        self.scopes = tuple(self.scopes)
        unknown = set(self.scopes) - set(SCOPES)
        if unknown:
            raise ValueError(f"fault scopes {sorted(unknown)} unknown; allowed: {SCOPES}")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["failure_codes"] = list(self.failure_codes)
        data["scopes"] = list(self.scopes)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], base: FaultConfig | None = None) -> FaultConfig:
        """Build from a partial dict (admin endpoint, CLI); unknown keys are an error."""
        allowed = {f.name for f in fields(cls)}
        unknown = set(data) - allowed
        if unknown:
            raise ValueError(
                f"unknown fault settings {sorted(unknown)}; allowed: {sorted(allowed)}"
            )
        merged = (base or cls()).to_dict()
        merged.update(data)
        merged["failure_codes"] = tuple(merged["failure_codes"])
        merged["scopes"] = tuple(merged["scopes"])
        return cls(**merged)


@dataclass(frozen=True)
class TransportFault:
    """One decided fault for one request."""

    kind: str  # "429" | "500" | "502" | "503" | "reset" | "slow"
    html: bool = False
    delay: float = 0.0
    retry_after: float = 0.0


@dataclass
class FaultInjector:
    """Draws faults from one seeded generator; used only on the server's event loop."""

    config: FaultConfig = field(default_factory=FaultConfig)
    seed: int | None = None

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def reseed(self, seed: int | None) -> None:
        self.seed = seed
        self._rng = random.Random(seed)

    def transport_fault(self, scope: str) -> TransportFault | None:
        """Decide the fault (if any) for one request on `scope`.

        One uniform draw is split into consecutive bands, so rates add up predictably
        and exactly one draw is consumed per request (keeps runs reproducible).
        """
        cfg = self.config
        if scope not in cfg.scopes:
            return None
        draw = self._rng.random()
        bands = (
            ("429", cfg.rate_429),
            ("500", cfg.rate_500),
            ("502", cfg.rate_502),
            ("503", cfg.rate_503),
            ("reset", cfg.rate_reset),
            ("slow", cfg.rate_slow),
        )
        edge = 0.0
        for kind, rate in bands:
            edge += rate
            if draw < edge:
                html = kind in ("500", "502", "503") and self._rng.random() < cfg.html_fraction
                return TransportFault(
                    kind=kind,
                    html=html,
                    delay=cfg.slow_seconds if kind == "slow" else 0.0,
                    retry_after=cfg.retry_after if kind == "429" else 0.0,
                )
        return None

    def generation_failure(self) -> int | None:
        """Error code the new task will fail with, or None for a successful task."""
        cfg = self.config
        if cfg.failed_generation and self._rng.random() < cfg.failed_generation:
            return self._rng.choice(cfg.failure_codes) if cfg.failure_codes else 5000
        return None

    def ambiguous_submit(self) -> bool:
        """True when the submit must create the task and then answer 502."""
        cfg = self.config
        return bool(cfg.ambiguous_submit) and self._rng.random() < cfg.ambiguous_submit
