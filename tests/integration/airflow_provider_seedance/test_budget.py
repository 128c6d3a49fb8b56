"""Money on one operator (``operators/budget.py``): quote, cap, balance, the recorded cost.

The simulator prices runs with the same formula as the core's offline table, keeps a
balance that completed runs are charged against, and refuses a submit it cannot pay
with HTTP 402: each refusal here is checked to have uploaded and submitted nothing.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException, Asset, TaskDeferred

from airflow_provider_seedance.operators.budget import QUOTE_XCOM_KEY
from airflow_provider_seedance.operators.seedance import (
    SeedanceImageToVideoOperator,
    SeedanceTextToVideoOperator,
    SeedanceVideoEditOperator,
    SeedanceVideoExtendOperator,
)
from airflow_provider_seedance.reattach import INTENT_KEY
from shared_client import InvalidRequestError, model_spec
from tests.support.provider import wait_completed

MINI_I2V = "bytedance/seedance-2.0-mini/image-to-video"
#: The catalogue's offline price of a 5 s 720p mini run: what the simulator quotes too.
MINI_5S = model_spec(MINI_I2V).price("720p", 5)  # type: ignore[union-attr]


def i2v(image: Any, **kwargs: Any) -> SeedanceImageToVideoOperator:
    params = {"task_id": "generate", "prompt": "a slow pan", "poll_interval": 0.2, "image": image}
    return SeedanceImageToVideoOperator(**{**params, **kwargs})


@pytest.fixture
def funds(sim: Any) -> Any:
    """The simulator's account, restored after the test."""
    before = sim.balance()
    yield sim
    sim.set_balance(before)


def nothing_sent(sim: Any) -> bool:
    stats = sim.stats()
    return stats["submissions"] == 0 and stats.get("uploads", 0) == 0


@pytest.mark.parametrize(
    ("operator", "media"),
    [
        (SeedanceImageToVideoOperator, {"image": "PNG"}),
        (SeedanceTextToVideoOperator, {"reference_images": ["PNG"]}),
        (SeedanceVideoExtendOperator, {"video": "MP4"}),
        (SeedanceVideoEditOperator, {"video": "MP4"}),
    ],
)
def test_a_cap_below_the_quote_refuses_before_any_upload_naming_quote_source_and_cap(
    sim: Any,
    wavespeed_conn: str,
    context: dict[str, Any],
    product_image: Path,
    clip: Path,
    operator: Any,
    media: dict[str, Any],
) -> None:
    files = {"PNG": str(product_image), "MP4": str(clip)}
    local = {
        k: [files[x] for x in v] if isinstance(v, list) else files[v] for k, v in media.items()
    }
    op = operator(task_id="capped", prompt="x", max_cost_usd=0.05, **local)
    with pytest.raises(AirflowFailException) as info:
        op.execute(context)
    message = str(info.value)
    assert "pricing API" in message and "$0.0500" in message and "nothing was submitted" in message
    assert nothing_sent(sim)
    assert INTENT_KEY not in context["task_state_store"].data
    record = context["ti"].xcom[QUOTE_XCOM_KEY]
    assert record["source"] == "api" and record["max_cost_usd"] == 0.05 and record["usd"] > 0.05


