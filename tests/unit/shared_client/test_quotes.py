"""Money before paying, driven without sockets: quotes, the table fallback, the budget gate."""

from __future__ import annotations

from typing import Any

import pytest

from shared_client import (
    APIError,
    AuthenticationError,
    BudgetExceededError,
    ImageToVideoRequest,
    InsufficientBalanceError,
    InvalidResponseError,
    QuoteUnavailableError,
    ServiceUnreachableError,
    TextToVideoRequest,
    VideoEditRequest,
    flows,
)
from shared_client.envelopes import interpret_response
from shared_client.quotes import PLACEHOLDER_HOST, balance_flow, quote_flow, table_quote
from tests.support.flows import Script
from tests.support.media import container_mp4, make_png

BASE = "http://api.test"
T2V = TextToVideoRequest(prompt="a hero shot", duration=10, resolution="1080p")


def calls(script: Script) -> list[str]:
    return [e.request.purpose for e in script.effects if isinstance(e, flows.Call)]


def test_the_pricing_api_prices_the_exact_body_without_uploading() -> None:
    request = TextToVideoRequest(prompt="x @Image1", reference_images=[make_png()])
    script = Script([{"model_id": request.model, "unit_price": 1.25, "currency": "USD"}])
    quote = script.run(quote_flow(BASE, request))
    assert (quote.usd, quote.currency, quote.source, quote.model) == (
        1.25,
        "USD",
        "api",
        request.model,
    )
    [call] = script.effects
    assert call.request.url == f"{BASE}/api/v3/model/pricing"
    body = call.request.json
    assert body["model_id"] == request.model
    assert body["inputs"]["reference_images"][0].startswith(PLACEHOLDER_HOST)  # nothing uploaded
    assert body["inputs"]["duration"] == 5


@pytest.mark.parametrize(
    "failure",
    [
        ServiceUnreachableError("refused", request_sent=False),
        APIError("gone", status_code=404),
        APIError("bad gateway", status_code=502),
    ],
)
def test_the_offline_table_answers_only_when_the_pricing_api_cannot(failure: Exception) -> None:
    quote = Script([failure]).run(quote_flow(BASE, T2V))
    assert quote.source == "table"
    assert quote.usd == round(0.24 * 2.259 * 10, 4)
    assert "offline price table" in quote.describe()


@pytest.mark.parametrize(
    "failure",
    [AuthenticationError("key rejected", status_code=401), APIError("bad", status_code=400)],
)
def test_other_pricing_errors_are_not_hidden_behind_the_table(failure: Exception) -> None:
    with pytest.raises(type(failure)):
        Script([failure]).run(quote_flow(BASE, T2V))


def test_an_uncatalogued_model_has_no_offline_price() -> None:
    request = TextToVideoRequest(prompt="x", model="bytedance/seedance-2.0-pro/text-to-video")
    with pytest.raises(QuoteUnavailableError, match="offline price table does not know"):
        Script([ServiceUnreachableError("down", request_sent=False)]).run(quote_flow(BASE, request))


def test_edit_without_resolution_is_priced_at_the_highest_factor_offline() -> None:
    quote = table_quote(VideoEditRequest(prompt="x", video=container_mp4(8)))
    assert quote.usd == round(0.24 * 2.259 * 8, 4)


def test_balance_reads_either_documented_endpoint() -> None:
    assert Script([{"balance": 12.5}]).run(balance_flow(BASE)) == 12.5
    script = Script([APIError("missing", status_code=404), {"balance": "3.25", "currency": "USD"}])
    assert script.run(balance_flow(BASE)) == 3.25
    assert [e.request.url for e in script.effects] == [
        f"{BASE}/api/v3/balance",
        f"{BASE}/api/v3/account/balance",
    ]


def _generate(request: Any, replies: list[Any], **kwargs: Any) -> tuple[Script, Any]:
    script = Script(replies)
    flow = flows.generate_flow(BASE, request, clock=script.clock, timeout=60, poll_interval=1,
                               **kwargs)  # fmt: skip
    return script, script.run(flow)


def test_over_the_cap_nothing_is_uploaded_or_submitted() -> None:
    request = ImageToVideoRequest(prompt="x", image=make_png(), duration=10)
    script = Script([{"unit_price": 0.9, "currency": "USD"}])
    flow = flows.generate_flow(BASE, request, clock=script.clock, timeout=60, poll_interval=1,
                               max_cost_usd=0.5)  # fmt: skip
    with pytest.raises(BudgetExceededError) as info:
        script.run(flow)
    assert calls(script) == ["pricing"]
    assert info.value.quote.usd == 0.9 and info.value.cap == 0.5
    assert "$0.9000 USD (pricing API), above the cap of $0.5000" in str(info.value)


