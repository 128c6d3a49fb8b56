"""The operator: validation before paying, deferral, completion, reattach, outputs."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowException, ObjectStoragePath, TaskDeferred

from airflow_provider_seedance.operators.seedance import SeedanceImageToVideoOperator
from airflow_provider_seedance.reattach import STATE_KEY
from airflow_provider_seedance.results import SeedanceEventError, SeedanceGenerationError
from airflow_provider_seedance.triggers.seedance import SeedancePredictionTrigger
from shared_client import ImageToVideoRequest, SeedanceClient
from shared_client.errors import InvalidRequestError

API_KEY = "unit-test-secret-key-1234"
RESULT_KEYS = {
    "prediction_id",
    "model",
    "status",
    "video_urls",
    "video_paths",
    "inference_ms",
    "has_nsfw_contents",
}


def make_op(**kwargs: Any) -> SeedanceImageToVideoOperator:
    params: dict[str, Any] = {"task_id": "generate", "prompt": "a slow pan", "poll_interval": 0.2}
    params.update(kwargs)
    return SeedanceImageToVideoOperator(**params)


def wait_completed(sim: Any, pid: str, timeout: float = 20.0) -> dict[str, Any]:
    with SeedanceClient(api_key=API_KEY, base_url=sim.base_url) as client:
        return client.wait(pid, timeout=timeout, poll_interval=0.2).to_dict()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("resolution", "4k"),
        ("duration", 3),
        ("duration", 16),
        ("aspect_ratio", "2:1"),
        ("model", "bytedance/seedance-9/image-to-video"),
        ("generate_audio", "yes"),
    ],
)
def test_bad_literal_parameters_fail_at_parse_time_naming_the_field(field: str, value: Any) -> None:
    with pytest.raises(InvalidRequestError) as info:
        make_op(image="https://example.com/a.png", **{field: value})
    assert info.value.field == field
    assert field in str(info.value)


@pytest.mark.parametrize(("field", "value"), [("timeout", 0), ("poll_interval", -1)])
def test_bad_wait_settings_fail_at_parse_time(field: str, value: Any) -> None:
    with pytest.raises(InvalidRequestError, match=field):
        make_op(image="https://example.com/a.png", **{field: value})


def test_bad_rendered_value_fails_before_any_request(
    sim: Any, wavespeed_conn: str, context: dict[str, Any], tmp_path: Path
) -> None:
    op = make_op(image=str(tmp_path / "missing.png"))
    with pytest.raises(InvalidRequestError) as info:
        op.execute(context)
    assert info.value.field == "image"
    stats = sim.stats()
    assert stats["submissions"] == 0 and stats.get("uploads", 0) == 0


def test_unusable_output_path_fails_before_anything_is_paid(
    sim: Any, wavespeed_conn: str, context: dict[str, Any], product_image: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    op = make_op(image=str(product_image), output_path=str(blocker / "videos"))
    with pytest.raises(InvalidRequestError) as info:
        op.execute(context)
    assert info.value.field == "output_path"
    assert "allowed:" in str(info.value)
    stats = sim.stats()
    assert stats["submissions"] == 0 and stats.get("uploads", 0) == 0


def test_output_path_is_created_before_submitting(
    sim: Any, wavespeed_conn: str, context: dict[str, Any], product_image: Path, tmp_path: Path
) -> None:
    sim.set_generation_time(30.0)
    folder = tmp_path / "new" / "videos"
    with pytest.raises(TaskDeferred):
        make_op(image=str(product_image), output_path=str(folder)).execute(context)
    assert folder.is_dir()


def test_a_lost_submit_answer_is_reconciled_and_followed_not_paid_again(
    sim: Any, wavespeed_conn: str, context: dict[str, Any], product_image: Path
) -> None:
    sim.set_generation_time(30.0)
    sim.set_faults(ambiguous_submit=1.0)
    with pytest.raises(TaskDeferred) as info:
        make_op(image=str(product_image)).execute(context)
    pid = context["ti"].xcom["prediction_id"]
    assert info.value.trigger.prediction_id == pid
    assert sim.task(pid) is not None
    assert sim.stats()["submissions"] == 1


def test_templated_fields_render_from_context(product_image: Path) -> None:
    op = make_op(
        prompt="launch clip for {{ ds }}",
        image=str(product_image.parent) + "/{{ params.name }}",
        output_path="/videos/{{ ds }}",
        extra_params={"seed": "{{ params.seed }}"},
        params={"name": product_image.name, "seed": 7},
    )
    assert set(op.template_fields) == {
        "prompt",
        "image",
        "last_image",
        "output_path",
        "extra_params",
    }
    op.render_template_fields(
        {"ds": "2026-01-02", "params": {"name": product_image.name, "seed": 7}}
    )
    assert op.prompt == "launch clip for 2026-01-02"
    assert op.image == str(product_image)
    assert op.output_path == "/videos/2026-01-02"
    assert op.extra_params == {"seed": "7"}


def test_execute_uploads_submits_pushes_id_and_defers(
    sim: Any, wavespeed_conn: str, context: dict[str, Any], product_image: Path
) -> None:
    sim.set_generation_time(30.0)
    op = make_op(image=str(product_image), timeout=120)
    before = time.time()
    with pytest.raises(TaskDeferred) as info:
        op.execute(context)
    trigger = info.value.trigger
    assert isinstance(trigger, SeedancePredictionTrigger)
    assert info.value.method_name == "execute_complete"
    pid = context["ti"].xcom["prediction_id"]
    assert trigger.prediction_id == pid
    assert before + 120 <= trigger.deadline <= time.time() + 120
    assert API_KEY not in json.dumps(trigger.serialize()[1])
    assert context["task_state_store"].data[STATE_KEY] == pid
    stats = sim.stats()
    assert stats["submissions"] == 1 and stats["uploads"] == 1


def test_retry_reattaches_to_in_flight_prediction_instead_of_paying_twice(
    sim: Any, wavespeed_conn: str, context: dict[str, Any], product_image: Path
) -> None:
    sim.set_generation_time(30.0)
    op = make_op(image=str(product_image))
    with pytest.raises(TaskDeferred) as first:
        op.execute(context)
    # The worker crashed: a new try starts with fresh XCom but the same state store.
    context["ti"].xcom.clear()
    with pytest.raises(TaskDeferred) as second:
        make_op(image=str(product_image)).execute(context)
    assert second.value.trigger.prediction_id == first.value.trigger.prediction_id
    assert sim.stats()["submissions"] == 1


def test_retry_after_failed_prediction_submits_a_new_one(
    sim: Any, wavespeed_conn: str, context: dict[str, Any], product_image: Path
) -> None:
    sim.set_faults(failed_generation=1.0)
    with SeedanceClient(api_key=API_KEY, base_url=sim.base_url) as client:
        failed = client.submit(ImageToVideoRequest(prompt="x", image=product_image)).id
    with pytest.raises(Exception, match="failed"):
        wait_completed(sim, failed)
    context["task_state_store"].set(STATE_KEY, failed)
    sim.set_faults()
    sim.set_generation_time(30.0)
    with pytest.raises(TaskDeferred) as info:
        make_op(image=str(product_image)).execute(context)
    assert info.value.trigger.prediction_id != failed
    assert sim.stats()["submissions"] == 2


def test_already_completed_prediction_completes_without_deferring(
    sim: Any,
    wavespeed_conn: str,
    context: dict[str, Any],
    product_image: Path,
    tmp_path: Path,
    decode: Any,
) -> None:
    with SeedanceClient(api_key=API_KEY, base_url=sim.base_url) as client:
        pid = client.submit(ImageToVideoRequest(prompt="x", image=product_image)).id
    wait_completed(sim, pid)
    context["task_state_store"].set(STATE_KEY, pid)
    result = make_op(image=str(product_image), output_path=str(tmp_path / "out")).execute(context)
    assert result["prediction_id"] == pid and result["status"] == "completed"
    assert decode(result["video_paths"][0]) > 0
    assert STATE_KEY not in context["task_state_store"].data  # success forgets the id
    assert sim.stats()["submissions"] == 1


def test_non_deferrable_polls_on_the_worker_and_writes_videos(
    sim: Any,
    wavespeed_conn: str,
    context: dict[str, Any],
    product_image: Path,
    tmp_path: Path,
    decode: Any,
) -> None:
    op = make_op(image=str(product_image), deferrable=False, output_path=f"file://{tmp_path}/v")
    result = op.execute(context)
    assert set(result) == RESULT_KEYS
    json.dumps(result)
    assert result["status"] == "completed"
    assert [Path(p).parent for p in result["video_paths"]] == [tmp_path / "v"]
    assert decode(result["video_paths"][0]) > 0
    assert context["ti"].xcom["seedance_video_url"] == result["video_urls"][0]


def test_non_deferrable_failed_generation_fails_with_api_message(
    sim: Any, wavespeed_conn: str, context: dict[str, Any], product_image: Path
) -> None:
    sim.set_faults(failed_generation=1.0, failure_codes=(1200,))
    with pytest.raises(SeedanceGenerationError, match="failed") as info:
        make_op(image=str(product_image), deferrable=False).execute(context)
    assert info.value.prediction_id


def success_event(sim: Any, image: Path) -> dict[str, Any]:
    with SeedanceClient(api_key=API_KEY, base_url=sim.base_url) as client:
        pid = client.submit(ImageToVideoRequest(prompt="x", image=image)).id
    return {"status": "success", "prediction": wait_completed(sim, pid), "message": "done"}


def test_execute_complete_success_downloads_emits_asset_and_link(
    sim: Any,
    wavespeed_conn: str,
    context: dict[str, Any],
    product_image: Path,
    tmp_path: Path,
    decode: Any,
) -> None:
    from airflow.providers.common.compat.sdk import Asset

    asset = Asset("file:///videos/products")
    op = make_op(image=str(product_image), output_path=str(tmp_path), outlets=[asset])
    event = success_event(sim, product_image)
    result = op.execute_complete(context, event)
    assert result["prediction_id"] == event["prediction"]["id"]
    assert result["video_urls"] == event["prediction"]["outputs"]
    assert decode(result["video_paths"][0]) > 0
    assert context["outlet_events"][asset].extra == {
        "prediction_id": result["prediction_id"],
        "paths": result["video_paths"],
    }


def test_execute_complete_writes_to_object_storage(
    sim: Any, wavespeed_conn: str, context: dict[str, Any], product_image: Path, memory_store: str
) -> None:
    op = make_op(image=str(product_image), output_path="memory://videos/daily")
    result = op.execute_complete(context, success_event(sim, product_image))
    (uri,) = result["video_paths"]
    assert uri.startswith("memory://videos/daily/") or "/videos/daily/" in uri
    data = ObjectStoragePath(uri).read_bytes()
    assert data[4:8] == b"ftyp"  # an MP4 header, streamed through ObjectStoragePath


@pytest.mark.parametrize(
    ("status", "message"),
    [
        ("failed", "Prediction p1 failed: content moderation (code 1200)"),
        ("timeout", "still processing at the deadline"),
        ("error", "Polling p1 failed (6 in a row)"),
    ],
)
def test_execute_complete_unsuccessful_events_fail_with_their_message(
    status: str, message: str, context: dict[str, Any]
) -> None:
    context["task_state_store"].set(STATE_KEY, "p1")
    event = {"status": status, "prediction": {"id": "p1", "status": "failed"}, "message": message}
    with pytest.raises(SeedanceGenerationError, match=message.split(" (")[0]):
        make_op(image="https://example.com/a.png").execute_complete(context, event)
    # A failed prediction is final; a timeout/error keeps the id so a retry reattaches.
    kept = STATE_KEY in context["task_state_store"].data
    assert kept == (status != "failed")


@pytest.mark.parametrize(
    "event",
    [
        None,
        "success",
        {"status": "done", "prediction": {"id": "p1"}},
        {"status": "success"},
        {"status": "success", "prediction": {"status": "completed"}},
        {"status": "success", "prediction": {"id": "p1", "status": "processing"}},
    ],
)
def test_execute_complete_rejects_malformed_events(event: Any, context: dict[str, Any]) -> None:
    with pytest.raises(SeedanceEventError):
        make_op(image="https://example.com/a.png").execute_complete(context, event)
    assert issubclass(SeedanceEventError, AirflowException)


def test_object_storage_image_is_read_and_uploaded(
    sim: Any, wavespeed_conn: str, context: dict[str, Any], png_bytes: bytes, memory_store: str
) -> None:
    source = ObjectStoragePath("memory://inputs/product.png")
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_bytes(png_bytes)
    sim.set_generation_time(30.0)
    with pytest.raises(TaskDeferred):
        make_op(image=source).execute(context)
    assert sim.stats()["uploads"] == 1
