"""In-memory state of one simulator: tasks, uploads, rendered outputs and counters.

Why: tests and benchmarks prove properties ("nothing was submitted twice", "N polls for
M tasks", "connections were reused") by reading these counters, so they are kept in
one place with one lock, readable from the test thread while the server thread runs.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def fingerprint(model: str, body: Any) -> str:
    """sha256 of the canonical JSON of model + submit body: identical requests collide."""
    canonical = json.dumps(
        {"model": model, "body": body}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def iso_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class Task:
    """One prediction as the API reports it."""

    id: str
    model: str
    input: dict[str, Any]
    created_at: str
    created_monotonic: float
    status: str = "created"
    outputs: list[str] = field(default_factory=list)
    error: str = ""
    error_code: int | None = None
    inference_ms: int = 0
    output_file: Path | None = None
    completed_monotonic: float | None = None
    webhook: str | None = None
    #: Status reads of this task (not part of the API's shape): lets a benchmark
    #: attribute polls to the client that made them when several share one server.
    polls: int = 0
    #: When a status read first answered a terminal status (monotonic; not part of the
    #: API's shape): how long after completion a client noticed, measured server-side.
    noticed_monotonic: float | None = None
    #: USD this run costs: quoted at submit, fixed once its media are fetched.
    price: float = 0.0

    def to_data(self, base_url: str) -> dict[str, Any]:
        """The `data` object of the envelope, shaped like the API's."""
        data: dict[str, Any] = {
            "id": self.id,
            "model": self.model,
            "outputs": list(self.outputs),
            "urls": {"get": f"{base_url}/api/v3/predictions/{self.id}/result"},
            "has_nsfw_contents": [False] * len(self.outputs),
            "status": self.status,
            "created_at": self.created_at,
            "error": self.error,
            "executionTime": self.inference_ms,
            "timings": {"inference": self.inference_ms},
        }
        if self.error_code is not None:
            data["code"] = self.error_code
        return data


@dataclass
class Upload:
    """A media upload: created by a ticket (pending PUT) or directly by upload/binary."""

    id: str
    filename: str
    content_type: str
    token: str
    data: bytes | None = None
    created_monotonic: float = field(default_factory=time.monotonic)


class Stats:
    """Thread-safe counters; `snapshot()` returns a plain JSON-able dict."""

    _COUNTERS = ("submissions", "polls", "uploads", "downloads", "connections_opened", "requests")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._fingerprints: Counter[str] = Counter()
        self._statuses: Counter[str] = Counter()
        self._faults: Counter[str] = Counter()
        self._models: Counter[tuple[str, str]] = Counter()

    def incr(self, name: str, by: int = 1) -> None:
        with self._lock:
            self._counts[name] += by

    def submission(self, fp: str) -> None:
        with self._lock:
            self._counts["submissions"] += 1
            self._fingerprints[fp] += 1

    def model_event(self, model: str, event: str) -> None:
        """Count a run of `model` that was "submitted", or ended "completed"/"failed"."""
        with self._lock:
            self._models[(model, event)] += 1

    def response(self, status: int) -> None:
        with self._lock:
            self._statuses[str(status)] += 1

    def fault(self, kind: str) -> None:
        with self._lock:
            self._faults[kind] += 1

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()
            self._fingerprints.clear()
            self._statuses.clear()
            self._faults.clear()
            self._models.clear()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            snap: dict[str, Any] = {name: self._counts[name] for name in self._COUNTERS}
            snap["submissions_by_fingerprint"] = dict(self._fingerprints)
            snap["responses_by_status"] = dict(self._statuses)
            snap["faults_injected"] = dict(self._faults)
            snap["renders"] = self._counts["renders"]
            snap["webhook_deliveries"] = self._counts["webhook_deliveries"]
            by_model: dict[str, dict[str, int]] = {}
            for (model, event), n in sorted(self._models.items()):
                counts = by_model.setdefault(model, {"submitted": 0, "completed": 0, "failed": 0})
                counts[event] = n
            snap["by_model"] = by_model
            return snap


@dataclass
class SimState:
    """Everything the handlers share; mutated only on the server's event loop."""

    tasks: dict[str, Task] = field(default_factory=dict)
    uploads: dict[str, Upload] = field(default_factory=dict)
    uploads_by_token: dict[str, Upload] = field(default_factory=dict)
    stats: Stats = field(default_factory=Stats)
