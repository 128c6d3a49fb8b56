"""The decision behind an approval (``operators/approval.py``, ``triggers/approval.py``):
it applies the recorded answer even when Airflow failed the ask after it was answered
(the stale-executor-report race, docs/design-notes.md), and never lets a gated task run
without an Approve."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

pytest.importorskip("airflow.providers.standard.operators.hitl")

from airflow.providers.common.compat.sdk import AirflowFailException, AirflowSkipException
from airflow.triggers.base import TaskFailedEvent, TaskSkippedEvent, TaskSuccessEvent

from airflow_provider_seedance.operators.approval import (
    ASKED_XCOM_KEY,
    SeedanceApprovalDecisionOperator,
    SeedanceApprovalOperator,
    seedance_approval,
)
from airflow_provider_seedance.triggers import approval as trigger_module
from airflow_provider_seedance.triggers.approval import SeedanceApprovalAnswerTrigger

try:
    from airflow.sdk.exceptions import TaskDeferred
except ImportError:  # pragma: no cover - Airflow < 3
    from airflow.exceptions import TaskDeferred


class DecisionTI:
    """The decision's view of the run: the ask's state and XComs."""

    dag_id, run_id = "story", "manual__1"

    def __init__(self, state: str | None, xcoms: dict[str | None, Any]) -> None:
        self.state = state
        self.xcoms = xcoms

    def get_task_states(self, **query: Any) -> dict[str, dict[str, Any]]:
        assert query == {"dag_id": "story", "task_ids": ["approve"], "run_ids": ["manual__1"]}
        return {"manual__1": {"approve": self.state}}

    def xcom_pull(self, task_ids: str, key: str | None = None) -> Any:
        assert task_ids == "approve"
        return self.xcoms.get(key)


def decide(state: str | None, **xcoms: Any) -> Any:
    op = SeedanceApprovalDecisionOperator(task_id="approve_decision", approval_task_id="approve")
    keyed = {None if k == "return_value" else k: v for k, v in xcoms.items()}
    return op.execute({"ti": DecisionTI(state, keyed)})


def test_an_approved_ask_passes_approve_on() -> None:
    out = decide("success", return_value={"chosen_options": ["Approve"]})
    assert out == {"chosen_options": ["Approve"], "approved": True, "recovered": False}


def test_a_rejected_ask_that_did_not_skip_it_still_skips_the_gated_tasks() -> None:
    with pytest.raises(AirflowSkipException, match="Reject"):
        decide("success", return_value={"chosen_options": ["Reject"]})


def test_an_ask_failed_after_asking_defers_to_read_its_recorded_answer() -> None:
    with pytest.raises(TaskDeferred) as deferred:
        decide("failed", **{ASKED_XCOM_KEY: "01a2-ask"})
    trigger = deferred.value.trigger
    assert isinstance(trigger, SeedanceApprovalAnswerTrigger)
    assert trigger.serialize()[1] == {"ti_id": "01a2-ask", "approval_task_id": "approve"}


@pytest.mark.parametrize("state", ["upstream_failed", "failed", None])
def test_an_ask_that_never_asked_fails_the_decision(state: str | None) -> None:
    with pytest.raises(AirflowFailException, match="without asking"):
        decide(state)


def test_a_skipped_ask_skips_the_decision() -> None:
    with pytest.raises(AirflowSkipException):
        decide("skipped")


def answer(options: list[str] | None) -> SimpleNamespace:
    return SimpleNamespace(
        response_received=options is not None,
        chosen_options=options,
        responded_at=datetime(2026, 12, 7, 2, 0, tzinfo=UTC),
        responded_by_user=SimpleNamespace(id="1", name="reviewer"),
    )


def run_trigger(monkeypatch: pytest.MonkeyPatch, options: list[str] | None) -> list[Any]:
    import airflow.sdk.execution_time.hitl as hitl

    seen: list[Any] = []

    def recorded(ti_id: Any) -> SimpleNamespace:
        seen.append(str(ti_id))
        return answer(options)

    monkeypatch.setattr(hitl, "get_hitl_detail_content_detail", recorded)
    trigger = SeedanceApprovalAnswerTrigger("01a24e48-a012-7aad-b3bd-5bb99500c9ec", "approve")

    async def collect() -> list[Any]:
        return [event async for event in trigger.run()]

    events = asyncio.run(collect())
    assert seen == ["01a24e48-a012-7aad-b3bd-5bb99500c9ec"]  # the ask's record, read once
    return events


def test_the_trigger_ends_the_task_with_approve(monkeypatch: pytest.MonkeyPatch) -> None:
    [event] = run_trigger(monkeypatch, ["Approve"])
    assert isinstance(event, TaskSuccessEvent)
    result = event.xcoms["return_value"]
    assert result["approved"] is True and result["recovered"] is True
    assert result["responded_by_user"] == {"id": "1", "name": "reviewer"}


def test_the_trigger_skips_on_reject(monkeypatch: pytest.MonkeyPatch) -> None:
    [event] = run_trigger(monkeypatch, ["Reject"])
    assert isinstance(event, TaskSkippedEvent)


def test_the_trigger_fails_when_nobody_answered(monkeypatch: pytest.MonkeyPatch) -> None:
    [event] = run_trigger(monkeypatch, None)
    assert isinstance(event, TaskFailedEvent)


def test_seedance_approval_wires_ask_then_decision() -> None:
    from airflow.sdk import DAG

    with DAG("wiring", schedule=None):
        step = seedance_approval("approve", subject="Go?", body="b")
    assert isinstance(step.ask, SeedanceApprovalOperator)
    assert step.decide.task_id == "approve_decision"
    assert step.decide.upstream_task_ids == {"approve"}
    assert step.decide.trigger_rule == "all_done"
    assert step.ask.retries == 0  # a retry would ask a new question
    assert trigger_module.APPROVE == step.ask.APPROVE
