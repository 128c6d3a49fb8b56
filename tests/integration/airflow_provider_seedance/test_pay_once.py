"""The operator pays once even when a try dies inside its submit (issue 17), on the simulator.

A try "dies" here by raising :class:`Died` (a ``BaseException``, like the signal that ends a
killed worker: nothing after it runs) at a chosen point of the paying path; the next try
reuses the same task state store, as Airflow does. The real ``kill -9`` versions of these
tests run a whole Airflow in tests/reliability/test_pay_once_crashes.py.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException, TaskDeferred

from airflow_provider_seedance.operators.seedance import SeedanceImageToVideoOperator
from airflow_provider_seedance.reattach import INTENT_KEY, INTENT_XCOM_KEY, STATE_KEY
from airflow_provider_seedance.triggers.reconcile import SeedanceSubmitReconcileTrigger
from airflow_provider_seedance.triggers.seedance import SeedancePredictionTrigger
from shared_client import SeedanceClient, SubmitIntent

API_KEY = "unit-test-secret-key-1234"


class Died(BaseException):
    """Stands in for SIGKILL: not an Exception, so no handler of the provider catches it."""


class CrashingOperator(SeedanceImageToVideoOperator):
    """Dies once at ``crash_at``: after the intent, or after the answer, or after the id."""

    crash_at: str = ""

    def _record_intent(self, context: Any, ledger: Any, intent: SubmitIntent) -> None:
        super()._record_intent(context, ledger, intent)
        if self.crash_at == "before_post":
            raise Died

    def _store_prediction(self, context: Any, ledger: Any, prediction: Any) -> None:
        if self.crash_at == "after_answer":
            raise Died
        super()._store_prediction(context, ledger, prediction)
        if self.crash_at == "after_ledger":
            raise Died


def make_op(crash_at: str = "", **kwargs: Any) -> CrashingOperator:
    params: dict[str, Any] = {
        "task_id": "generate",
        "prompt": f"pay once {uuid.uuid4()}",
        "image": IMAGE_URL[0],
        "poll_interval": 0.2,
        "settle_window": 8.0,
    }
    params.update(kwargs)
    op = CrashingOperator(**params)
    op.crash_at = crash_at
    return op


def retry_of(op: CrashingOperator) -> CrashingOperator:
    """The next try: the same task, no crash."""
    again = make_op(prompt=op.prompt, settle_window=op.settle_window,
                    resubmit_after_settle=op.resubmit_after_settle)  # fmt: skip
    return again


#: The product image, uploaded once to the simulator: a URL keeps every try's body identical.
IMAGE_URL: list[str] = [""]


@pytest.fixture
def windows(sim: Any, png_bytes: bytes) -> Iterator[Any]:
    with SeedanceClient(api_key=API_KEY, base_url=sim.base_url) as client:
        IMAGE_URL[0] = client.upload(png_bytes)
    sim.set_generation_time(30.0)  # still running when a retry follows it: it defers
    yield sim
    sim.set_timing(history_lag=0.0, submit_hold=0.0)


def settle(trigger: SeedanceSubmitReconcileTrigger) -> dict[str, Any]:
    async def first() -> dict[str, Any]:
        return [event.payload async for event in trigger.run()][-1]

    return asyncio.run(first())


@pytest.mark.parametrize("crash_at", ["after_answer", "after_ledger"])
def test_a_try_that_died_after_the_post_is_adopted_not_paid_again(
    windows: Any, wavespeed_conn: str, context: dict[str, Any], crash_at: str
) -> None:
    op = make_op(crash_at)
    with pytest.raises(Died):
        op.execute(context)
    assert windows.stats()["submissions"] == 1
    with pytest.raises(TaskDeferred) as info:
        retry_of(op).execute(context)
    assert isinstance(info.value.trigger, SeedancePredictionTrigger)
    assert windows.stats()["submissions"] == 1
    pid = context["ti"].xcom["prediction_id"]
    assert windows.task(pid) is not None
    assert context["task_state_store"].data[STATE_KEY] == pid


def test_a_try_that_died_before_the_post_submits_once_after_the_window(
    windows: Any, wavespeed_conn: str, context: dict[str, Any]
) -> None:
    op = make_op("before_post", settle_window=1.0)
    with pytest.raises(Died):
        op.execute(context)
    assert windows.stats()["submissions"] == 0
    record = SubmitIntent.from_json(context["task_state_store"].data[INTENT_KEY])
    assert record.prediction_id is None
    with pytest.raises(TaskDeferred) as info:  # still inside the window: search in the triggerer
        retry_of(op).execute(context)
    trigger = info.value.trigger
    assert isinstance(trigger, SeedanceSubmitReconcileTrigger) and trigger.reason == "crash"
    assert "unit-test-secret" not in json.dumps(trigger.serialize()[1])
    event = settle(trigger)
    assert event["status"] == "not_found"
    with pytest.raises(TaskDeferred) as followed:
        retry_of(op).execute_reconciled(context, event)
    assert isinstance(followed.value.trigger, SeedancePredictionTrigger)
    assert windows.stats()["submissions"] == 1


def test_history_lag_is_waited_out_in_the_triggerer_then_the_task_adopted(
    windows: Any, wavespeed_conn: str, context: dict[str, Any]
) -> None:
    windows.set_timing(history_lag=2.0)
    op = make_op("after_answer")
    with pytest.raises(Died):
        op.execute(context)
    with pytest.raises(TaskDeferred) as info:
        retry_of(op).execute(context)
    trigger = info.value.trigger
    assert isinstance(trigger, SeedanceSubmitReconcileTrigger)
    trigger.search_interval = 0.5
    event = settle(trigger)
    assert event["status"] == "found"
    with pytest.raises(TaskDeferred):
        retry_of(op).execute_reconciled(context, event)
    assert context["ti"].xcom["prediction_id"] == event["prediction"]["id"]
    assert windows.stats()["submissions"] == 1


def test_a_lost_answer_is_settled_in_the_triggerer(
    windows: Any, wavespeed_conn: str, context: dict[str, Any]
) -> None:
    windows.set_faults(ambiguous_submit=1.0)
    windows.set_timing(history_lag=2.0)
    op = make_op()
    with pytest.raises(TaskDeferred) as info:
        op.execute(context)
    trigger = info.value.trigger
    assert isinstance(trigger, SeedanceSubmitReconcileTrigger) and trigger.reason == "uncertain"
    trigger.search_interval = 0.5
    event = settle(trigger)
    assert event["status"] == "found"
    windows.set_faults()
    with pytest.raises(TaskDeferred):
        retry_of(op).execute_reconciled(context, event)
    assert windows.stats()["submissions"] == 1


@pytest.mark.parametrize("opt_in", [False, True])
def test_after_an_empty_window_a_lost_answer_fails_unless_the_user_opted_in(
    windows: Any, wavespeed_conn: str, context: dict[str, Any], opt_in: bool
) -> None:
    windows.set_faults(ambiguous_submit=1.0)
    windows.set_timing(history_lag=60.0)  # the history never shows it within the window
    op = make_op(settle_window=1.0, resubmit_after_settle=opt_in)
    with pytest.raises(TaskDeferred) as info:
        op.execute(context)
    event = settle(info.value.trigger)
    assert event["status"] == "not_found"
    windows.set_faults()
    if not opt_in:
        with pytest.raises(AirflowFailException) as failed:
            retry_of(op).execute_reconciled(context, event)
        assert "settle window" in str(failed.value) and "resubmit_after_settle" in str(failed.value)
        assert windows.stats()["submissions"] == 1
    else:
        with pytest.raises(TaskDeferred):
            retry_of(op).execute_reconciled(context, event)
        assert windows.stats()["submissions"] == 2  # the risk the user accepted


class SharedXComTI:
    """Sibling map indexes of one task: each pushes its own XCom, all read every index's."""

    board: dict[tuple[int, str], Any]

    def __init__(self, board: dict[tuple[int, str], Any], map_index: int) -> None:
        self.dag_id, self.run_id, self.task_id = "unit_dag", "manual__unit", "generate"
        self.map_index, self.try_number, self.board = map_index, 1, board
        self.xcom: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any, **_: Any) -> None:
        self.xcom[key] = value
        self.board[(self.map_index, key)] = value

    def xcom_pull(self, task_ids: Any = None, key: str = "", **_: Any) -> list[Any]:
        return [v for (_, k), v in sorted(self.board.items()) if k == key]


def test_two_map_indexes_with_identical_bodies_never_adopt_each_others_task(
    windows: Any, wavespeed_conn: str, context: dict[str, Any]
) -> None:
    new_store = type(context["task_state_store"])  # each map index has its own store
    board: dict[tuple[int, str], Any] = {}
    prompt = f"the same ad, mapped twice {uuid.uuid4()}"
    contexts = [
        {**context, "ti": SharedXComTI(board, i), "task_state_store": new_store()} for i in (0, 1)
    ]
    for ctx in contexts:
        with pytest.raises(Died):
            make_op("after_answer", prompt=prompt).execute(ctx)
        time.sleep(0.05)
    assert windows.stats()["submissions"] == 2
    adopted = []
    for ctx in reversed(contexts):  # the later intent recovers first: order must not matter
        with pytest.raises(TaskDeferred):
            make_op(prompt=prompt).execute(ctx)
        adopted.append(ctx["ti"].xcom["prediction_id"])
    assert len(set(adopted)) == 2
    assert all(windows.task(pid) is not None for pid in adopted)
    assert windows.stats()["submissions"] == 2
    assert len([k for k in board if k[1] == INTENT_XCOM_KEY]) == 2
