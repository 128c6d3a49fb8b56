"""Configuration and shared runtime objects of one simulator instance.

Why: handlers, the task lifecycle and the admin endpoints all need the same settings,
state, account, fault injector and worker pool; one object stored on the aiohttp app carries them.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from aiohttp import web

from .account import Account
from .faults import FaultInjector
from .limits import Limiter
from .state import SimState


@dataclass
class SimConfig:
    """Behaviour settings (everything a test or a CLI flag may change)."""

    api_key: str = field(repr=False)  # never in logs or reprs
    generation_time: float = 2.0
    #: Each task's generation takes ``generation_time`` plus a share of up to this many
    #: seconds, fixed by its id (real generations vary; thousands submitted in one burst
    #: would otherwise all complete in the same second, which no real account sees).
    generation_spread: float = 0.0
    fast: bool = False
    retention: float = 7 * 24 * 3600.0
    webhook_secret: str = field(default="", repr=False)
    sync_timeout: float = 120.0
    render_workers: int = 2
    max_upload_bytes: int = 200 * 1024 * 1024
    #: A task shows in the history only this many seconds after it was created (the real
    #: history can lag behind the submit): lets tests hit the "not in the history yet" window.
    history_lag: float = 0.0
    #: The submit answer is held this long *after* the task was created: lets tests kill or
    #: cut a client while its POST is open and the task already exists (and is billed).
    submit_hold: float = 0.0


@dataclass
class SimContext:
    """Runtime objects; created in the server thread, used only on its event loop."""

    config: SimConfig
    injector: FaultInjector
    output_dir: Path
    state: SimState = field(default_factory=SimState)
    account: Account = field(default_factory=Account)
    limiter: Limiter = field(default_factory=Limiter)
    base_url: str = ""
    executor: ThreadPoolExecutor | None = None
    session: aiohttp.ClientSession | None = None
    render_cache: dict[str, asyncio.Future[Path]] = field(default_factory=dict)
    done_events: dict[str, asyncio.Event] = field(default_factory=dict)
    background: set[asyncio.Task[None]] = field(default_factory=set)

    def spawn(self, coro: object) -> None:
        """Run a coroutine in the background, keeping a reference until it ends."""
        task = asyncio.ensure_future(coro)  # type: ignore[arg-type]
        self.background.add(task)
        task.add_done_callback(self.background.discard)


CTX: web.AppKey[SimContext] = web.AppKey("seedance_sim_ctx", SimContext)
