"""A failed prediction reads the same wherever the provider reports it.

The operator (worker-side wait), the sensor and the trigger all word the failure with
``shared_client.failure_message``: id, status, the API's code and its reason.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_seedance.operators.seedance import SeedanceImageToVideoOperator
from airflow_provider_seedance.results import SeedanceGenerationError
from airflow_provider_seedance.sensors.seedance import SeedancePredictionSensor
from airflow_provider_seedance.triggers.seedance import SeedancePredictionTrigger
from shared_client import (
    GenerationFailedError,
    ImageToVideoRequest,
    SeedanceClient,
    failure_message,
)

API_KEY = "unit-test-secret-key-1234"


def failed_prediction(sim: Any, image: Path) -> Any:
    """Submit with the simulator failing every generation; return the failed prediction."""
    with SeedanceClient(api_key=API_KEY, base_url=sim.base_url) as client:
        pid = client.submit(ImageToVideoRequest(prompt="a pan", image=image)).id
        with pytest.raises(GenerationFailedError) as info:
            client.wait(pid, timeout=20, poll_interval=0.2)
    return info.value.prediction


@pytest.fixture
def failing(sim: Any) -> Any:
    sim.set_faults(failed_generation=1.0, failure_codes=(1200,))
    return sim


def test_operator_sensor_and_trigger_word_a_failure_alike(
    failing: Any, wavespeed_conn: str, context: dict[str, Any], product_image: Path
) -> None:
    prediction = failed_prediction(failing, product_image)
    expected = failure_message(prediction)
    assert prediction.id in expected and "(code 1200)" in expected

    sensor = SeedancePredictionSensor(task_id="wait", prediction_id=prediction.id)
    with pytest.raises(SeedanceGenerationError) as sensor_error:
        sensor.poke(context)
    assert str(sensor_error.value) == expected

    trigger = SeedancePredictionTrigger(prediction.id, time.time() + 30, wavespeed_conn, 0.2)

    async def events() -> list[dict[str, Any]]:
        return [event.payload async for event in trigger.run()]

    (event,) = asyncio.run(events())
    assert event["status"] == "failed" and event["message"] == expected

    operator = SeedanceImageToVideoOperator(
        task_id="generate", prompt="a pan", image="https://example.com/a.png"
    )
    with pytest.raises(SeedanceGenerationError) as operator_error:
        operator.execute_complete(context, event)
    assert str(operator_error.value) == expected


def test_worker_side_wait_uses_the_same_wording(
    failing: Any, wavespeed_conn: str, context: dict[str, Any], product_image: Path
) -> None:
    operator = SeedanceImageToVideoOperator(
        task_id="generate",
        prompt="a pan",
        image=str(product_image),
        deferrable=False,
        poll_interval=0.2,
    )
    with pytest.raises(SeedanceGenerationError) as info:
        operator.execute(context)
    with SeedanceClient(api_key=API_KEY, base_url=failing.base_url) as client:
        prediction = client.get_prediction(info.value.prediction_id)
    assert str(info.value) == failure_message(prediction)
