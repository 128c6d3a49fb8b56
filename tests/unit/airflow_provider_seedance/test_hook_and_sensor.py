"""Hook: connection parsing, secrets, connection test, provider metadata. Sensor: all modes."""

from __future__ import annotations

import json
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import PokeReturnValue, TaskDeferred

from airflow_provider_seedance.get_provider_info import get_provider_info
from airflow_provider_seedance.hooks.seedance import SeedanceHook, base_url_from
from airflow_provider_seedance.results import SeedanceGenerationError
from airflow_provider_seedance.sensors.seedance import SeedancePredictionSensor
from airflow_provider_seedance.triggers.seedance import SeedancePredictionTrigger
from shared_client import ImageToVideoRequest, SeedanceClient

API_KEY = "unit-test-secret-key-1234"


@pytest.mark.parametrize(
    ("host", "schema", "port", "expected"),
    [
        (None, None, None, None),
        ("http://127.0.0.1:8123", None, None, "http://127.0.0.1:8123"),
        ("http://127.0.0.1", None, 8123, "http://127.0.0.1:8123"),
        ("api.wavespeed.ai", None, None, "https://api.wavespeed.ai"),
        ("127.0.0.1", "http", 9000, "http://127.0.0.1:9000"),
        ("127.0.0.1", "ftp", None, "https://127.0.0.1"),
    ],
)
def test_base_url_from_connection_fields(
    host: str | None, schema: str | None, port: int | None, expected: str | None
) -> None:
    assert base_url_from(host, schema, port) == expected


def test_uri_form_connection_and_explicit_tls_opt_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_WAVESPEED_URI",
        f"wavespeed://:{API_KEY}@127.0.0.1:8123/http?timeout=12.5&verify_ssl=false",
    )
    settings = SeedanceHook("wavespeed_uri").get_settings()
    assert settings.base_url == "http://127.0.0.1:8123"
    assert settings.timeout == 12.5 and settings.verify_ssl is False
    assert API_KEY not in repr(settings)


@pytest.mark.parametrize("value", [None, "", "yes", True, "true"])
def test_tls_verification_stays_on_unless_explicitly_off(make_conn: Any, value: Any) -> None:
    make_conn("ws_tls", password=API_KEY, extra={} if value is None else {"verify_ssl": value})
    assert SeedanceHook("ws_tls").get_settings().verify_ssl is True


async def test_async_settings_match_sync_settings(make_conn: Any) -> None:
    make_conn("ws_async", password=API_KEY, host="http://127.0.0.1:1", extra={"timeout": 3})
    hook = SeedanceHook("ws_async")
    assert await hook.aget_settings() == hook.get_settings()


def test_test_connection_accepts_good_key_and_rejects_bad_one(sim: Any, make_conn: Any) -> None:
    make_conn("ws_good", password=API_KEY, host=sim.base_url)
    make_conn("ws_bad", password="wrong-key-000", host=sim.base_url)
    ok, message = SeedanceHook("ws_good").test_connection()
    assert ok, message
    ok, message = SeedanceHook("ws_bad").test_connection()
    assert not ok and "wrong-key-000" not in message
    assert sim.stats()["submissions"] == 0


def test_provider_info_is_valid_and_registered() -> None:
    import airflow
    from jsonschema import validate

    schema = json.loads((Path(airflow.__file__).parent / "provider_info.schema.json").read_text())
    info = get_provider_info()
    validate(info, schema)
    (conn,) = info["connection-types"]
    assert conn["connection-type"] == SeedanceHook.conn_type == "wavespeed"
    assert conn["hook-name"] == SeedanceHook.hook_name == "WaveSpeed (Seedance)"
    names = {ep.value for ep in entry_points(group="apache_airflow_provider")}
    assert "airflow_provider_seedance.get_provider_info:get_provider_info" in names


def submit(sim: Any, image: Path) -> str:
    with SeedanceClient(api_key=API_KEY, base_url=sim.base_url) as client:
        return client.submit(ImageToVideoRequest(prompt="a pan", image=image)).id


def test_sensor_pokes_until_completed_and_returns_the_result(
    sim: Any,
    wavespeed_conn: str,
    context: dict[str, Any],
    product_image: Path,
    tmp_path: Path,
    decode: Any,
) -> None:
    sim.set_generation_time(1.5)
    pid = submit(sim, product_image)
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
    pid = submit(sim, product_image)
    with SeedanceClient(api_key=API_KEY, base_url=sim.base_url) as client:
        client.wait(pid, timeout=20, poll_interval=0.2)
    value = SeedancePredictionSensor(task_id="wait", prediction_id=pid).poke(context)
    assert isinstance(value, PokeReturnValue) and value.is_done
    assert value.xcom_value["prediction_id"] == pid


def test_sensor_fails_on_failed_prediction(
    sim: Any, wavespeed_conn: str, context: dict[str, Any], product_image: Path
) -> None:
    sim.set_faults(failed_generation=1.0, failure_codes=(1200,))
    pid = submit(sim, product_image)
    sensor = SeedancePredictionSensor(task_id="wait", prediction_id=pid, poke_interval=0.2)
    with pytest.raises(SeedanceGenerationError, match=pid):
        sensor.execute(context)


def test_deferrable_sensor_defers_with_the_shared_trigger(
    sim: Any, wavespeed_conn: str, context: dict[str, Any], product_image: Path
) -> None:
    sim.set_generation_time(30.0)
    pid = submit(sim, product_image)
    sensor = SeedancePredictionSensor(
        task_id="wait", prediction_id=pid, deferrable=True, timeout=600, poke_interval=5
    )
    with pytest.raises(TaskDeferred) as info:
        sensor.execute(context)
    assert isinstance(info.value.trigger, SeedancePredictionTrigger)
    assert info.value.trigger.prediction_id == pid
    event = {"status": "timeout", "prediction": {"id": pid}, "message": "deadline"}
    with pytest.raises(SeedanceGenerationError, match="deadline"):
        sensor.execute_complete(context, event)


def test_sensor_rejects_an_empty_rendered_id(context: dict[str, Any]) -> None:
    sensor = SeedancePredictionSensor(task_id="wait", prediction_id="{{ '' }}")
    sensor.render_template_fields({})
    with pytest.raises(SeedanceGenerationError, match="prediction_id"):
        sensor.poke(context)
