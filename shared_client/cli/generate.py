"""``seedance generate`` and ``seedance quote``: the paying path and its price.

``generate`` is ``client.generate()``: the core's one paying path (preconditions, quote,
cap, submit, recover, wait, download, cost). The command adds only its host: the quote
line before paying, the progress line, and on Ctrl-C the id to resume with.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from typing import Any

from .. import STORY_EXTRAS, Quote, SeedanceClient, check_run, table_quote
from .build import build_request, load_board, make_client, mode_of
from .exits import BUDGET
from .output import emit, generate_with_progress, prediction_text

_BUDGET_HINT = "nothing was submitted"


def _quote_board(client: SeedanceClient | None, args: argparse.Namespace) -> tuple[Quote, ...]:
    board = load_board(args.source)
    requests = [board.request_for(i) for i in range(len(board.shots))]
    check_run(requests, extras=STORY_EXTRAS)  # a dry run says what the real run would
    return tuple(_price(client, r) for r in requests)


def _price(client: SeedanceClient | None, request: Any) -> Quote:
    return client.quote(request) if client is not None else table_quote(request)


def _quotes(args: argparse.Namespace, client: SeedanceClient | None) -> tuple[Quote, ...]:
    if args.mode == "story":
        return _quote_board(client, args)
    request = build_request(args)
    check_run([request])
    return (_price(client, request),)


def _total(quotes: tuple[Quote, ...]) -> dict[str, Any]:
    sources = sorted({q.source for q in quotes})
    return {
        "usd": round(sum(q.usd for q in quotes), 4),
        "currency": quotes[0].currency if quotes else "USD",
        "source": sources[0] if len(sources) == 1 else "mixed",
        "model": quotes[0].model if len(quotes) == 1 else None,
        "parts": [dataclasses.asdict(q) for q in quotes] if len(quotes) > 1 else None,
    }


def _describe(total: dict[str, Any]) -> str:
    origin = {"api": "pricing API", "table": "offline price table"}.get(total["source"], "mixed")
    return f"${total['usd']:.4f} {total['currency']} ({origin})"


def _over_cap(args: argparse.Namespace, total: dict[str, Any]) -> int | None:
    cap = args.max_cost
    if cap is not None and total["usd"] > cap:
        message = f"this run costs {_describe(total)}, over --max-cost ${cap:.4f}; {_BUDGET_HINT}"
        emit(args, {"ok": False, "error": message, "quote": total}, None)
        print(f"seedance: {message}", file=sys.stderr)
        return BUDGET
    return None


def cmd_quote(args: argparse.Namespace, *, dry_run: bool = False) -> int:
    """Price a request: the pricing API when a key is at hand, else the offline table.

    ``generate --dry-run`` is this too (validate and price; nothing uploaded or paid)."""
    client = make_client(args) if _has_key(args) else None
    try:
        total = _total(_quotes(args, client))
    finally:
        if client is not None:
            client.close()
    refused = _over_cap(args, total)
    if refused is not None:
        return refused
    if dry_run:
        text = f"dry run: valid; would cost {_describe(total)}; nothing uploaded or paid"
        emit(args, {"ok": True, "dry_run": True, "quote": total}, text)
    else:
        emit(args, {"ok": True, "quote": total}, _describe(total))
    return 0


def _has_key(args: argparse.Namespace) -> bool:
    from .build import api_key

    return bool(api_key(args))


def cmd_generate(args: argparse.Namespace) -> int:
    if args.dry_run:
        return cmd_quote(args, dry_run=True)
    if args.mode == "story":
        return _generate_story(args)
    request = build_request(args)
    with make_client(args) as client:
        final = generate_with_progress(client, args, request)
    data = {"ok": True, "mode": mode_of(args), "prediction": final.to_dict(), "files": final.files}
    lines = [prediction_text(final)] + [f"saved {f}" for f in final.files]
    emit(args, data, "\n".join(lines))
    return 0


def _generate_story(args: argparse.Namespace) -> int:
    from .progress import story_line

    board = load_board(args.source)
    with make_client(args) as client:
        result = client.generate_story(
            board,
            args.out or ".",
            max_cost_usd=args.max_cost,
            on_update=lambda update: story_line(sys.stderr, update),
            poll_interval=args.poll_interval,
            timeout=args.timeout,
        )
    data = {
        "ok": True,
        "mode": "story",
        "title": result.title,
        "film": str(result.film),
        "contact_sheet": str(result.contact_sheet),
        "cost_usd": result.cost_usd,
        "shots": [
            {
                "index": s.index,
                "prediction_id": s.prediction_id,
                "model": s.model,
                "cost_usd": s.cost_usd,
                "file": str(s.file),
                "reused": s.reused,
            }
            for s in result.shots
        ],
    }
    text = f"film {result.film} ({len(result.shots)} shots, ${result.cost_usd:.4f})"
    emit(args, data, text)
    return 0
