"""``SeedancePredictionTrigger``: waits for a prediction in the triggerer, asynchronously.

A generation takes minutes; the worker submits it and hands this trigger the prediction
id. The trigger's kwargs are everything a restarted triggerer needs to resume: the id,
the connection id (never the key), the poll interval and a wall-clock ``deadline`` in
epoch seconds, so a restart does not reset the timeout. It yields exactly one event.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_seedance.hooks.seedance import DEFAULT_CONN_ID, SeedanceHook
from shared_client import AsyncSeedanceClient, Prediction
from shared_client.errors import APIError, AuthenticationError, RateLimitError, SeedanceError

log = logging.getLogger(__name__)

#: Consecutive failed status reads tolerated before giving up. Each read is already
#: retried with backoff inside the client, so this bounds minutes of outage, not blips.
MAX_CONSECUTIVE_ERRORS = 5
#: WaveSpeed asks clients not to poll video tasks more often than every 5 s.
MIN_POLL_INTERVAL = 1.0

EVENT_STATUSES = ("success", "failed", "timeout", "error")


def _is_transient(err: SeedanceError) -> bool:
    """Errors worth another poll: no response, 429, 5xx. A 401 or 404 will not heal."""
    if isinstance(err, AuthenticationError):
        return False
    if isinstance(err, RateLimitError):
        return True
    if isinstance(err, APIError):
        return err.status_code is None or err.status_code >= 500
    return False


def make_event(status: str, prediction: Prediction, message: str) -> TriggerEvent:
    """The one event shape the operator and sensor accept (see ``results.parse_event``)."""
    return TriggerEvent({"status": status, "prediction": prediction.to_dict(), "message": message})


class SeedancePredictionTrigger(BaseTrigger):
    """Poll one prediction until it is terminal, the deadline passes, or errors persist.

    :param prediction_id: The WaveSpeed prediction (task) id.
    :param wavespeed_conn_id: Connection resolved in the triggerer via the async lookup.
    :param poll_interval: Seconds between status reads.
    :param deadline: Wall-clock epoch seconds after which a ``timeout`` event is sent.
    """

    def __init__(
        self,
        prediction_id: str,
        deadline: float,
        wavespeed_conn_id: str = DEFAULT_CONN_ID,
        poll_interval: float = 5.0,
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
        """Yield one event: success, failed (API failure status), timeout or error."""
        unknown = Prediction(id=self.prediction_id)
        try:
            client = await SeedanceHook(self.wavespeed_conn_id).aget_client()
        except Exception as err:  # a missing connection must end the task, not the triggerer
            yield make_event("error", unknown, f"Cannot build a client from connection: {err}")
            return
        try:
            event = await self._poll(client)
        finally:
            await client.aclose()
        yield event

    async def _poll(self, client: AsyncSeedanceClient) -> TriggerEvent:
        last = Prediction(id=self.prediction_id)
        errors = 0
        while True:
            remaining = self.deadline - time.time()
            if remaining <= 0:
                return make_event(
                    "timeout",
                    last,
                    f"Prediction {self.prediction_id} still {last.status.value} at the deadline; "
                    "it may still finish on WaveSpeed (and is billed): a retry reattaches to it.",
                )
            try:
                prediction = await client.get_prediction(self.prediction_id)
            except SeedanceError as err:
                errors += 1
                if not _is_transient(err) or errors > MAX_CONSECUTIVE_ERRORS:
                    return make_event(
                        "error",
                        last,
                        f"Polling {self.prediction_id} failed ({errors} in a row): {err}",
                    )
                log.warning(
                    "Transient error polling %s (%d/%d): %s",
                    self.prediction_id,
                    errors,
                    MAX_CONSECUTIVE_ERRORS,
                    err,
                )
            else:
                errors = 0
                if prediction.status != last.status:
                    log.info("Prediction %s is %s", self.prediction_id, prediction.status.value)
                last = prediction
                if prediction.is_success:
                    return make_event(
                        "success", prediction, f"Prediction {prediction.id} completed."
                    )
                if prediction.is_terminal:
                    return make_event(
                        "failed",
                        prediction,
                        f"Prediction {prediction.id} {prediction.status.value}: "
                        f"{prediction.error or 'no error message from the API'}"
                        + (f" (code {prediction.error_code})" if prediction.error_code else ""),
                    )
            await asyncio.sleep(max(0.0, min(self.poll_interval, self.deadline - time.time())))

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
