"""The sensor (``sensors/seedance.py``): poke, poke mode, deferral, failures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import PokeReturnValue, TaskDeferred

from airflow_provider_seedance.results import SeedanceGenerationError
from airflow_provider_seedance.sensors.seedance import SeedancePredictionSensor
from airflow_provider_seedance.triggers.seedance import SeedancePredictionTrigger
from tests.support.provider import submit, wait_completed


def test_sensor_pokes_until_completed_and_returns_the_result(
    sim: Any,
    wavespeed_conn: str,
    context: dict[str, Any],
    product_image: Path,
    tmp_path: Path,
    decode: Any,
) -> None:
    sim.set_generation_time(1.5)
    pid = submit(sim, product_image, prompt="a pan")
    sensor = SeedancePredictionSensor(
        task_id="wait", prediction_id=pid, output_path=str(tmp_path), poke_interval=0.2
    )
    assert sensor.poke(context) is False
    result = sensor.execute(context)  # poke mode: loops until done
    assert result["prediction_id"] == pid and result["status"] == "completed"
    assert decode(result["video_paths"][0]) > 0


def test_sensor_poke_returns_xcom_value_when_done(
    sim: Any, wavespeed_conn: str, context: dict[str, Any], product_image: Path
) -> None:
    pid = submit(sim, product_image, prompt="a pan")
    wait_completed(sim, pid)
    value = SeedancePredictionSensor(task_id="wait", prediction_id=pid).poke(context)
    assert isinstance(value, PokeReturnValue) and value.is_done
    assert value.xcom_value["prediction_id"] == pid


def test_sensor_fails_on_failed_prediction(
    sim: Any, wavespeed_conn: str, context: dict[str, Any], product_image: Path
) -> None:
    sim.set_faults(failed_generation=1.0, failure_codes=(1200,))
    pid = submit(sim, product_image, prompt="a pan")
    sensor = SeedancePredictionSensor(task_id="wait", prediction_id=pid, poke_interval=0.2)
    with pytest.raises(SeedanceGenerationError, match=pid):
        sensor.execute(context)


def test_deferrable_sensor_defers_with_the_shared_trigger(
    sim: Any, wavespeed_conn: str, context: dict[str, Any], product_image: Path
) -> None:
    sim.set_generation_time(30.0)
    pid = submit(sim, product_image, prompt="a pan")
    sensor = SeedancePredictionSensor(
        task_id="wait", prediction_id=pid, deferrable=True, timeout=600, poke_interval=5
    )
    with pytest.raises(TaskDeferred) as info:
        sensor.execute(context)
    assert isinstance(info.value.trigger, SeedancePredictionTrigger)
    assert info.value.trigger.prediction_id == pid
    link = context["ti"].xcom["seedance_video_url"]  # a working link while deferred
    assert link == f"{sim.base_url}/api/v3/predictions/{pid}/result"
    event = {"status": "timeout", "prediction": {"id": pid}, "message": "deadline"}
    with pytest.raises(SeedanceGenerationError, match="deadline"):
        sensor.execute_complete(context, event)


def test_sensor_rejects_an_empty_rendered_id(context: dict[str, Any]) -> None:
    sensor = SeedancePredictionSensor(task_id="wait", prediction_id="{{ '' }}")
    sensor.render_template_fields({})
    with pytest.raises(SeedanceGenerationError, match="prediction_id"):
        sensor.poke(context)
