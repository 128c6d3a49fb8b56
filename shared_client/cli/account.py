"""The read-only commands: balance, usage, status, wait, download, history, models.

None of them can cost money (``wait`` and ``download`` only collect a run already paid),
which is why they live apart from :mod:`.generate`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import sys
from typing import Any

from .. import MODELS, check_destination
from .build import make_client
from .output import emit, prediction_text, wait_with_progress


def cmd_balance(args: argparse.Namespace) -> int:
    with make_client(args) as client:
        usd = client.balance()
    emit(args, {"ok": True, "balance_usd": usd}, f"${usd:.4f} USD")
    return 0


def cmd_usage(args: argparse.Namespace) -> int:
    until = args.until or dt.datetime.now(dt.UTC).date().isoformat()
    with make_client(args) as client:
        usage = client.usage(args.since, until, model=args.model)
    rows = [{"model": m, "requests": n, "cost_usd": c} for m, n, c in usage.by_model]
    data = {
        "ok": True,
        "start_date": usage.start_date,
        "end_date": usage.end_date,
        "total_requests": usage.total_requests,
        "total_cost_usd": usage.total_cost,
        "by_model": rows,
    }
    lines = [
        f"{usage.start_date} .. {usage.end_date}: {usage.total_requests} requests, "
        f"${usage.total_cost:.4f}"
    ] + [f"  {r['model']}: {r['requests']} requests, ${r['cost_usd']:.4f}" for r in rows]
    emit(args, data, "\n".join(lines))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    with make_client(args) as client:
        prediction = client.get_prediction(args.id)
    emit(args, {"ok": True, "prediction": prediction.to_dict()}, prediction_text(prediction))
    return 0


def cmd_wait(args: argparse.Namespace) -> int:
    if args.out:
        check_destination(args.out)
    with make_client(args) as client:
        final = wait_with_progress(client, args, args.id)
        files = [str(p) for p in client.download_all(final, args.out)] if args.out else []
    lines = [prediction_text(final)] + [f"saved {f}" for f in files]
    emit(args, {"ok": True, "prediction": final.to_dict(), "files": files}, "\n".join(lines))
    return 0


def cmd_download(args: argparse.Namespace) -> int:
    """An output URL is fetched as is; an id is read first and all its outputs fetched."""
    with make_client(args) as client:
        if args.target.startswith(("http://", "https://")):
            files = [client.download(args.target, args.out)]
        else:
            files = client.download_all(client.get_prediction(args.target), args.out)
    names = [str(p) for p in files]
    emit(args, {"ok": True, "files": names}, "\n".join(f"saved {n}" for n in names))
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    with make_client(args) as client:
        found = client.history(
            created_after=args.since,
            created_before=args.until,
            status=args.status,
            model=args.model,
            limit=args.limit,
        )
    lines = [
        f"{p.id}  {p.created_at or '-':<25}  {p.status.value:<10}  {p.model or '-'}" for p in found
    ]
    emit(args, {"ok": True, "predictions": [p.to_dict() for p in found]}, "\n".join(lines))
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    """The catalogue with the offline price of a 5 s run at 720p (the quote's fallback)."""
    rows: list[dict[str, Any]] = [
        {
            "model": s.path,
            "mode": s.mode,
            "tier": s.tier,
            "usd_per_5s_720p": s.price("720p", 5),
            "note": s.note,
        }
        for s in MODELS.values()
    ]
    width = max(len(r["model"]) for r in rows)
    lines = [f"{'MODEL':<{width}}  {'MODE':<14}  {'TIER':<8}  USD/5s@720p (offline)"]
    lines += [
        f"{r['model']:<{width}}  {r['mode']:<14}  {r['tier']:<8}  ${r['usd_per_5s_720p']:.2f}"
        for r in rows
    ]
    emit(args, {"ok": True, "models": rows}, "\n".join(lines))
    return 0


def cmd_simulator(argv: list[str]) -> int:
    """``seedance simulator ARGS`` is ``seedance-simulator ARGS`` (needs the extra)."""
    try:
        # Imported by name: the simulator is an optional extra, not part of the typed core.
        simulator = importlib.import_module("seedance_simulator.__main__")
    except ImportError as exc:
        print(
            f"seedance: the simulator needs the simulator extra ({exc.name or exc} is missing): "
            "pip install 'seedance-workflows[simulator]'",
            file=sys.stderr,
        )
        return 1
    return int(simulator.main(argv) or 0)