def test_a_balance_below_the_quote_refuses_before_paying() -> None:
    request = ImageToVideoRequest(prompt="x", image="https://cdn/x.png")
    script = Script([{"unit_price": 0.6}, {"balance": 0.25}])
    flow = flows.generate_flow(BASE, request, clock=script.clock, timeout=60, poll_interval=1,
                               check_balance=True)  # fmt: skip
    with pytest.raises(InsufficientBalanceError) as info:
        script.run(flow)
    assert calls(script) == ["pricing", "balance"]
    assert (info.value.balance, info.value.required) == (0.25, 0.6)


def test_within_budget_the_prediction_carries_its_quoted_cost() -> None:
    request = ImageToVideoRequest(prompt="x", image="https://cdn/x.png")
    done = {"id": "p1", "status": "completed", "outputs": ["https://cdn/v.mp4"]}
    script, prediction = _generate(
        request,
        [{"unit_price": 0.6}, {"balance": 10}, {"id": "p1", "status": "created"}, done],
        max_cost_usd=1.0,
        check_balance=True,
    )
    assert calls(script) == ["pricing", "balance", "submit", "result"]
    assert (prediction.cost_usd, prediction.cost_source) == (0.6, "api")
    assert prediction.to_dict()["cost_source"] == "api"


def test_without_a_cap_the_run_is_still_quoted_and_reports_its_cost() -> None:
    done = {"id": "p1", "status": "completed", "outputs": ["https://cdn/v.mp4"]}
    script, prediction = _generate(
        ImageToVideoRequest(prompt="x", image="https://cdn/x.png"),
        [{"unit_price": 0.6}, {"id": "p1", "status": "created"}, done],
    )
    assert calls(script) == ["pricing", "submit", "result"]
    assert (prediction.cost_usd, prediction.cost_source) == (0.6, "api")


def test_without_a_cap_an_unreadable_price_reports_the_offline_figure_and_runs() -> None:
    request = ImageToVideoRequest(prompt="x", image="https://cdn/x.png")
    done = {"id": "p1", "status": "completed", "outputs": ["https://cdn/v.mp4"]}
    script, prediction = _generate(
        request, [{"unexpected": True}, {"id": "p1", "status": "created"}, done]
    )
    assert calls(script) == ["pricing", "submit", "result"]
    assert (prediction.cost_usd, prediction.cost_source) == (table_quote(request).usd, "table")


def test_with_a_cap_an_unreadable_price_refuses_the_run_before_paying() -> None:
    with pytest.raises(InvalidResponseError):
        _generate(
            ImageToVideoRequest(prompt="x", image="https://cdn/x.png"),
            [{"unexpected": True}],
            max_cost_usd=5.0,
        )


def test_http_402_is_an_insufficient_balance_that_created_nothing() -> None:
    with pytest.raises(InsufficientBalanceError) as info:
        interpret_response(402, {}, b'{"code": 402, "message": "insufficient balance"}',
                           purpose="submit")  # fmt: skip
    assert info.value.status_code == 402 and "nothing was created" in str(info.value)


def test_the_sync_client_carries_a_quote_given_to_submit_and_checks_budgets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from shared_client import Quote, SeedanceClient

    client = SeedanceClient(api_key="k", base_url=BASE)
    answers = iter([{"id": "p1", "status": "created"}])
    monkeypatch.setattr(client, "_perform", lambda effect: next(answers))
    quote = Quote(0.5, "USD", "table", "bytedance/seedance-2.0-mini/image-to-video")
    prediction = client.submit(
        ImageToVideoRequest(prompt="x", image="https://cdn/x.png"), quote=quote
    )
    assert (prediction.cost_usd, prediction.cost_source) == (0.5, "table")
    budget = iter([{"unit_price": 2.0}, {"unit_price": 2.0}])
    monkeypatch.setattr(client, "_perform", lambda effect: next(budget))
    with pytest.raises(BudgetExceededError):
        client.check_budget(T2V, max_cost_usd=1.0)
    uncapped = client.check_budget(T2V)  # no gate, but the cost is still reported
    assert uncapped is not None and (uncapped.usd, uncapped.source) == (2.0, "api")
    client.close()
