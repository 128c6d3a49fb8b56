"""`seedance-simulator` / `python -m seedance_simulator`: serve until interrupted.

The base URL is the first line on stdout (flushed) so scripts can start it with
`--port 0` and read where it listens.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence

from .account import DEFAULT_BALANCE
from .faults import DEFAULT_SCOPES, SCOPES, FaultConfig
from .limits import DEFAULT_LEVEL, LEVELS, AccountLimits
from .server import Simulator

logger = logging.getLogger(__name__)


def _rate(value: str) -> float:
    rate = float(value)
    if not 0.0 <= rate <= 1.0:
        raise argparse.ArgumentTypeError(f"{value!r}: a rate is between 0 and 1")
    return rate


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="seedance-simulator",
        description="Local WaveSpeed-compatible server for Seedance 2.0 (offline demos/tests).",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument(
        "--api-key",
        default=os.environ.get("WAVESPEED_API_KEY"),
        help="key clients must send (default: env WAVESPEED_API_KEY)",
    )
    p.add_argument("--generation-time", type=float, default=2.0, help="seconds per task")
    p.add_argument(
        "--generation-spread",
        type=float,
        default=0.0,
        help="each task takes up to S s more (a share fixed by its id)",
    )
    p.add_argument("--fast", action="store_true", help="tiny frames, low fps (load tests)")
    p.add_argument("--seed", type=int, default=None, help="makes faults reproducible")
    p.add_argument("--retention", type=float, default=7 * 24 * 3600.0, help="output lifetime, s")
    p.add_argument("--webhook-secret", default=None, help="whsec_... (default: random)")
    p.add_argument("--sync-timeout", type=float, default=120.0)
    p.add_argument(
        "--history-lag", type=float, default=0.0, help="a task shows in the history S s late"
    )
    p.add_argument(
        "--submit-hold",
        type=float,
        default=0.0,
        help="hold each submit's answer S s after creating the task",
    )
    p.add_argument(
        "--balance",
        type=float,
        default=DEFAULT_BALANCE,
        help="starting account balance in USD (completed runs are charged; default 1000000)",
    )
    limits = p.add_argument_group("account limits (WaveSpeed's account levels)")
    limits.add_argument(
        "--account-level",
        choices=tuple(LEVELS),
        default=DEFAULT_LEVEL,
        help="bronze 2 concurrent / 2 per minute, silver 300/500, gold 3000/3000, "
        "ultra 10000/5000 (default: unlimited)",
    )
    limits.add_argument(
        "--max-concurrent", type=int, default=None, help="overrides the level; 0: no limit"
    )
    limits.add_argument(
        "--videos-per-minute", type=int, default=None, help="overrides the level; 0: no limit"
    )
    limits.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        help="K shrinks the per-minute window (and Retry-After) to 60/K s",
    )
    p.add_argument("--log-level", default="WARNING")
    faults = p.add_argument_group("faults (probability per request, 0..1)")
    faults.add_argument("--fault-rate", type=_rate, default=0.0, help="spread over 429/500/502/503")
    for name in ("rate_429", "rate_500", "rate_502", "rate_503", "rate_reset", "rate_slow"):
        faults.add_argument("--" + name.replace("_", "-"), type=_rate, default=None)
    faults.add_argument("--failed-generation", type=_rate, default=0.0)
    faults.add_argument("--ambiguous-submit", type=_rate, default=0.0)
    faults.add_argument("--html-fraction", type=_rate, default=0.5)
    faults.add_argument("--retry-after", type=float, default=1.0)
    faults.add_argument("--slow-seconds", type=float, default=2.0)
    faults.add_argument(
        "--fault-scopes",
        default=",".join(DEFAULT_SCOPES),
        help=f"comma list of {', '.join(SCOPES)} (default: all but account)",
    )
    return p


def faults_from_args(args: argparse.Namespace) -> FaultConfig:
    """`--fault-rate R` splits R evenly over 429/500/502/503; specific flags override."""
    share = args.fault_rate / 4
    rates = {name: share for name in ("rate_429", "rate_500", "rate_502", "rate_503")}
    rates.update(rate_reset=0.0, rate_slow=0.0)
    for name in list(rates):
        if getattr(args, name) is not None:
            rates[name] = getattr(args, name)
    return FaultConfig(
        **rates,
        failed_generation=args.failed_generation,
        ambiguous_submit=args.ambiguous_submit,
        html_fraction=args.html_fraction,
        retry_after=args.retry_after,
        slow_seconds=args.slow_seconds,
        scopes=tuple(s for s in args.fault_scopes.split(",") if s),
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr)
    if not args.api_key:
        print("error: --api-key (or WAVESPEED_API_KEY) is required", file=sys.stderr)
        return 2
    try:
        faults = faults_from_args(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        AccountLimits.resolve(
            args.account_level,
            max_concurrent=args.max_concurrent,
            videos_per_minute=args.videos_per_minute,
            time_scale=args.time_scale,
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    sim = Simulator(
        api_key=args.api_key,
        host=args.host,
        port=args.port,
        generation_time=args.generation_time,
        generation_spread=args.generation_spread,
        fast=args.fast,
        seed=args.seed,
        faults=faults,
        retention=args.retention,
        webhook_secret=args.webhook_secret,
        sync_timeout=args.sync_timeout,
        history_lag=args.history_lag,
        submit_hold=args.submit_hold,
        balance=args.balance,
        account_level=args.account_level,
        max_concurrent=args.max_concurrent,
        videos_per_minute=args.videos_per_minute,
        time_scale=args.time_scale,
    )
    with sim:
        print(sim.base_url, flush=True)
        while not stop.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
