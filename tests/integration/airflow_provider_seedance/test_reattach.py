"""Reattach on retry (``reattach.py``): an in-flight prediction is followed, a completed one
collected, a failed one replaced; never paid twice. Driven through the operator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import TaskDeferred

from airflow_provider_seedance.reattach import STATE_KEY
from tests.support.provider import make_op, submit, wait_completed


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
    failed = submit(sim, product_image)
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
    pid = submit(sim, product_image)
    wait_completed(sim, pid)
    context["task_state_store"].set(STATE_KEY, pid)
    result = make_op(image=str(product_image), output_path=str(tmp_path / "out")).execute(context)
    assert result["prediction_id"] == pid and result["status"] == "completed"
    assert decode(result["video_paths"][0]) > 0
    assert context["task_state_store"].data[STATE_KEY] == pid  # completed is kept, to collect
    assert sim.stats()["submissions"] == 1
