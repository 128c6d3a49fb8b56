"""Wait for generations submitted elsewhere (another team, a webhook receiver, a notebook).

Trigger it with the ids in the run conf: ``{"prediction_ids": ["abc", "def"]}``. Each id
becomes one deferrable sensor (the triggerer waits; no worker slot is held) that lands
the videos and returns the same result dict as the operator.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from airflow.providers.common.compat.sdk import DAG, task

from airflow_provider_seedance.sensors.seedance import SeedancePredictionSensor
from airflow_provider_seedance.templates import RUN_DATE

_DEFAULT_OUTPUT = (Path.cwd() / "out" / "external").resolve().as_uri()


with DAG(
    dag_id="seedance_wait_for_external_predictions",
    description="Sensor waiting on Seedance predictions submitted outside this DAG",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["seedance", "video", "example"],
    params={"prediction_ids": []},
) as dag:

    @task
    def prediction_ids(**context: object) -> list[str]:
        """The ids to wait for, from the run's conf (validated: strings only)."""
        params = context["params"]
        ids = params["prediction_ids"] if isinstance(params, dict) else []
        return [str(i) for i in ids if str(i).strip()]

    SeedancePredictionSensor.partial(
        task_id="wait_for_prediction",
        deferrable=True,
        poke_interval=10,
        timeout=3 * 3600,
        output_path=os.environ.get("SEEDANCE_OUTPUT_URI", _DEFAULT_OUTPUT) + "/" + RUN_DATE,
        map_index_template="{{ task.prediction_id }}",
    ).expand(prediction_id=prediction_ids())
