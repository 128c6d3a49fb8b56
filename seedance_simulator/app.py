"""The aiohttp application: routes, authentication, fault middleware, API handlers.

Why aiohttp: one event loop serves thousands of keep-alive connections on 2 cores, and
its client is reused for image fetches and webhook deliveries.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiohttp import web

from . import account_api, envelopes, media, pricing
from .account import usd
from .catalogue import model_spec
from .context import CTX, SimContext
from .faults import FaultConfig, TransportFault
from .lifecycle import run_task
from .limits import retry_after_header
from .state import Task, fingerprint, iso_now
from .validation import ValidationFailure, validate_body

logger = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# Routes reachable without the API key: presigned storage and public file URLs.
PUBLIC_ROUTES = {"storage_put", "media_get", "output_get"}
# Route name -> fault scope; routes not listed (admin, secret) never get faults.
FAULT_SCOPES = {
    "submit": "submit",
    "result": "result",
    "result_bare": "result",
    "upload_ticket": "upload",
    "upload_binary": "upload",
    "storage_put": "upload",
    "output_get": "output",
    "media_get": "output",
    "history": "history",
    "pricing": "account",
    "balance": "account",
    "account_balance": "account",
    "usage": "account",
    "billings": "account",
}
#: HTTP status and `code` of a submit the balance cannot pay (WaveSpeed's real code for
#: this is unconfirmed; 402 Payment Required is the natural reading, see docs/simulator.md).
INSUFFICIENT_BALANCE = 402
HISTORY_MAX_PAGE_SIZE = 100


def _authorized(ctx: SimContext, request: web.Request) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        token.strip().encode(), ctx.config.api_key.encode()
    )


async def _apply_fault(request: web.Request, fault: TransportFault) -> web.StreamResponse | None:
    """Turn a decided fault into a response (None: continue normally, maybe delayed)."""
    if fault.kind == "slow":
        await asyncio.sleep(fault.delay)
        return None
    if fault.kind == "reset":
        if request.transport is not None:
            request.transport.abort()
        raise asyncio.CancelledError  # nothing may be written on an aborted connection
    if fault.kind == "429":
        response = envelopes.error(429, "Too Many Requests: rate limit exceeded, retry later")
        response.headers["Retry-After"] = f"{fault.retry_after:g}"
        return response
    status = int(fault.kind)
    if fault.html:
        return envelopes.html_error(status)
    return envelopes.error(status, envelopes.HTML_PAGES[status])


@web.middleware
async def edge_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Counting, fault injection and authentication, in the order a gateway applies them."""
    ctx = request.app[CTX]
    ctx.state.stats.incr("requests")
    if request.match_info.http_exception is not None:  # no such route / method
        exc = request.match_info.http_exception
        ctx.state.stats.response(exc.status)
        return envelopes.error(exc.status, exc.reason)
    route = request.match_info.route.name or ""
    scope = FAULT_SCOPES.get(route)
    if scope is not None:
        fault = ctx.injector.transport_fault(scope)
        if fault is not None:
            ctx.state.stats.fault(fault.kind)
            faulted = await _apply_fault(request, fault)
            if faulted is not None:
                ctx.state.stats.response(faulted.status)
                return faulted
    if route not in PUBLIC_ROUTES and not _authorized(ctx, request):
        response: web.StreamResponse = envelopes.error(
            401, "Unauthorized: invalid or inactive API key"
        )
    else:
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            response = envelopes.error(exc.status, exc.reason)
    ctx.state.stats.response(response.status)
    return response


