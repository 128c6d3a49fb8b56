"""Trigger events in, task results out (``results.py``): unsuccessful events fail the task
with their message, malformed events are refused. Driven through ``execute_complete``."""

from __future__ import annotations

from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowException

from airflow_provider_seedance.reattach import STATE_KEY
from airflow_provider_seedance.results import SeedanceEventError, SeedanceGenerationError
from tests.support.provider import make_op


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
