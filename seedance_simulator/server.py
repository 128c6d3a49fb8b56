"""`Simulator`: the aiohttp app on its own event loop in a background thread.

Why a thread: tests, benchmarks and the demo are synchronous code that needs a live
server on a loopback port for the duration of a `with` block, without a subprocess.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from .account import DEFAULT_BALANCE, Account
from .app import build_app, stats_snapshot
from .context import SimConfig, SimContext
from .faults import FaultConfig, FaultInjector
from .lifecycle import sweep_forever
from .limits import AccountLimits, Limiter
from .webhooks import new_secret

logger = logging.getLogger(__name__)


class Simulator:
    """A local WaveSpeed-compatible server.

    >>> with Simulator(api_key="k", fast=True) as sim:  # doctest: +SKIP
    ...     sim.base_url
    'http://127.0.0.1:54321'

    Fault rates come from `faults=FaultConfig(...)` or keyword arguments named like its
    fields (`rate_429=0.1`); `seed` makes them reproducible. `balance` is the account's
    starting balance in USD (default: a million, so money never runs out unless asked).
    `account_level` (bronze, silver, gold, ultra; default unlimited) sets WaveSpeed's
    limits, `max_concurrent` / `videos_per_minute` override them (0: no limit), and
    `time_scale` K shrinks the per-minute window to 60/K seconds.
    """

    def __init__(
        self,
        api_key: str = "sim-key",
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        generation_time: float = 2.0,
        generation_spread: float = 0.0,
        fast: bool = False,
        seed: int | None = None,
        faults: FaultConfig | None = None,
        retention: float = 7 * 24 * 3600.0,
        webhook_secret: str | None = None,
        sync_timeout: float = 120.0,
        render_workers: int = 2,
        output_dir: str | Path | None = None,
        history_lag: float = 0.0,
        submit_hold: float = 0.0,
        balance: float = DEFAULT_BALANCE,
        account_level: str | None = None,
        max_concurrent: int | None = None,
        videos_per_minute: int | None = None,
        time_scale: float = 1.0,
        **fault_kwargs: Any,
    ) -> None:
        if not api_key:
            raise ValueError("api_key must be a non-empty string")
        if fault_kwargs:
            faults = FaultConfig.from_dict(fault_kwargs, base=faults)
        self.host, self._requested_port = host, port
        self._config = SimConfig(
            api_key=api_key,
            generation_time=generation_time,
            generation_spread=generation_spread,
            fast=fast,
            retention=retention,
            webhook_secret=webhook_secret or new_secret(),
            sync_timeout=sync_timeout,
            render_workers=render_workers,
            history_lag=history_lag,
            submit_hold=submit_hold,
        )
        self._own_output_dir = output_dir is None
        out = Path(output_dir) if output_dir else Path(tempfile.mkdtemp(prefix="seedance-sim-"))
        out.mkdir(parents=True, exist_ok=True)
        self._ctx = SimContext(
            config=self._config,
            injector=FaultInjector(faults or FaultConfig(), seed),
            output_dir=out,
            account=Account(balance),
            limiter=Limiter(
                AccountLimits.resolve(
                    account_level,
                    max_concurrent=max_concurrent,
                    videos_per_minute=videos_per_minute,
                    time_scale=time_scale,
                )
            ),
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._started = threading.Event()
        self._startup_error: BaseException | None = None
        self.port = 0

    def __repr__(self) -> str:  # never shows the key
        return f"Simulator(base_url={self.base_url!r}, fast={self._config.fast})"

    @property
    def base_url(self) -> str:
        return self._ctx.base_url

    @property
    def api_key(self) -> str:
        return self._config.api_key

    @property
    def webhook_secret(self) -> str:
        return self._config.webhook_secret

    @property
    def output_dir(self) -> Path:
        return self._ctx.output_dir

    # lifecycle -----------------------------------------------------------------------
    def start(self) -> Simulator:
        """Start serving; returns once the port is bound (raises if it cannot be)."""
        if self._thread is not None:
            return self
        self._thread = threading.Thread(target=self._serve, name="seedance-simulator", daemon=True)
        self._thread.start()
        self._started.wait(30)
        if self._startup_error is not None:
            raise RuntimeError(f"simulator failed to start: {self._startup_error}")
        return self

    def stop(self) -> None:
        """Stop serving, cancel in-flight tasks, remove rendered files we own."""
        if self._loop is not None and self._thread is not None:
            future = asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop)
            try:
                future.result(30)
            finally:
                self._loop.call_soon_threadsafe(self._loop.stop)
                self._thread.join(30)
        self._thread = None
        if self._own_output_dir:
            shutil.rmtree(self._ctx.output_dir, ignore_errors=True)

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._startup())
        except BaseException as exc:  # report to start() instead of dying silently
            self._startup_error = exc
            self._started.set()
            loop.close()
            return
        self._started.set()
        try:
            loop.run_forever()
        finally:
            loop.close()

    async def _startup(self) -> None:
        ctx = self._ctx
        ctx.executor = ThreadPoolExecutor(self._config.render_workers, "seedance-render")
        ctx.session = aiohttp.ClientSession()
        app = build_app(ctx)
        # A short shutdown timeout: stop() must not wait for sync-mode requests to finish.
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await self._runner.setup()
        server = self._runner.server
        assert server is not None
        original = server.connection_made
        stats = ctx.state.stats

        def counting_connection_made(handler: Any, transport: Any) -> None:
            stats.incr("connections_opened")
            original(handler, transport)

        server.connection_made = counting_connection_made  # type: ignore[method-assign]
        site = web.TCPSite(self._runner, self.host, self._requested_port, backlog=4096)
        await site.start()
        sockets = site._server.sockets if site._server else []  # type: ignore[union-attr]
        self.port = sockets[0].getsockname()[1]
        host = f"[{self.host}]" if ":" in self.host else self.host
        ctx.base_url = f"http://{host}:{self.port}"
        ctx.spawn(sweep_forever(ctx))
        logger.info("simulator listening on %s", ctx.base_url)

    async def _shutdown(self) -> None:
        ctx = self._ctx
        for task in list(ctx.background):
            task.cancel()
        await asyncio.gather(*ctx.background, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
        if ctx.session is not None:
            await ctx.session.close()
        if ctx.executor is not None:
            ctx.executor.shutdown(wait=True, cancel_futures=True)

    # control ---------------------------------------------------------------------------
    def _call(self, fn: Any, *args: Any) -> Any:
        """Run `fn` on the server loop (state is only touched there)."""
        if self._loop is None or self._thread is None:
            return fn(*args)

        async def run() -> Any:
            return fn(*args)

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(10)

    def stats(self) -> dict[str, Any]:
        """Counters: submissions (+ per fingerprint), polls, uploads, downloads,
        connections_opened, requests, per-status / per-fault / per-model breakdowns, and
        the account's balance, charged_usd, held_usd, insufficient_balance_refusals."""
        return stats_snapshot(self._ctx)

    def reset_stats(self) -> None:
        """Zero the counters (the account's balance and charged_usd are not counters) and
        the limits' history (queue samples, 429 times)."""
        self._ctx.state.stats.reset()
        self._call(self._ctx.limiter.reset)

    def balance(self) -> float:
        """The account's balance in USD (completed runs have been charged)."""
        return self._ctx.account.balance()

    def set_balance(self, usd: float) -> float:
        """Set the balance (recorded as a top-up, or an adjustment when lower)."""
        return self._ctx.account.set_balance(usd)

    def billings(self) -> list[dict[str, Any]]:
        """Every billing item, oldest first (what /api/v3/account/billings pages through)."""
        return [item.to_data() for item in self._ctx.account.items()]

    def set_faults(
        self, faults: FaultConfig | None = None, *, seed: int | None = None, **kwargs: Any
    ) -> FaultConfig:
        """Replace (FaultConfig) or update (keyword fields) the fault settings; re-seeds."""
        injector = self._ctx.injector
        config = faults or FaultConfig()
        if kwargs:
            config = FaultConfig.from_dict(kwargs, base=faults or injector.config)

        def apply() -> FaultConfig:
            injector.config = config
            injector.reseed(seed if seed is not None else injector.seed)
            return config

        return self._call(apply)

    def set_generation_time(self, seconds: float, *, spread: float | None = None) -> None:
        """Seconds per generation, plus a per-task share of up to ``spread`` seconds."""
        self._config.generation_time = seconds
        if spread is not None:
            self._config.generation_spread = max(0.0, spread)

    def set_timing(
        self, *, history_lag: float | None = None, submit_hold: float | None = None
    ) -> None:
        """Change the history lag or the submit hold (seconds) while the server runs."""
        if history_lag is not None:
            self._config.history_lag = max(0.0, history_lag)
        if submit_hold is not None:
            self._config.submit_hold = max(0.0, submit_hold)

    def set_limits(
        self,
        account_level: str | None = None,
        *,
        max_concurrent: int | None = None,
        videos_per_minute: int | None = None,
        time_scale: float | None = None,
    ) -> dict[str, Any]:
        """Change the account's limits while serving (a level resets both numbers; explicit
        ones override it; unset parts stay). Returns the limits now in force."""
        limiter = self._ctx.limiter
        limits = AccountLimits.resolve(
            account_level,
            max_concurrent=max_concurrent,
            videos_per_minute=videos_per_minute,
            time_scale=time_scale,
            base=limiter.limits,
        )
        self._call(limiter.reconfigure, limits)
        return limits.to_dict()

    def set_retention(self, seconds: float) -> None:
        self._config.retention = seconds

    def polls_for(self, task_ids: Iterable[str]) -> int:
        """Status reads of these tasks so far (benchmarks split polls between clients)."""
        ids = list(task_ids)
        return int(
            self._call(lambda: sum(t.polls for i in ids if (t := self._ctx.state.tasks.get(i))))
        )

    def notice_delays(self, task_ids: Iterable[str]) -> list[float]:
        """For each completed task a status read has seen: seconds from its completion to
        the first read that answered it (how promptly its client noticed, server-side)."""
        ids = list(task_ids)

        def delays() -> list[float]:
            out = []
            for i in ids:
                t = self._ctx.state.tasks.get(i)
                if t and t.noticed_monotonic is not None and t.completed_monotonic is not None:
                    out.append(t.noticed_monotonic - t.completed_monotonic)
            return out

        return list(self._call(delays))

    def task(self, task_id: str) -> dict[str, Any] | None:
        """The current `data` object of one task (tests use it to inspect state)."""
        return self._call(
            lambda: t.to_data(self.base_url) if (t := self._ctx.state.tasks.get(task_id)) else None
        )
