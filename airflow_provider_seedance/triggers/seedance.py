"""``SeedancePredictionTrigger``: waits for a prediction in the triggerer, asynchronously.

A generation takes minutes; the worker submits it and hands this trigger the prediction
id. The trigger's kwargs are everything a restarted triggerer needs to resume: the id,
the connection id (never the key), the poll interval and a wall-clock ``deadline`` in
epoch seconds, so a restart does not reset the timeout. It yields exactly one event.

The waiting itself is the client's ``wait()``: the same poll schedule, the same bounded
retries of transient read errors (429, 5xx, no response) as every other caller, on one
client (one connection pool) shared by all the triggers of a triggerer process.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_seedance.hooks.seedance import DEFAULT_CONN_ID, SeedanceHook
from shared_client import (
    DEFAULT_POLL_INTERVAL,
    AsyncSeedanceClient,
    GenerationTimeoutError,
    Prediction,
    PredictionStatus,
    SeedanceError,
    failure_message,
)

log = logging.getLogger(__name__)

#: Floor on the poll interval (tests poll fast); WaveSpeed asks for >= 5 s on video tasks,
#: which is the client's ``DEFAULT_POLL_INTERVAL`` and this trigger's default.
MIN_POLL_INTERVAL = 1.0

EVENT_STATUSES = ("success", "failed", "timeout", "error")


def make_event(
    status: str, prediction: Prediction, message: str, trigger_run: str | None = None
) -> TriggerEvent:
    """The one event shape the operator and sensor accept (see ``results.parse_event``).

    ``trigger_run`` names the run of the trigger that yielded the event: a trigger that a
    second triggerer adopted runs twice, and the resumed task logs which run it accepted.
    """
    payload: dict[str, Any] = {
        "status": status,
        "prediction": prediction.to_dict(),
        "message": message,
    }
    if trigger_run is not None:
        payload["trigger_run"] = trigger_run
    return TriggerEvent(payload)


class SeedancePredictionTrigger(BaseTrigger):
    """Poll one prediction until it is terminal, the deadline passes, or reads keep failing.

    :param prediction_id: The WaveSpeed prediction (task) id.
    :param wavespeed_conn_id: Connection resolved in the triggerer via the async lookup.
    :param poll_interval: Seconds between status reads (grows gently for long generations).
    :param deadline: Wall-clock epoch seconds after which a ``timeout`` event is sent.
    """

    def __init__(
        self,
        prediction_id: str,
        deadline: float,
        wavespeed_conn_id: str = DEFAULT_CONN_ID,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
    ) -> None:
        super().__init__()
        self.prediction_id = prediction_id
        self.wavespeed_conn_id = wavespeed_conn_id
        self.poll_interval = max(float(poll_interval), MIN_POLL_INTERVAL)
        self.deadline = float(deadline)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """Ids and numbers only: the key is looked up again from the connection on resume."""
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "prediction_id": self.prediction_id,
                "wavespeed_conn_id": self.wavespeed_conn_id,
                "poll_interval": self.poll_interval,
                "deadline": self.deadline,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Yield one event: success, failed (API failure status), timeout or error.

        Each run logs a fresh run id and puts it in its event: when a triggerer dies and
        another adopts the trigger, both runs show in the trigger logs and the task log
        says which one's event was accepted (the distributed e2e counts them).
        """
        trigger_run = uuid.uuid4().hex[:12]
        log.info("Trigger run %s waits for prediction %s", trigger_run, self.prediction_id)
        try:
            client = await SeedanceHook(self.wavespeed_conn_id).ashared_client()
        except Exception as err:  # a missing connection must end the task, not the triggerer
            yield make_event(
                "error",
                Prediction(id=self.prediction_id),
                f"Cannot build a client from connection {self.wavespeed_conn_id!r}: {err}",
                trigger_run,
            )
            return
        event = await self._wait(client)
        event.payload["trigger_run"] = trigger_run
        log.info("Trigger run %s yields %s", trigger_run, event.payload["status"])
        yield event

    async def _wait(self, client: AsyncSeedanceClient) -> TriggerEvent:
        # After a restart past the deadline this still reads the status once, so a
        # generation that finished meanwhile is collected rather than timed out.
        remaining = max(self.deadline - time.time(), 0.001)
        try:
            prediction = await client.wait(
                self.prediction_id,
                timeout=remaining,
                poll_interval=self.poll_interval,
                raise_on_failure=False,
            )
        except GenerationTimeoutError as err:
            last = Prediction(id=self.prediction_id, status=PredictionStatus.parse(err.last_status))
            return make_event(
                "timeout",
                last,
                f"Prediction {self.prediction_id} still {err.last_status} at the deadline; "
                "it may still finish on WaveSpeed (and is billed): a retry reattaches to it.",
            )
        except SeedanceError as err:
            return make_event(
                "error",
                Prediction(id=self.prediction_id),
                f"Polling {self.prediction_id} failed: {err}",
            )
        if prediction.is_success:
            return make_event("success", prediction, f"Prediction {prediction.id} completed.")
        return make_event("failed", prediction, failure_message(prediction))

    async def on_kill(self) -> None:
        """Airflow 3.3: called when a user kills the deferred task.

        WaveSpeed has no cancel endpoint, so the generation cannot be stopped; say so,
        with the id, so the user can find (and is not surprised by) the billed result.
        """
        log.warning(
            "Task killed while waiting for prediction %s. WaveSpeed has no cancel endpoint: "
            "the generation keeps running and is billed; its result stays available for 7 days.",
            self.prediction_id,
        )
