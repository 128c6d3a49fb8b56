"""Trigger events in, task results out: the contract shared by the operator and sensor.

Both the deferred path (``execute_complete``) and the worker-side paths end here, so a
prediction yields the same JSON-serialisable dict however it was waited for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from airflow.providers.common.compat.sdk import AirflowException

from airflow_provider_seedance.triggers.seedance import EVENT_STATUSES
from shared_client import Prediction


class SeedanceEventError(AirflowException):
    """A trigger event that is not of the shape this provider emits."""


class SeedanceGenerationError(AirflowException):
    """The generation failed, timed out, or could not be followed; the message says why."""

    def __init__(self, message: str, *, prediction_id: str | None = None) -> None:
        super().__init__(message)
        self.prediction_id = prediction_id


@dataclass(frozen=True)
class PredictionEvent:
    """A validated trigger event."""

    status: str
    prediction: Prediction
    message: str


def parse_event(event: Any) -> PredictionEvent:
    """Validate an event from :class:`SeedancePredictionTrigger`; refuse anything else.

    A resumed task must not act on an event it does not understand (a stale trigger from
    an older provider version, a hand-crafted event): it fails with the reason instead.
    """
    if not isinstance(event, Mapping):
        raise SeedanceEventError(
            f"Expected a dict event from the trigger, got {type(event).__name__}"
        )
    status = event.get("status")
    if status not in EVENT_STATUSES:
        raise SeedanceEventError(
            f"Trigger event status {status!r} is not one of {', '.join(EVENT_STATUSES)}"
        )
    raw = event.get("prediction")
    if not isinstance(raw, Mapping) or not raw.get("id"):
        raise SeedanceEventError("Trigger event has no prediction with an id")
    prediction = Prediction.from_dict(raw)
    if status == "success" and not prediction.is_success:
        raise SeedanceEventError(
            f"Trigger reported success for prediction {prediction.id} "
            f"but its status is {prediction.status.value}"
        )
    return PredictionEvent(str(status), prediction, str(event.get("message") or ""))


def raise_for_event(event: PredictionEvent) -> Prediction:
    """Return the completed prediction, or fail the task with the API's own message."""
    if event.status == "success":
        return event.prediction
    raise SeedanceGenerationError(
        event.message or f"Prediction {event.prediction.id} ended as {event.status}",
        prediction_id=event.prediction.id,
    )


def result_dict(prediction: Prediction, video_paths: Sequence[str] = ()) -> dict[str, Any]:
    """The task's return value (XCom): plain JSON types only."""
    return {
        "prediction_id": prediction.id,
        "model": prediction.model,
        "status": prediction.status.value,
        "video_urls": list(prediction.outputs),
        "video_paths": [str(p) for p in video_paths],
        "inference_ms": prediction.inference_ms,
        "has_nsfw_contents": list(prediction.has_nsfw_contents),
    }
