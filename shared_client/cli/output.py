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

from .. import Prediction, SeedanceClient, model_spec
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
    client: SeedanceClient,
    args: argparse.Namespace,
    prediction: Prediction,
    *,
    model: str | None = None,
    duration: float | None = None,
    resolution: str | None = None,
) -> Prediction:
    """Wait for ``prediction`` showing progress; on Ctrl-C say how to resume, exit 130."""
    live = sys.stderr.isatty()
    model = model or prediction.model
    spec_known = model_spec(model) if model else None
    expected = estimate_seconds(model if spec_known else None, duration, resolution)
    try:
        with Progress(sys.stderr, live=live, expected=expected) as progress:
            progress.submitted(prediction)
            if prediction.is_terminal:
                return client.wait(prediction.id, timeout=args.timeout, poll_interval=0.0)
            return client.wait(
                prediction.id,
                timeout=args.timeout,
                poll_interval=args.poll_interval,
                on_update=progress.update,
                result_url=prediction.result_url,
            )
    except KeyboardInterrupt:
        message = (
            f"interrupted; prediction {prediction.id} keeps running (and is billed): "
            f"resume with `seedance wait {prediction.id}`"
        )
        emit(args, {"ok": False, "error": message, "prediction_id": prediction.id}, None)
        print(f"seedance: {message}", file=sys.stderr, flush=True)
        raise SystemExit(INTERRUPTED) from None
