"""``SeedancePredictionSensor``: wait for a prediction submitted elsewhere, by id.

Another system (a webhook receiver, a DAG in another team, a notebook) submitted the
generation; this sensor waits for it and, like the operator, returns the result dict and
optionally lands the videos. Modes: ``poke`` (holds a worker slot), ``reschedule``
(frees it between pokes) and ``deferrable=True`` (the triggerer waits, reusing
:class:`SeedancePredictionTrigger`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from airflow.providers.common.compat.sdk import BaseSensorOperator, PokeReturnValue

from airflow_provider_seedance.hooks.seedance import DEFAULT_CONN_ID, SeedanceHook
from airflow_provider_seedance.links.seedance import SeedanceVideoLink
from airflow_provider_seedance.results import (
    SeedanceGenerationError,
    parse_event,
    raise_for_event,
    result_dict,
)
from airflow_provider_seedance.storage import write_videos
from airflow_provider_seedance.triggers.seedance import SeedancePredictionTrigger
from shared_client import Prediction, SeedanceClient, failure_message

log = logging.getLogger(__name__)


class SeedancePredictionSensor(BaseSensorOperator):
    """Succeed when a prediction completes; fail when it fails.

    :param prediction_id: The prediction to wait for. Templated (e.g. from XCom).
    :param wavespeed_conn_id: Connection holding the API key.
    :param output_path: Optional folder (local or ``ObjectStoragePath`` URI) for the videos.
        Templated.
    :param deferrable: Wait in the triggerer instead of poking from a worker.
    """

    template_fields: Sequence[str] = ("prediction_id", "output_path")
    operator_extra_links = (SeedanceVideoLink(),)
    ui_color = "#1f6feb"
    ui_fgcolor = "#ffffff"

    def __init__(
        self,
        *,
        prediction_id: str,
        wavespeed_conn_id: str = DEFAULT_CONN_ID,
        output_path: Any = None,
        deferrable: bool = False,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("poke_interval", 30.0)
        super().__init__(**kwargs)
        self.prediction_id = prediction_id
        self.wavespeed_conn_id = wavespeed_conn_id
        self.output_path = output_path
        self.deferrable = deferrable

    @property
    def hook(self) -> SeedanceHook:
        return SeedanceHook(wavespeed_conn_id=self.wavespeed_conn_id)

    def _check_id(self) -> str:
        prediction_id = str(self.prediction_id or "").strip()
        if not prediction_id:
            raise SeedanceGenerationError(
                "prediction_id rendered empty: the upstream XCom or template produced no id"
            )
        return prediction_id

    def execute(self, context: Any) -> Any:
        """Poke/reschedule via the base sensor, or check once and defer."""
        if not self.deferrable:
            return super().execute(context)
        prediction_id = self._check_id()
        with self.hook.get_conn() as client:
            prediction = client.get_prediction(prediction_id)
            if prediction.is_terminal:
                return self._finish(context, client, prediction)
        SeedanceVideoLink.persist(context, prediction.result_url)  # a link while deferred
        self.defer(
            trigger=SeedancePredictionTrigger(
                prediction_id=prediction_id,
                deadline=time.time() + float(self.timeout),
                wavespeed_conn_id=self.wavespeed_conn_id,
                poll_interval=float(self.poke_interval),
            ),
            method_name="execute_complete",
        )

    def poke(self, context: Any) -> PokeReturnValue | bool:
        """One status read; done (with the result as XCom) when terminal and successful."""
        prediction_id = self._check_id()
        with self.hook.get_conn() as client:
            prediction = client.get_prediction(prediction_id)
            log.info("Prediction %s is %s", prediction_id, prediction.status.value)
            if not prediction.is_terminal:
                return False
            result = self._finish(context, client, prediction)
            return PokeReturnValue(is_done=True, xcom_value=result)

    def execute_complete(self, context: Any, event: Any = None) -> dict[str, Any]:
        """Resume after the trigger: validate the event, download, return the result."""
        prediction = raise_for_event(parse_event(event))
        with self.hook.get_conn() as client:
            return self._finish(context, client, prediction)

    def _finish(
        self, context: Any, client: SeedanceClient, prediction: Prediction
    ) -> dict[str, Any]:
        if prediction.is_failure:
            raise SeedanceGenerationError(failure_message(prediction), prediction_id=prediction.id)
        paths = write_videos(client, prediction, self.output_path) if self.output_path else []
        SeedanceVideoLink.persist(context, prediction.outputs[0] if prediction.outputs else None)
        return result_dict(prediction, paths)