async def submit(request: web.Request) -> web.Response:
    """POST /api/v3/{owner}/{family}/{task}: validate, price, hold, create, maybe wait."""
    ctx = request.app[CTX]
    info = request.match_info
    model = f"{info['owner']}/{info['family']}/{info['task']}"
    spec = model_spec(model)
    if spec is None:
        return envelopes.error(404, f"model {model!r} not found")
    try:
        body: Any = await request.json()
    except ValueError:
        return envelopes.error(400, "invalid parameter body: malformed JSON", 1401)
    vin = validate_body(model, body)
    if isinstance(vin, ValidationFailure):
        return envelopes.error(400, vin.message, vin.code)
    price = await pricing.quote(ctx, spec, vin)
    # From here to the task's creation nothing awaits: the window check, the hold and the
    # count are one step on the event loop, so concurrent submits cannot overshoot.
    wait = ctx.limiter.retry_after()
    if wait is not None:
        return _rate_limited(ctx, wait)
    task_id = uuid.uuid4().hex
    held, available = ctx.account.try_hold(task_id, price)
    if not held:
        return envelopes.error(
            INSUFFICIENT_BALANCE,
            f"insufficient balance: this run costs ${usd(price)}, available ${usd(available)}",
        )
    ctx.limiter.accepted()
    ctx.state.stats.submission(fingerprint(model, body))
    ctx.state.stats.model_event(model, "submitted")
    task = Task(
        id=task_id,
        model=model,
        input={k: v for k, v in body.items() if k != "enable_sync_mode"},
        created_at=iso_now(),
        created_monotonic=time.monotonic(),
        webhook=request.query.get("webhook") or None,
        price=price,
    )
    ctx.state.tasks[task.id] = task
    event = ctx.done_events[task.id] = asyncio.Event()
    ctx.spawn(run_task(ctx, task, vin, ctx.injector.generation_failure()))
    if ctx.config.submit_hold > 0:
        ctx.state.stats.fault("submit_hold")
        await asyncio.sleep(ctx.config.submit_hold)
    if "submit" in ctx.injector.config.scopes and ctx.injector.ambiguous_submit():
        ctx.state.stats.fault("ambiguous_submit")
        return envelopes.html_error(502)
    if body.get("enable_sync_mode") is True:
        try:
            await asyncio.wait_for(event.wait(), ctx.config.sync_timeout)
        except TimeoutError:
            data = task.to_data(ctx.base_url)
            data.update(code=5004, error="Sync mode timed out; the task is still processing")
            return envelopes.ok(data)
    return envelopes.ok(task.to_data(ctx.base_url))


def _rate_limited(ctx: SimContext, wait: float) -> web.Response:
    """The per-minute limit's 429: nothing created, held, counted or listed."""
    ctx.limiter.rejected()
    limits = ctx.limiter.limits
    response = envelopes.error(
        429,
        f"Too Many Requests: the account level allows {limits.videos_per_minute} videos "
        "per minute; retry later",
    )
    response.headers["Retry-After"] = retry_after_header(wait, limits.time_scale)
    return response


async def get_result(request: web.Request) -> web.Response:
    """GET /api/v3/predictions/{id}/result (and the bare form)."""
    ctx = request.app[CTX]
    ctx.state.stats.incr("polls")
    task = ctx.state.tasks.get(request.match_info["task_id"])
    if task is None:
        return envelopes.error(404, "prediction not found")
    task.polls += 1
    if task.noticed_monotonic is None and task.completed_monotonic is not None:
        task.noticed_monotonic = time.monotonic()
    return envelopes.ok(task.to_data(ctx.base_url))


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


async def history(request: web.Request) -> web.Response:
    """POST /api/v3/predictions: paged list, newest first, with filters."""
    ctx = request.app[CTX]
    try:
        body: Any = await request.json() if request.can_read_body else {}
    except ValueError:
        return envelopes.error(400, "invalid parameter body: malformed JSON", 1401)
    page, size = body.get("page", 1), body.get("page_size", 20)
    if not isinstance(page, int) or page < 1:
        return envelopes.error(400, "invalid parameter page: integer >= 1", 1401)
    if not isinstance(size, int) or not 1 <= size <= HISTORY_MAX_PAGE_SIZE:
        return envelopes.error(400, "invalid parameter page_size: integer 1 ~ 100", 1401)
    try:
        after, before = (
            _parse_time(body.get("created_after")),
            _parse_time(body.get("created_before")),
        )
    except ValueError:
        return envelopes.error(
            400, "invalid parameter created_after/created_before: ISO 8601", 1401
        )
    items = []
    visible_before = time.monotonic() - ctx.config.history_lag
    for task in reversed(list(ctx.state.tasks.values())):
        if task.created_monotonic > visible_before:
            continue  # not in the history yet (simulated lag)
        created = _parse_time(task.created_at)
        if body.get("model") and task.model != body["model"]:
            continue
        if body.get("status") and task.status != body["status"]:
            continue
        if (after and created and created < after) or (before and created and created > before):
            continue
        items.append(task)
    window = items[(page - 1) * size : page * size]
    return envelopes.ok(
        {
            # Each item carries its `input`, as webhook bodies do, so clients can
            # reconcile an uncertain submit by exact body fingerprint.
            "items": [{**t.to_data(ctx.base_url), "input": t.input} for t in window],
            "page": page,
            "page_size": size,
            "total": len(items),
        }
    )


