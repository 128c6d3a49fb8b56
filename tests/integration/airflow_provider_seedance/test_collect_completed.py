"""Completed is collected: a task instance that delivered its video keeps its record, so a
later try (Airflow 3's "Failed to report terminal task state to supervisor" after the
video was written, or a user clearing the task) collects the prediction and pays nothing;
a changed request, or ``reattach_on_retry=False``, submits anew. Both ledgers: Airflow
3.3's ``task_state_store`` and the Variable of Airflow 2.11/3.0-3.2."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_seedance.reattach import STATE_KEY, ledger_for, request_key
from tests.support.airflow import FakeTI, FakeVariables, task_context
from tests.support.provider import make_op

COLLECTED = "already completed for this task instance; collecting it, nothing paid"


@pytest.fixture(params=["task_state_store", "variable"])
def store(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A task context on Airflow 3.3+ (``task_state_store``) or older (a Variable)."""
    variables = FakeVariables().install(monkeypatch)
    context = task_context()
    if request.param == "variable":
        del context["task_state_store"]  # Airflow < 3.3 has none: the Variable ledger
    return {"context": context, "variables": variables, "kind": request.param}


def _next_try(context: dict[str, Any]) -> dict[str, Any]:
    """The same task instance's next try: its XCom wiped, its durable store kept."""
    ti = context["ti"]
    again = FakeTI(ti.task_id, ti.map_index, dag_id=ti.dag_id, run_id=ti.run_id,
                   try_number=ti.try_number + 1)  # fmt: skip
    return {**context, "ti": again, "outlet_events": type(context["outlet_events"])()}


def _deliver(op: Any, context: dict[str, Any]) -> dict[str, Any]:
    return dict(op.execute(context))


def test_a_new_try_after_a_delivered_video_collects_it_and_pays_nothing(
    sim: Any,
    wavespeed_conn: str,
    store: dict[str, Any],
    product_image: Path,
    tmp_path: Path,
    decode: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    context = store["context"]
    out = tmp_path / "out"
    first = _deliver(make_op(image=str(product_image), output_path=str(out), deferrable=False,
                             outlets=["videos"]), context)  # fmt: skip
    assert sim.stats()["submissions"] == 1 and decode(first["video_paths"][0]) > 0
    # The record of the completed prediction stays where the next try looks.
    assert ledger_for(context).get() == first["prediction_id"]
    if store["kind"] == "variable":
        assert len(store["variables"].data) == 1
    Path(first["video_paths"][0]).unlink()  # e.g. the worker's disk is gone too
    # The try failed after delivering (supervisor report lost); Airflow retries it.
    retry = _next_try(context)
    with caplog.at_level(logging.WARNING):
        second = _deliver(make_op(image=str(product_image), output_path=str(out),
                                  deferrable=False, outlets=["videos"]), retry)  # fmt: skip
    assert sim.stats()["submissions"] == 1  # nothing new was paid
    assert second["prediction_id"] == first["prediction_id"]
    assert decode(second["video_paths"][0]) > 0  # downloaded again
    assert f"Prediction {first['prediction_id']} {COLLECTED}" in caplog.text
    assert retry["ti"].xcom["prediction_id"] == first["prediction_id"]
    assert retry["outlet_events"]["videos"].extra["prediction_id"] == first["prediction_id"]
    # And a third try (a user clearing the task) still pays nothing.
    _deliver(make_op(image=str(product_image), deferrable=False), _next_try(retry))
    assert sim.stats()["submissions"] == 1


def test_a_changed_request_submits_anew_and_keeps_the_new_record(
    sim: Any, wavespeed_conn: str, store: dict[str, Any], product_image: Path
) -> None:
    context = store["context"]
    first = _deliver(make_op(image=str(product_image), deferrable=False), context)
    retry = _next_try(context)
    changed = make_op(image=str(product_image), prompt="a fast zoom", deferrable=False)
    second = _deliver(changed, retry)
    assert sim.stats()["submissions"] == 2
    assert second["prediction_id"] != first["prediction_id"]
    ledger = ledger_for(retry)
    assert ledger.get() == second["prediction_id"]
    intent = ledger.intent()
    assert intent is not None and intent.request_key == request_key(changed.build_request())
    # The changed request, run once more, is collected in its turn.
    _deliver(make_op(image=str(product_image), prompt="a fast zoom", deferrable=False),
             _next_try(retry))  # fmt: skip
    assert sim.stats()["submissions"] == 2


def test_reattach_on_retry_false_pays_for_a_new_video(
    sim: Any, wavespeed_conn: str, store: dict[str, Any], product_image: Path
) -> None:
    context = store["context"]
    _deliver(make_op(image=str(product_image), deferrable=False), context)
    _deliver(make_op(image=str(product_image), deferrable=False, reattach_on_retry=False),
             _next_try(context))  # fmt: skip
    assert sim.stats()["submissions"] == 2


def test_mapped_task_keeps_its_variable_mirror_after_success(
    sim: Any, wavespeed_conn: str, monkeypatch: pytest.MonkeyPatch, product_image: Path
) -> None:
    """Airflow 3.3+, mapped: the mirror a sibling reads stays once the video is delivered,
    so a sibling never adopts this task's prediction when its XCom is wiped by a clear."""
    variables = FakeVariables().install(monkeypatch)
    context = task_context(FakeTI("generate", map_index=1))
    result = _deliver(make_op(image=str(product_image), deferrable=False), context)
    (mirror,) = variables.data.values()
    assert result["prediction_id"] in mirror
    assert context["task_state_store"].data[STATE_KEY] == result["prediction_id"]


def test_request_key_changes_with_every_field_the_request_asks_for(png_bytes: bytes) -> None:
    from shared_client import ImageToVideoRequest

    url = "https://example.com/a.png"
    base = ImageToVideoRequest(prompt="p", image=url, extra_params={"seed": 1})
    assert request_key(base) == request_key(
        ImageToVideoRequest(prompt="p", image=url, extra_params={"seed": 1})
    )
    for other in (
        ImageToVideoRequest(prompt="q", image=url, extra_params={"seed": 1}),
        ImageToVideoRequest(
            prompt="p", image=url.replace("a.png", "b.png"), extra_params={"seed": 1}
        ),
        ImageToVideoRequest(prompt="p", image=url, extra_params={"seed": 2}),
        ImageToVideoRequest(prompt="p", image=url, extra_params={"seed": 1}, duration=10),
    ):
        assert request_key(other) != request_key(base)
    raw = ImageToVideoRequest(prompt="p", image=png_bytes)
    assert request_key(raw) == request_key(ImageToVideoRequest(prompt="p", image=bytes(png_bytes)))
    assert request_key(raw) != request_key(ImageToVideoRequest(prompt="p", image=png_bytes + b"x"))
