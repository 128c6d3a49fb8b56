"""Money before paying: quotes, the balance, usage, and the budget gate, as flows.

A quote comes from WaveSpeed's pricing API, which prices the exact request for free. Only
when that endpoint cannot be reached (or does not exist) is the catalogue's offline table
used, and the :class:`Quote` says which (``source`` is ``"api"`` or ``"table"``), so no
figure of cost is ever shown without its origin. Local media is not uploaded to be
priced: the pricing body carries a placeholder URL in its place (the price depends on the
model, duration and resolution, not on pixels).
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Generator, Mapping
from typing import Any

from .catalogue import RESOLUTION_PRICE_FACTORS
from .effects import Call, Effect
from .endpoints import balance_request, pricing_request, usage_request
from .errors import (
    APIError,
    BudgetExceededError,
    InsufficientBalanceError,
    InvalidResponseError,
    QuoteUnavailableError,
    ServiceUnreachableError,
)
from .request_common import RequestBase
from .validation import is_remote
from .values import Quote, Usage

__all__ = [
    "Quote",
    "Usage",
    "balance_flow",
    "budget_flow",
    "describe_run",
    "quote_flow",
    "table_quote",
]

logger = logging.getLogger(__name__)

#: Where local media stands in the pricing body: never fetched, clearly not a real host.
PLACEHOLDER_HOST = "https://local-media.invalid"


def table_quote(request: RequestBase) -> Quote:
    """The offline price: the catalogue row's rate x resolution factor x billed seconds."""
    spec = request.spec
    if spec is None:
        raise QuoteUnavailableError(
            f"{request.model}: the pricing API could not be reached and the offline price "
            "table does not know this model; no price can be given"
        )
    # No resolution field (video-edit follows its input): the highest factor, so a cap
    # compared against an offline figure is never too generous.
    resolution = getattr(request, "resolution", None) or max(
        RESOLUTION_PRICE_FACTORS, key=RESOLUTION_PRICE_FACTORS.__getitem__
    )
    return Quote(spec.price(resolution, request.billed_seconds()), "USD", "table", request.model)


def describe_run(request: RequestBase, quote: Quote) -> str:
    """The line every face shows before paying: what is sent and what it costs.

    A request without a resolution field (video-edit) renders at its input's resolution;
    the line says so rather than naming one that is not sent."""
    spec = request.spec
    tier = spec.tier if spec is not None else "model outside the catalogue"
    resolution = getattr(request, "resolution", None) or "the input's resolution"
    seconds = request.billed_seconds()
    return f"{request.model} ({tier}, {resolution}, {seconds:g} s): {quote.describe()}"


def pricing_body(request: RequestBase) -> dict[str, Any]:
    """The submit body with each local media source replaced by a placeholder URL."""
    urls: dict[str, Any] = {}
    for name, value in request.media_inputs().items():
        if isinstance(value, tuple):
            urls[name] = [_placeholder(v) for v in value]
        else:
            urls[name] = _placeholder(value)
    return request.to_body(urls)


def quote_flow(base_url: str, request: RequestBase) -> Generator[Effect, Any, Quote]:
    """Ask the pricing API; fall back to the offline table only when it cannot answer."""
    try:
        data = yield Call(pricing_request(base_url, request.model, pricing_body(request)), "read")
    except ServiceUnreachableError as exc:
        logger.warning("pricing API unreachable (%s); using the offline price table", exc)
        return table_quote(request)
    except APIError as exc:
        if exc.status_code in (404, 405, 501) or exc.is_server_error:
            logger.warning("pricing API unavailable (%s); using the offline price table", exc)
            return table_quote(request)
        raise
    price = data.get("unit_price", data.get("price"))
    if isinstance(price, bool) or not isinstance(price, int | float) or not math.isfinite(price):
        raise InvalidResponseError(f"pricing answered without a numeric unit_price: {data!r}")
    currency = data.get("currency") if isinstance(data.get("currency"), str) else "USD"
    return Quote(float(price), str(currency), "api", request.model)


def balance_flow(base_url: str) -> Generator[Effect, Any, float]:
    """The account balance in USD (either documented endpoint)."""
    try:
        data = yield Call(balance_request(base_url), "read")
    except APIError as exc:
        if exc.status_code not in (404, 405):
            raise
        data = yield Call(balance_request(base_url, account_path=True), "read")
    balance = data.get("balance")
    if isinstance(balance, str):
        try:
            balance = float(balance)
        except ValueError:
            balance = None
    if isinstance(balance, bool) or not isinstance(balance, int | float):
        raise InvalidResponseError(f"balance answered without a numeric balance: {data!r}")
    return float(balance)


def usage_flow(
    base_url: str, start_date: str, end_date: str, model: str | None = None
) -> Generator[Effect, Any, Usage]:
    data = yield Call(usage_request(base_url, start_date, end_date, model), "read")
    rows = []
    for row in data.get("by_model") or []:
        if isinstance(row, Mapping):
            rows.append(
                (str(row.get("model")), int(row.get("requests") or 0), float(row.get("cost") or 0))
            )
    period = data.get("period") if isinstance(data.get("period"), Mapping) else {}
    return Usage(
        start_date=str(period.get("start_date", start_date)),
        end_date=str(period.get("end_date", end_date)),
        total_requests=int(data.get("total_requests") or 0),
        total_cost=float(data.get("total_cost") or 0.0),
        by_model=tuple(rows),
    )


def budget_flow(
    base_url: str, request: RequestBase, *, max_cost_usd: float | None, check_balance: bool
) -> Generator[Effect, Any, Quote | None]:
    """The gate before paying: quote (always: every paid run reports its cost), refuse
    over the cap, refuse over the balance.

    With neither a cap nor a balance check the quote only reports the cost, so a pricing
    answer that cannot be read does not stop the run: the offline table's figure is
    used (said so in ``cost_source``), and None only for a model the table does not know.
    """
    gated = max_cost_usd is not None or check_balance
    try:
        quote = yield from quote_flow(base_url, request)
    except (InvalidResponseError, QuoteUnavailableError) as exc:
        if gated:
            raise
        logger.warning("could not price %s (%s); reporting the offline figure", request.model, exc)
        return table_quote(request) if request.spec is not None else None
    if max_cost_usd is not None and quote.usd > max_cost_usd:
        raise BudgetExceededError(quote, max_cost_usd)
    if check_balance:
        balance = yield from balance_flow(base_url)
        if balance < quote.usd:
            raise InsufficientBalanceError.before_paying(
                request.model, quote.describe(), balance, quote.usd
            )
    return quote


def _placeholder(source: Any) -> str:
    if is_remote(source):
        return str(source)
    digest = hashlib.sha256(repr(_identity(source)).encode()).hexdigest()[:16]
    return f"{PLACEHOLDER_HOST}/{digest}"


def _identity(source: Any) -> Any:
    if isinstance(source, bytes | bytearray):
        return hashlib.sha256(bytes(source)).hexdigest()
    return getattr(source, "name", None) or str(source)