async def webhook_secret(request: web.Request) -> web.Response:
    return envelopes.ok({"secret": request.app[CTX].config.webhook_secret})


def stats_snapshot(ctx: SimContext) -> dict[str, Any]:
    """Counters plus the account's figures (balance, charged_usd, ...) and its limits."""
    return {
        **ctx.state.stats.snapshot(),
        **ctx.account.snapshot(),
        "limits": ctx.limiter.snapshot(),
    }


async def admin_stats(request: web.Request) -> web.Response:
    return web.json_response(stats_snapshot(request.app[CTX]))


async def admin_faults(request: web.Request) -> web.Response:
    """POST /_sim/faults: partial FaultConfig fields, plus optional `seed` to re-seed."""
    ctx = request.app[CTX]
    try:
        body = await request.json()
        seed = body.pop("seed", ctx.injector.seed) if isinstance(body, dict) else None
        ctx.injector.config = FaultConfig.from_dict(body, base=ctx.injector.config)
    except (ValueError, TypeError, AttributeError) as exc:
        return envelopes.error(400, f"invalid fault settings: {exc}", 1401)
    ctx.injector.reseed(seed)
    return web.json_response({"faults": ctx.injector.config.to_dict(), "seed": seed})


#: Timing settings `POST /_sim/timing` may change, all in seconds and >= 0.
TIMING_FIELDS = ("generation_time", "generation_spread", "history_lag", "submit_hold")


async def admin_timing(request: web.Request) -> web.Response:
    """POST /_sim/timing: change generation time (and spread), history lag or submit hold."""
    config = request.app[CTX].config
    try:
        body = await request.json()
        if not isinstance(body, dict):
            raise ValueError("expected a JSON object")
        unknown = set(body) - set(TIMING_FIELDS)
        if unknown:
            raise ValueError(f"unknown timing settings {sorted(unknown)}; allowed: {TIMING_FIELDS}")
        values = {k: float(v) for k, v in body.items()}
        if any(v < 0 for v in values.values()):
            raise ValueError("timing settings must be >= 0 seconds")
    except (ValueError, TypeError) as exc:
        return envelopes.error(400, f"invalid timing settings: {exc}", 1401)
    for name, value in values.items():
        setattr(config, name, value)
    return web.json_response({name: getattr(config, name) for name in TIMING_FIELDS})


async def admin_reset(request: web.Request) -> web.Response:
    request.app[CTX].state.stats.reset()
    request.app[CTX].limiter.reset()
    return web.json_response({"reset": True})


def build_app(ctx: SimContext) -> web.Application:
    """Wire the routes; the app holds `ctx` under the `CTX` key."""
    app = web.Application(middlewares=[edge_middleware], client_max_size=210 * 1024 * 1024)
    app[CTX] = ctx
    r = app.router
    r.add_post("/api/v3/media/uploads", media.create_ticket, name="upload_ticket")
    r.add_post("/api/v3/media/upload/binary", media.upload_binary, name="upload_binary")
    r.add_get("/api/v3/predictions/{task_id}/result", get_result, name="result")
    r.add_get("/api/v3/predictions/{task_id}", get_result, name="result_bare")
    r.add_post("/api/v3/predictions", history, name="history")
    r.add_get("/api/v3/webhook/secret", webhook_secret, name="webhook_secret")
    r.add_post("/api/v3/model/pricing", pricing.model_pricing, name="pricing")
    r.add_get("/api/v3/balance", account_api.get_balance, name="balance")
    r.add_get("/api/v3/account/balance", account_api.get_account_balance, name="account_balance")
    r.add_get("/api/v3/account/usage", account_api.get_usage, name="usage")
    r.add_get("/api/v3/account/billings", account_api.get_billings, name="billings")
    r.add_post("/api/v3/{owner}/{family}/{task}", submit, name="submit")
    r.add_put("/_storage/{token}", media.presigned_put, name="storage_put")
    r.add_get("/media/{upload_id}/{filename}", media.get_media, name="media_get")
    r.add_get("/outputs/{task_id}.mp4", media.get_output, name="output_get")
    r.add_get("/_sim/stats", admin_stats, name="admin_stats")
    r.add_post("/_sim/faults", admin_faults, name="admin_faults")
    r.add_post("/_sim/reset", admin_reset, name="admin_reset")
    r.add_post("/_sim/timing", admin_timing, name="admin_timing")
    r.add_get("/_sim/account", account_api.admin_account, name="admin_account")
    r.add_post("/_sim/account", account_api.admin_account, name="admin_account_set")
    return app