def test_the_quote_and_cost_are_recorded_in_xcom_the_asset_event_and_the_log_once(
    sim: Any,
    wavespeed_conn: str,
    context: dict[str, Any],
    product_image: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    asset = Asset("file:///videos/priced")
    sim.set_generation_time(2.0)
    op = i2v(str(product_image), max_cost_usd=MINI_5S, outlets=[asset], output_path=str(tmp_path))
    with caplog.at_level(logging.INFO), pytest.raises(TaskDeferred):
        op.execute(context)
    submits = [r for r in caplog.records if "ubmitted prediction" in r.getMessage()]
    assert len(submits) == 1, [r.getMessage() for r in submits]
    pid = context["ti"].xcom["prediction_id"]
    assert pid in submits[0].getMessage() and f"${MINI_5S:.4f}" in submits[0].getMessage()
    assert MINI_I2V in submits[0].getMessage() and "(pricing API)" in submits[0].getMessage()
    record = context["ti"].xcom[QUOTE_XCOM_KEY]
    assert record == {
        "usd": MINI_5S,
        "currency": "USD",
        "source": "api",
        "model": MINI_I2V,
        "max_cost_usd": MINI_5S,
        "prediction_id": pid,
        "cost_usd": MINI_5S,
        "cost_source": "api",
    }
    # The task resumes in a new operator instance: the cost comes back from XCom.
    event = {"status": "success", "prediction": wait_completed(sim, pid), "message": "done"}
    i2v(str(product_image), outlets=[asset], output_path=str(tmp_path)).execute_complete(
        context, event
    )
    extra = context["outlet_events"][asset].extra
    assert extra["prediction_id"] == pid and extra["cost_usd"] == MINI_5S
    assert extra["cost_source"] == "api" and extra["quote"]["model"] == MINI_I2V
    assert extra["cost"] == f"${MINI_5S:.4f} USD (pricing API)" and extra["model"] == MINI_I2V
    assert extra["video_url"] == event["prediction"]["outputs"][0]


def test_a_templated_cap_is_rendered_and_a_bad_one_named(
    sim: Any, wavespeed_conn: str, context: dict[str, Any]
) -> None:
    op = i2v("https://example.com/a.png", max_cost_usd="{{ params.cap }}")
    op.render_template_fields({"params": {"cap": "0.01"}})
    with pytest.raises(AirflowFailException, match=r"\$0\.0100"):
        op.execute(context)
    op = i2v("https://example.com/a.png", max_cost_usd="{{ params.cap }}")
    op.render_template_fields({"params": {"cap": "lots"}})
    with pytest.raises(InvalidRequestError) as info:
        op.execute(context)
    assert info.value.field == "max_cost_usd"
    with pytest.raises(InvalidRequestError, match="max_cost_usd"):
        i2v("https://example.com/a.png", max_cost_usd=-1)
    assert nothing_sent(sim)


def test_check_balance_refuses_a_run_the_account_cannot_pay(
    funds: Any, wavespeed_conn: str, context: dict[str, Any], product_image: Path
) -> None:
    funds.set_balance(MINI_5S / 2)
    with pytest.raises(AirflowFailException, match="account holds") as info:
        i2v(str(product_image), check_balance=True).execute(context)
    assert "pricing API" in str(info.value)
    assert nothing_sent(funds)


def test_a_402_at_submit_fails_without_retry_and_voids_the_intent(
    funds: Any, wavespeed_conn: str, context: dict[str, Any]
) -> None:
    funds.set_balance(MINI_5S / 2)
    with pytest.raises(AirflowFailException, match="Nothing was submitted"):
        i2v("https://example.com/a.png").execute(context)
    assert funds.stats()["insufficient_balance_refusals"] == 1
    assert funds.stats()["submissions"] == 0
    assert INTENT_KEY not in context["task_state_store"].data  # a retry starts clean


def test_the_offline_table_prices_when_the_pricing_api_is_down_and_says_so(
    sim: Any, wavespeed_conn: str, context: dict[str, Any]
) -> None:
    sim.set_faults(rate_500=1.0, scopes=("account",))
    with pytest.raises(AirflowFailException, match="offline price table"):
        i2v("https://example.com/a.png", max_cost_usd=0.01).execute(context)
    assert context["ti"].xcom[QUOTE_XCOM_KEY]["source"] == "table"
    assert nothing_sent(sim)


def test_a_reattaching_retry_is_not_refused_by_a_cap_lowered_since(
    sim: Any, wavespeed_conn: str, context: dict[str, Any]
) -> None:
    sim.set_generation_time(30.0)
    with pytest.raises(TaskDeferred):
        i2v("https://example.com/a.png").execute(context)
    with pytest.raises(TaskDeferred):  # already paid: follow it, do not refuse it
        i2v("https://example.com/a.png", max_cost_usd=0.01).execute(context)
    assert sim.stats()["submissions"] == 1
