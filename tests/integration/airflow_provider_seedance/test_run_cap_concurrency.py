"""A run-level cap holds when the mapped generations run at once (design (a), one decider).

The quote step allocates every map index its share of the cap in one task; each
generation task may then spend only its own allocation. Here ten generation tasks run
``execute`` at the same instant on ten threads against the simulator (a real HTTP server
that prices, holds and charges), released together by a barrier, so every check-and-pay
overlaps every other. Some of them ask for more than they were allocated (a value that
rendered differently at run time than when the batch was quoted): they must be refused
having uploaded and submitted nothing, and the money charged must stay within the cap.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_seedance.operators.seedance import (
    SeedanceQuoteOperator,
    SeedanceTextToVideoOperator,
)
from seedance_simulator import Simulator
from shared_client import model_spec
from tests.support import plain_http
from tests.support.airflow import FakeTI, task_context
from tests.support.provider import API_KEY

TASKS = 10
MINI_T2V = "bytedance/seedance-2.0-mini/text-to-video"
COMMON = {"model": MINI_T2V, "resolution": "480p"}
SHARE = model_spec(MINI_T2V).price("480p", 4)  # type: ignore[union-attr]


def prompts_paid(sim: Any) -> list[str]:
    response = plain_http.post(
        f"{sim.base_url}/api/v3/predictions",
        json={"page": 1, "page_size": 100},
        headers={"Authorization": f"Bearer {sim.api_key}"},
    )
    return [item["input"]["prompt"] for item in response.json()["data"]["items"]]


def _allow_execute_in_this_thread() -> None:
    """Airflow 2.11's guard against calling ``execute`` by hand keeps a thread-local it
    creates only in the importing thread; a task runs in a process's main thread there, so
    give this worker thread the same (empty) state. Airflow 3's guard needs nothing."""
    try:
        from airflow.models.baseoperator import ExecutorSafeguard
    except ImportError:
        return
    sentinel = ExecutorSafeguard._sentinel
    if not hasattr(sentinel, "callers"):
        sentinel.callers = {}


def run_at_once(allocations: list[dict[str, Any]], drift: dict[int, dict[str, Any]]) -> list[Any]:
    """Execute one generation task per allocation, all released at the same instant."""
    barrier = threading.Barrier(len(allocations))

    def task(index: int) -> Any:
        kwargs = {**COMMON, **allocations[index], **drift.get(index, {})}
        op = SeedanceTextToVideoOperator(
            task_id="generate", deferrable=False, poll_interval=0.2, **kwargs
        )
        context = task_context(FakeTI("generate", map_index=index))
        _allow_execute_in_this_thread()
        barrier.wait()
        try:
            return op.execute(context)
        except AirflowFailException as refused:
            return refused

    with ThreadPoolExecutor(max_workers=len(allocations)) as pool:
        return list(pool.map(task, range(len(allocations))))


@pytest.fixture
def sim() -> Iterator[Simulator]:
    """A simulator of this test's own (it replaces the suite's shared one): the money
    measured is this test's alone, with no slow task of an earlier test to wait out."""
    with Simulator(api_key=API_KEY, generation_time=0.6, fast=True) as own:
        yield own


@pytest.fixture
def batch(sim: Any, wavespeed_conn: str) -> tuple[list[dict[str, Any]], float]:
    """Ten 4 s shots quoted under a cap that fits them exactly (the tightest cap)."""
    items = [{"prompt": f"run cap shot {i} {id(sim)}", "duration": 4} for i in range(TASKS)]
    cap = float(Decimal(repr(SHARE)) * TASKS)
    quote = SeedanceQuoteOperator(
        task_id="quote", mode="text-to-video", batch=items, defaults=COMMON, max_total_usd=cap
    )
    allocations = quote.execute(task_context(FakeTI("quote")))
    assert [a["max_cost_usd"] for a in allocations] == [SHARE] * TASKS
    return allocations, cap


def test_ten_concurrent_tasks_spend_at_most_the_run_cap_and_refusals_pay_nothing(
    sim: Any, batch: tuple[list[dict[str, Any]], float]
) -> None:
    allocations, cap = batch
    charged_before = sim.stats()["charged_usd"]
    greedy = {i: {"duration": 8} for i in (1, 4, 6, 9)}  # each would cost twice its share
    results = run_at_once(allocations, greedy)

    refused = [i for i, r in enumerate(results) if isinstance(r, AirflowFailException)]
    assert refused == sorted(greedy)
    for index in refused:
        message = str(results[index])
        assert f"${2 * SHARE:.4f} USD (pricing API)" in message and f"${SHARE:.4f}" in message
    completed = [r for r in results if isinstance(r, dict)]
    assert len(completed) == TASKS - len(greedy)
    assert all(r["status"] == "completed" for r in completed)

    stats = sim.stats()
    assert stats["submissions"] == TASKS - len(greedy)
    assert stats.get("uploads", 0) == 0
    paid = prompts_paid(sim)
    assert not any(allocations[i]["prompt"] in paid for i in refused)  # nothing submitted
    # This run's charges, by its own predictions (the simulator is this test's own).
    own = {r["prediction_id"] for r in completed}
    charged = -sum(b["amount"] for b in sim.billings() if b["task_id"] in own)
    assert len([b for b in sim.billings() if b["task_id"] in own]) == len(completed)
    assert stats["charged_usd"] - charged_before >= charged - 1e-9
    assert charged == pytest.approx(SHARE * len(completed))
    assert charged <= cap + 1e-9


def test_when_every_task_asks_too_much_at_once_nothing_is_paid(
    sim: Any, batch: tuple[list[dict[str, Any]], float]
) -> None:
    allocations, _ = batch
    charged_before = sim.stats()["charged_usd"]
    results = run_at_once(allocations, {i: {"resolution": "1080p"} for i in range(TASKS)})
    assert all(isinstance(r, AirflowFailException) for r in results)
    assert sim.stats()["submissions"] == 0
    assert sim.stats()["charged_usd"] == charged_before
