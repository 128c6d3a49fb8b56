"""Account endpoints: balance (both documented paths), usage, billings, `/_sim/account`.

Why separate from the ledger: the ledger is plain thread-safe bookkeeping that the server
thread and the test thread share; these are its aiohttp views in the API's envelope.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from aiohttp import web

from . import envelopes
from .account import Account, BillingItem
from .catalogue import CURRENCY
from .context import CTX
from .limits import AccountLimits

USAGE_DEFAULT_DAYS = 30
BILLING_TYPES = ("usage", "topup")
MAX_PAGE_SIZE = 100
LIMIT_SETTINGS = ("account_level", "max_concurrent", "videos_per_minute", "time_scale")
ACCOUNT_SETTINGS = {"balance", "topup", *LIMIT_SETTINGS}


class _BadQuery(ValueError):
    pass


def _date(query: Any, name: str, default: date | None) -> date | None:
    value = query.get(name)
    if not value:
        return default
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise _BadQuery(f"invalid parameter {name}={value!r}: a date YYYY-MM-DD") from None


def _int(query: Any, name: str, default: int, low: int, high: int | None = None) -> int:
    value = query.get(name)
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        number = low - 1
    if number < low or (high is not None and number > high):
        allowed = f"integer {low} ~ {high}" if high is not None else f"integer >= {low}"
        raise _BadQuery(f"invalid parameter {name}={value!r}: {allowed}")
    return number


def _in_period(item: BillingItem, start: date | None, end: date | None) -> bool:
    day = item.created.date()
    return (start is None or day >= start) and (end is None or day <= end)


def usage_report(account: Account, query: Any) -> dict[str, Any]:
    """`data` of GET /api/v3/account/usage (raises _BadQuery)."""
    end = _date(query, "end_date", datetime.now(UTC).date())
    assert end is not None
    start = _date(query, "start_date", end - timedelta(days=USAGE_DEFAULT_DAYS))
    assert start is not None
    if start > end:
        raise _BadQuery("invalid parameter start_date: must not be after end_date")
    model = query.get("model") or None
    per_model: dict[str, list[Any]] = {}
    for item in account.items():
        if item.type != "usage" or not _in_period(item, start, end):
            continue
        if model and item.model != model:
            continue
        entry = per_model.setdefault(item.model or "", [0, Decimal(0)])
        entry[0] += 1
        entry[1] -= item.amount
    by_model = [
        {"model": name, "requests": n, "cost": float(cost)}
        for name, (n, cost) in sorted(per_model.items())
    ]
    return {
        "period": {"start_date": start.isoformat(), "end_date": end.isoformat()},
        "total_requests": sum(e[0] for e in per_model.values()),
        "total_cost": float(sum((e[1] for e in per_model.values()), Decimal(0))),
        "by_model": by_model,
    }


def billings_page(account: Account, query: Any) -> dict[str, Any]:
    """`data` of GET /api/v3/account/billings (raises _BadQuery)."""
    page = _int(query, "page", 1, 1)
    size = _int(query, "page_size", 20, 1, MAX_PAGE_SIZE)
    kind = query.get("type") or None
    if kind is not None and kind not in BILLING_TYPES:
        raise _BadQuery(f"invalid parameter type={kind!r}: allowed {', '.join(BILLING_TYPES)}")
    start, end = _date(query, "start_date", None), _date(query, "end_date", None)
    items = [
        item
        for item in reversed(account.items())
        if (kind is None or item.type == kind) and _in_period(item, start, end)
    ]
    window = items[(page - 1) * size : page * size]
    return {
        "items": [item.to_data() for item in window],
        "pagination": {"page": page, "page_size": size, "total": len(items)},
    }


def _account(request: web.Request) -> Account:
    return request.app[CTX].account


async def get_balance(request: web.Request) -> web.Response:
    """GET /api/v3/balance."""
    return envelopes.ok({"balance": _account(request).balance()})


async def get_account_balance(request: web.Request) -> web.Response:
    """GET /api/v3/account/balance."""
    return envelopes.ok({"balance": _account(request).balance(), "currency": CURRENCY})


async def get_usage(request: web.Request) -> web.Response:
    try:
        return envelopes.ok(usage_report(_account(request), request.query))
    except _BadQuery as exc:
        return envelopes.error(400, str(exc), 1401)


async def get_billings(request: web.Request) -> web.Response:
    try:
        return envelopes.ok(billings_page(_account(request), request.query))
    except _BadQuery as exc:
        return envelopes.error(400, str(exc), 1401)


async def admin_account(request: web.Request) -> web.Response:
    """GET /_sim/account reads; POST sets any of: {"balance": x} (set), {"topup": x} (add),
    {"account_level", "max_concurrent", "videos_per_minute", "time_scale"} (the limits)."""
    ctx = request.app[CTX]
    account = ctx.account
    if request.method == "POST":
        try:
            body = await request.json()
            if not isinstance(body, dict) or not set(body) <= ACCOUNT_SETTINGS:
                raise ValueError(f"expected an object with some of {sorted(ACCOUNT_SETTINGS)}")
            values = {k: float(body[k]) for k in ("balance", "topup") if k in body}
            limits = None
            if set(body) & set(LIMIT_SETTINGS):
                limits = AccountLimits.resolve(
                    body.get("account_level"),
                    max_concurrent=body.get("max_concurrent"),
                    videos_per_minute=body.get("videos_per_minute"),
                    time_scale=body.get("time_scale"),
                    base=ctx.limiter.limits,
                )
        except (ValueError, TypeError) as exc:
            return envelopes.error(400, f"invalid account settings: {exc}", 1401)
        if "balance" in values:
            account.set_balance(values["balance"])
        if "topup" in values:
            account.topup(values["topup"])
        if limits is not None:
            ctx.limiter.reconfigure(limits)
    return web.json_response({**account.snapshot(), "limits": ctx.limiter.limits.to_dict()})
