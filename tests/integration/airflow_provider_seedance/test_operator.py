"""The image-to-video operator on the shared base (``operators/base.py``): validation before
paying, deferral, completion.

Reattach on retry, results and events, and image/video storage have their own files
(``test_reattach.py``, ``test_results.py``, ``test_storage.py``).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import TaskDeferred

from airflow_provider_seedance.reattach import STATE_KEY
from airflow_provider_seedance.results import SeedanceGenerationError
from airflow_provider_seedance.triggers.seedance import SeedancePredictionTrigger
from shared_client.errors import InvalidRequestError
from tests.support.provider import API_KEY, make_op, success_event

RESULT_KEYS = {
    "prediction_id",
    "model",
    "status",
    "video_urls",
    "video_paths",
    "inference_ms",
    "has_nsfw_contents",
}


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
    # The first version's templated fields, plus (since every request field is
    # templated) the numbers, choices, booleans, the model and the cap.
    assert set(op.template_fields) == {
        "prompt",
        "image",
        "last_image",
        "output_path",
        "extra_params",
        "aspect_ratio",
        "resolution",
        "duration",
        "generate_audio",
        "enable_web_search",
        "model",
        "max_cost_usd",
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
    # The "Seedance video" link works while deferred: the prediction's result URL.
    link = context["ti"].xcom["seedance_video_url"]
    assert link == f"{sim.base_url}/api/v3/predictions/{pid}/result"
    stats = sim.stats()
    assert stats["submissions"] == 1 and stats["uploads"] == 1


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
        "model": event["prediction"]["model"],
        "video_url": result["video_urls"][0],
        "prompt": "a slow pan",
        "seconds": 5,
        "paths": result["video_paths"],
    }  # no price record in this context: no cost rather than a guess
