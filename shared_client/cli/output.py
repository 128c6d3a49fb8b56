"""Printing results, and waiting with progress: what the commands share.

A result goes to stdout, either as text for people or (``--json``) as exactly one JSON
object for scripts; progress and errors go to stderr, so ``--json`` output can be piped
straight into ``jq``.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .. import GenerationRequest, Prediction, Quote, SeedanceClient, describe_run
from .exits import INTERRUPTED
from .progress import Progress, estimate_seconds


def emit(args: argparse.Namespace, data: dict[str, Any], text: str | None) -> None:
    """The command's result: JSON with ``--json``, else ``text`` (if any)."""
    if getattr(args, "json", False):
        print(json.dumps(data, default=str))
    elif text:
        print(text)
    sys.stdout.flush()


def prediction_text(p: Prediction) -> str:
    parts = [f"{p.id}: {p.status.value}"]
    if p.model:
        parts.append(f"model {p.model}")
    if p.cost_usd is not None:
        origin = "pricing API" if p.cost_source == "api" else "offline table"
        parts.append(f"cost ${p.cost_usd:.4f} ({origin})")
    if p.error:
        parts.append(f"error: {p.error}")
    lines = [", ".join(parts)] + [f"  {url}" for url in p.outputs]
    return "\n".join(lines)


def wait_with_progress(
    client: SeedanceClient, args: argparse.Namespace, prediction_id: str
) -> Prediction:
    """Wait for a prediction showing progress; on Ctrl-C say how to resume, exit 130."""
    live = sys.stderr.isatty()
    try:
        with Progress(sys.stderr, live=live, expected=estimate_seconds(None, None, None)) as p:
            p.submitted(Prediction(id=prediction_id))
            return client.wait(
                prediction_id,
                timeout=args.timeout,
                poll_interval=args.poll_interval,
                on_update=p.update,
            )
    except KeyboardInterrupt:
        _interrupted(args, prediction_id)
        raise


def generate_with_progress(
    client: SeedanceClient, args: argparse.Namespace, request: GenerationRequest
) -> Prediction:
    """``client.generate()`` with the CLI's host around it: the quote line before paying,
    progress while it runs, and on Ctrl-C the id to resume with (exit 130)."""
    live = sys.stderr.isatty()
    expected = estimate_seconds(
        request.model if request.spec else None,
        request.billed_seconds(),
        getattr(request, "resolution", None),
    )
    submitted: list[str] = []

    def on_quote(quote: Quote) -> None:
        print(f"paying {describe_run(request, quote)}", file=sys.stderr, flush=True)

    def on_submitted(prediction: Prediction) -> None:
        submitted.append(prediction.id)
        progress.submitted(prediction)

    try:
        with Progress(sys.stderr, live=live, expected=expected) as progress:
            return client.generate(
                request,
                dest=args.out,
                max_cost_usd=args.max_cost,
                on_quote=on_quote,
                on_submitted=on_submitted,
                on_update=progress.update,
                timeout=args.timeout,
                poll_interval=args.poll_interval,
            )
    except KeyboardInterrupt:
        if submitted:
            _interrupted(args, submitted[0])
        raise


def _interrupted(args: argparse.Namespace, prediction_id: str) -> None:
    message = (
        f"interrupted; prediction {prediction_id} keeps running (and is billed): "
        f"resume with `seedance wait {prediction_id}`"
    )
    emit(args, {"ok": False, "error": message, "prediction_id": prediction_id}, None)
    print(f"seedance: {message}", file=sys.stderr, flush=True)
    raise SystemExit(INTERRUPTED) from None
