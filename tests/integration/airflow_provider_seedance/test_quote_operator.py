"""Pricing a mapped batch before it runs (``operators/quote.py``): totals, caps, approval.

The quote step is where a run-level cap is decided, in one task: its return value is the
batch with each item's allocation as ``max_cost_usd``. The concurrency proof (many
generation tasks spending their allocations at once) is ``test_run_cap_concurrency.py``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import DAG, AirflowFailException

from airflow_provider_seedance.operators.quote import (
    QUOTES_XCOM_KEY,
    TOTAL_XCOM_KEY,
    SeedanceQuoteOperator,
    quote_batch,
)
from airflow_provider_seedance.operators.seedance import SeedanceTextToVideoOperator
from shared_client import InvalidRequestError, model_spec

FAST_T2V = "bytedance/seedance-2.0-fast/text-to-video"
COMMON = {"model": FAST_T2V, "resolution": "480p"}


def price(seconds: int) -> float:
    return model_spec(FAST_T2V).price("480p", seconds)  # type: ignore[union-attr]


def batch(*durations: int) -> list[dict[str, Any]]:
    return [{"prompt": f"shot {i}", "duration": d} for i, d in enumerate(durations)]


def quote_op(**kwargs: Any) -> SeedanceQuoteOperator:
    params = {"task_id": "quote", "mode": "text-to-video", "defaults": COMMON}
    return SeedanceQuoteOperator(**{**params, **kwargs})


def test_the_batch_is_priced_and_each_item_allocated_its_own_quote(
    sim: Any, wavespeed_conn: str, context: dict[str, Any]
) -> None:
    items = batch(4, 5, 8)
    allocations = quote_op(batch=items, max_total_usd=10).execute(context)
    assert allocations == [{**item, "max_cost_usd": price(item["duration"])} for item in items]
    per_item = context["ti"].xcom[QUOTES_XCOM_KEY]
    assert [q["usd"] for q in per_item] == [price(4), price(5), price(8)]
    assert {q["source"] for q in per_item} == {"api"}
    total = context["ti"].xcom[TOTAL_XCOM_KEY]
    assert total["total_usd"] == pytest.approx(price(4) + price(5) + price(8))
    assert total["over_cap"] is False and total["max_total_usd"] == 10.0
    assert sim.stats()["submissions"] == 0


def test_over_the_run_cap_the_quote_step_fails_and_nothing_runs(
    sim: Any, wavespeed_conn: str, context: dict[str, Any]
) -> None:
    items = batch(5, 5, 5)
    cap = price(5) * 2
    with pytest.raises(AirflowFailException) as info:
        quote_op(batch=items, max_total_usd=cap).execute(context)
    message = str(info.value)
    assert f"${price(5) * 3:.4f} for 3 runs (pricing API)" in message
    assert f"${cap:.4f}" in message and "nothing was submitted" in message
    assert context["ti"].xcom[TOTAL_XCOM_KEY]["over_cap"] is True
    assert sim.stats()["submissions"] == 0


def test_a_cap_equal_to_the_total_passes_exactly(
    sim: Any, wavespeed_conn: str, context: dict[str, Any]
) -> None:
    items = batch(*([4] * 10))
    total = sum(price(4) for _ in items)  # float sum: may differ from the exact total
    allocations = quote_op(batch=items, max_total_usd=round(price(4) * 10, 4)).execute(context)
    assert len(allocations) == 10 and total == pytest.approx(price(4) * 10)


def test_an_items_own_cap_below_its_quote_fails_the_whole_batch(
    sim: Any, wavespeed_conn: str, context: dict[str, Any]
) -> None:
    items = [*batch(4), {"prompt": "long", "duration": 15, "max_cost_usd": 0.5}]
    with pytest.raises(AirflowFailException, match=r"batch\[1\]"):
        quote_op(batch=items).execute(context)


def test_bad_items_are_named_before_anything_is_quoted(
    sim: Any, wavespeed_conn: str, context: dict[str, Any]
) -> None:
    with pytest.raises(AirflowFailException, match=r"batch\[1\]\.duration: out of range"):
        quote_op(batch=[*batch(4), {"prompt": "x", "duration": 99}]).execute(context)
    with pytest.raises(AirflowFailException, match=r"unknown argument.*durations"):
        quote_op(batch=[{"prompt": "x", "durations": 5}]).execute(context)
    with pytest.raises(AirflowFailException, match="output_path"):
        quote_op(batch=batch(4), defaults={"output_path": "/x"}).execute(context)
    with pytest.raises(InvalidRequestError, match="mode"):
        quote_op(mode="image-to-image", batch=[])


def test_quote_batch_works_inside_a_task_of_your_own(sim: Any, wavespeed_conn: str) -> None:
    quoted = quote_batch("text-to-video", batch(4, 6), COMMON, max_total_usd="1.0")
    assert [q.usd for q in quoted.quotes] == [price(4), price(6)]
    assert quoted.max_total_usd == 1.0 and not quoted.over_cap
    assert [a["max_cost_usd"] for a in quoted.allocations()] == [price(4), price(6)]


def test_the_allocations_feed_expand_kwargs_of_the_generation_operator(
    sim: Any, wavespeed_conn: str, context: dict[str, Any]
) -> None:
    allocations = quote_op(batch=batch(4, 5)).execute(context)
    with DAG("alloc", schedule=None, start_date=datetime(2026, 1, 1)):
        mapped = SeedanceTextToVideoOperator.partial(task_id="generate", **COMMON).expand_kwargs(
            allocations
        )
    for allocation in allocations:
        op = mapped.unmap(allocation)
        assert op._cap() == allocation["max_cost_usd"]
        assert op.build_request().duration == allocation["duration"]


def _approval_dag(*, guarded: bool = True, downstream: bool = True) -> SeedanceQuoteOperator:
    from airflow.providers.common.compat.sdk import BaseOperator

    with DAG("approval", schedule=None, start_date=datetime(2026, 1, 1)):
        quote = quote_op(batch=batch(5, 5), max_total_usd=price(5), approval_task_id="approve")
        approve = BaseOperator(task_id="approve")
        generate = SeedanceTextToVideoOperator.partial(task_id="generate", **COMMON)
        mapped = generate.expand_kwargs(quote.output)
        if downstream:
            quote >> approve
        if guarded:
            approve >> mapped
    return quote


def test_over_the_cap_with_an_approval_step_it_hands_over_instead_of_failing(
    sim: Any, wavespeed_conn: str, context: dict[str, Any]
) -> None:
    allocations = _approval_dag().execute(context)
    assert [a["max_cost_usd"] for a in allocations] == [price(5), price(5)]
    assert context["ti"].xcom[TOTAL_XCOM_KEY]["over_cap"] is True
    assert sim.stats()["submissions"] == 0


@pytest.mark.parametrize(
    ("guarded", "downstream", "message"),
    [(True, False, "quote >> approve"), (False, True, "approve >> generate")],
)
def test_an_approval_step_that_could_be_bypassed_is_refused(
    sim: Any,
    wavespeed_conn: str,
    context: dict[str, Any],
    guarded: bool,
    downstream: bool,
    message: str,
) -> None:
    with pytest.raises(AirflowFailException, match=message):
        _approval_dag(guarded=guarded, downstream=downstream).execute(context)
    assert QUOTES_XCOM_KEY not in context["ti"].xcom  # refused before quoting


def test_check_balance_refuses_a_batch_the_account_cannot_pay(
    sim: Any, wavespeed_conn: str, context: dict[str, Any]
) -> None:
    before = sim.balance()
    sim.set_balance(price(5))
    try:
        with pytest.raises(AirflowFailException, match="account holds"):
            quote_op(batch=batch(5, 5), check_balance=True).execute(context)
    finally:
        sim.set_balance(before)
