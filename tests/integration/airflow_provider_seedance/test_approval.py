"""``SeedanceSpendApprovalOperator`` (``operators/approval.py``, Airflow 3.1+): a person is
asked only when the quoted batch is over its run cap."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("airflow.providers.standard.operators.hitl")

from airflow.providers.standard.operators.hitl import ApprovalOperator

from airflow_provider_seedance.operators.approval import (
    ASKED_XCOM_KEY,
    SeedanceSpendApprovalOperator,
)
from airflow_provider_seedance.operators.quote import TOTAL_XCOM_KEY


class QuoteTI:
    def __init__(self, total: dict[str, Any]) -> None:
        self.total = total

        self.pushed: dict[str, Any] = {}

    def xcom_pull(self, task_ids: str, key: str, **_: Any) -> Any:
        assert (task_ids, key) == ("quote", TOTAL_XCOM_KEY)
        return self.total

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value


def test_within_the_cap_it_approves_without_asking(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ApprovalOperator, "execute", lambda *a: pytest.fail("asked a person"))
    op = SeedanceSpendApprovalOperator(task_id="approve", quote_task_id="quote")
    result = op.execute({"ti": QuoteTI({"over_cap": False, "total_usd": 2.4})})
    assert result["chosen_options"] == [op.APPROVE] and result["asked"] is False


def test_over_the_cap_it_asks_and_says_what_and_how_much(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[Any] = []
    monkeypatch.setattr(ApprovalOperator, "execute", lambda self, ctx: asked.append(ctx))
    op = SeedanceSpendApprovalOperator(task_id="approve", quote_task_id="quote")
    ti = QuoteTI({"over_cap": True, "total_usd": 6.5, "max_total_usd": 5.0})
    op.execute({"ti": ti, "task_instance": type("TI", (), {"id": "0190-ask"})()})
    assert len(asked) == 1
    assert ti.pushed == {ASKED_XCOM_KEY: "0190-ask"}  # where the decision finds the answer
    assert "seedance_quote_total" in op.body and "'quote'" in op.body
    assert not op.params  # no form fields: the decision is approve or reject
