"""What a generation's asset event carries (``assets.py``): what was made and what it cost."""

from __future__ import annotations

from typing import Any

from airflow_provider_seedance.assets import PROMPT_CHARS, emit, event_extra
from shared_client import Prediction
from tests.support.airflow import OutletEvents

RECORD = {
    "usd": 0.6,
    "currency": "USD",
    "source": "api",
    "model": "bytedance/seedance-2.0/text-to-video",
    "max_cost_usd": None,
}


def _prediction(**kw: Any) -> Prediction:
    base: dict[str, Any] = {
        "id": "pred-1",
        "model": "bytedance/seedance-2.0/text-to-video",
        "outputs": ["http://127.0.0.1:9/out/pred-1.mp4"],
        "cost_usd": 0.6,
        "cost_source": "api",
    }
    base.update(kw)
    return Prediction(**base)


def test_the_event_says_which_video_model_prompt_seconds_and_cost() -> None:
    extra = event_extra(
        _prediction(), ["/out/pred-1.mp4"], RECORD, prompt="a lamp\non a shelf", seconds="5"
    )
    assert extra == {
        "prediction_id": "pred-1",
        "model": "bytedance/seedance-2.0/text-to-video",
        "video_url": "http://127.0.0.1:9/out/pred-1.mp4",
        "prompt": "a lamp on a shelf",
        "paths": ["/out/pred-1.mp4"],
        "seconds": 5,
        "cost_usd": 0.6,
        "cost_source": "api",
        "cost": "$0.6000 USD (pricing API)",
        "quote": {k: RECORD[k] for k in ("usd", "currency", "source", "model")},
    }


def test_a_table_price_says_so_and_a_long_prompt_is_shortened() -> None:
    extra = event_extra(_prediction(cost_source="table"), [], None, prompt="x" * 500, seconds=None)
    assert extra["cost"] == "$0.6000 USD (offline price table)"
    assert extra["cost_source"] == "table"
    assert len(extra["prompt"]) == PROMPT_CHARS and extra["prompt"].endswith("\u2026")
    assert "seconds" not in extra and "quote" not in extra


def test_without_a_price_the_event_has_no_cost_rather_than_a_guess() -> None:
    extra = event_extra(
        _prediction(cost_usd=None, cost_source=None, outputs=[]),
        [],
        None,
        prompt=None,
        seconds="None",
    )
    assert "cost" not in extra and "cost_usd" not in extra and "seconds" not in extra
    assert extra["video_url"] is None and extra["prompt"] is None


def test_every_outlet_gets_the_extra() -> None:
    events = OutletEvents()
    emit({"outlet_events": events}, ["a", "b"], {"prediction_id": "p"})
    assert events["a"].extra == events["b"].extra == {"prediction_id": "p"}
    emit({}, ["a"], {"prediction_id": "q"})  # no outlet_events (Airflow < 2.10): nothing
