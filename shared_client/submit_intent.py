"""Pay once across crashes: the record written before a paid POST, and how to find its task.

A worker, a ComfyUI server or a terminal can die while a submit's POST is in flight, or
between its answer and the moment the prediction id is stored. The task may then exist
(and be billed) although nobody holds its id. Every paying path therefore writes a
:class:`SubmitIntent` *before* the POST (what will be sent, by whom, from when) into the
same store that later holds the prediction id. A retry that finds an intent without an id
searches the API's history for that exact body, created after that time, and adopts the
task instead of paying again.

Two owners may send byte-identical bodies (the same prompt and image mapped twice). The
history cannot tell their tasks apart, so :func:`assign_candidate` hands matching tasks to
the owners that are still looking, in creation order against intent order, and never one
task to two owners. What is pure here (no I/O) is tested without a socket; the searches
themselves are flows in :mod:`.recovery`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "ANONYMOUS_OWNER",
    "CLOCK_SKEW",
    "DEFAULT_SETTLE_WINDOW",
    "SubmitIntent",
    "assign_candidate",
    "created_at_seconds",
]

#: How long an uncertain or crashed submit is given to appear in the history before the
#: search's verdict ("no such task") is trusted: the history can lag behind the submit.
DEFAULT_SETTLE_WINDOW = 120.0
#: Seconds allowed between this machine's clock and the API's ``created_at``. Larger
#: tolerates worse clocks (a task missed for skew is paid again after the window); smaller
#: narrows the chance to adopt an identical body that an unseen caller sent just before.
CLOCK_SKEW = 2.0
#: The owner of a submit whose caller did not name itself (a plain client call).
ANONYMOUS_OWNER = "anonymous"


@dataclass(frozen=True)
class SubmitIntent:
    """What a paying path is about to send, written down before the POST leaves.

    ``owner`` names who pays (an Airflow task instance, a ComfyUI node run, a story shot);
    ``fingerprint`` is the exact body's (see :func:`~shared_client.body_fingerprint`);
    ``not_before`` is the wall-clock time (``time.time()``) just before the POST, so the
    task cannot have been created earlier; ``prediction_id`` is filled in once known.
    """

    owner: str
    model: str
    fingerprint: str
    not_before: float
    prediction_id: str | None = None
    #: The POST was sent and its answer lost (not a crash before or during it): after an
    #: empty settle window the owner fails instead of submitting again.
    answer_lost: bool = False
    #: The caller's own key of the request as it asked for it (before uploads; the body
    #: fingerprint holds upload URLs that change per try). An owner that keeps the record
    #: of a completed prediction compares it to tell "the same request again" (collect,
    #: pay nothing) from "a changed request" (submit anew). None: not recorded.
    request_key: str | None = None

    def with_prediction(self, prediction_id: str) -> SubmitIntent:
        return replace(self, prediction_id=prediction_id)

    def lost(self) -> SubmitIntent:
        """The same intent, marked as a POST whose answer was lost."""
        return replace(self, answer_lost=True)

    def settled_by(self, settle_window: float) -> float:
        """The wall-clock time after which a search that finds nothing is trusted."""
        return self.not_before + settle_window

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes | Mapping[str, Any]) -> SubmitIntent:
        """Read a stored record; raises ``ValueError`` for anything that is not one."""
        if not isinstance(text, str | bytes | Mapping):
            raise ValueError(f"a submit intent is JSON text, not {type(text).__name__}")
        data = text if isinstance(text, Mapping) else json.loads(text)
        if not isinstance(data, Mapping):
            raise ValueError("a submit intent is a JSON object")
        try:
            owner, model, fingerprint = data["owner"], data["model"], data["fingerprint"]
            not_before = float(data["not_before"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a submit intent record: {exc}") from exc
        pid = data.get("prediction_id")
        if not all(isinstance(v, str) and v for v in (owner, model, fingerprint)):
            raise ValueError("a submit intent needs owner, model and fingerprint strings")
        if pid is not None and not (isinstance(pid, str) and pid):
            raise ValueError("prediction_id must be a non-empty string or null")
        lost = data.get("answer_lost", False) is True
        key = data.get("request_key")
        key = key if isinstance(key, str) and key else None
        return cls(str(owner), str(model), str(fingerprint), not_before, pid, lost, key)


def created_at_seconds(value: Any) -> float | None:
    """An API ``created_at`` (ISO 8601, ``Z`` or offset) as epoch seconds; None if unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:  # the API speaks UTC
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


def assign_candidate(
    own: SubmitIntent,
    matches: Sequence[Mapping[str, Any]],
    *,
    others: Sequence[SubmitIntent] = (),
    skew: float = CLOCK_SKEW,
) -> Mapping[str, Any] | None:
    """The history item that belongs to ``own``, or None.

    ``matches`` are history items whose body has ``own``'s fingerprint. ``others`` are the
    intents of other owners that this caller can see (for example the sibling map indexes
    of one Airflow task). Items already claimed by another owner are never taken. The
    remaining items, oldest first, go to the owners still looking, earliest intent first,
    each taking the oldest item created after its own intent. A task can thus be adopted
    by one owner only, and an owner never adopts a task created before it meant to pay.
    """
    claimed = {o.prediction_id for o in others if o.prediction_id and o.owner != own.owner}
    items = []
    for item in matches:
        pid, created = item.get("id"), created_at_seconds(item.get("created_at"))
        if isinstance(pid, str) and pid and pid not in claimed:
            # No readable time: the search already asked the API for tasks created after
            # the intent, so such an item counts as the newest, never as an old one.
            items.append((float("inf") if created is None else created, pid, item))
    items.sort(key=lambda entry: (entry[0], entry[1]))
    looking = [
        o
        for o in others
        if o.prediction_id is None and o.fingerprint == own.fingerprint and o.owner != own.owner
    ]
    looking.append(own)
    looking.sort(key=lambda o: (o.not_before, o.owner))
    taken: set[str] = set()
    for owner in looking:
        for created, pid, item in items:
            if pid in taken or created < owner.not_before - skew:
                continue
            taken.add(pid)
            if owner is own:
                return item
            break
    return None
