"""The argument tree of ``seedance``, kept apart from what the commands do.

``generate`` and ``quote`` share one set of request options (built by
:func:`_add_modes`) so a quoted command line is exactly the one that would be paid.
The connection and output options sit on every subcommand (a ``parents`` parser),
because people type them after the command, where they read naturally.
"""

from __future__ import annotations

import argparse

from .. import ASPECT_RATIOS, DEFAULT_POLL_INTERVAL, DEFAULT_TIMEOUT, RESOLUTIONS
from .exits import EPILOG

MODES = {
    "i2v": ("image-to-video", "IMAGE", "animate a start image"),
    "t2v": ("text-to-video", None, "generate from a prompt (and references)"),
    "extend": ("video-extend", "VIDEO", "add seconds to a video"),
    "edit": ("video-edit", "VIDEO", "edit a video by prompt"),
    "story": ("story", "BOARD", "a storyboard YAML: every shot, stitched into one film"),
}


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("connection and output")
    group.add_argument(
        "--api-key-file", metavar="PATH", help="read the API key from PATH (else WAVESPEED_API_KEY)"
    )
    group.add_argument("--base-url", help="API base URL (else WAVESPEED_BASE_URL, else WaveSpeed)")
    group.add_argument(
        "--json", action="store_true", help="print one machine-readable JSON result on stdout"
    )
    return common


def _add_wait_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds to wait")
    p.add_argument(
        "--poll-interval", type=float, default=DEFAULT_POLL_INTERVAL, help="seconds between polls"
    )


def _add_request_options(p: argparse.ArgumentParser, mode: str) -> None:
    p.add_argument("--prompt", help="what to generate (required except for story)")
    p.add_argument("--model", help="model path (see `seedance models`)")
    p.add_argument("--tier", choices=("standard", "fast", "mini"), help="pick the tier's model")
    if mode != "video-edit":
        p.add_argument("--resolution", choices=RESOLUTIONS)
    p.add_argument("--duration", type=int, help="seconds of output")
    if mode != "video-extend":
        p.add_argument("--aspect-ratio", choices=ASPECT_RATIOS)
    if mode != "video-edit":
        p.add_argument(
            "--audio", action=argparse.BooleanOptionalAction, default=None, help="generate audio"
        )
    if mode in ("text-to-video", "video-edit"):
        p.add_argument("--reference-image", action="append", default=[], metavar="PATH|URL")
        p.add_argument("--reference-audio", action="append", default=[], metavar="PATH|URL")
    if mode == "text-to-video":
        p.add_argument("--reference-video", action="append", default=[], metavar="PATH|URL")
    if mode in ("image-to-video", "video-extend"):
        p.add_argument("--last-image", metavar="PATH|URL", help="the frame to end on")


def _add_modes(parent: argparse.ArgumentParser, common: argparse.ArgumentParser, pay: bool) -> None:
    modes = parent.add_subparsers(dest="mode", metavar="MODE", required=True)
    for name, (mode, source, text) in MODES.items():
        p = modes.add_parser(
            name,
            parents=[common],
            help=text,
            description=text,
            epilog=EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if source is not None:
            p.add_argument("source", metavar=source)
        if mode != "story":
            _add_request_options(p, mode)
        p.add_argument("--max-cost", type=float, metavar="USD", help="refuse a dearer run")
        if pay:
            p.add_argument("--out", metavar="DIR", help="download the output(s) into DIR")
            p.add_argument(
                "--dry-run", action="store_true", help="validate and quote only: nothing paid"
            )
            _add_wait_options(p)


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(
        prog="seedance",
        description="Seedance 2.0 video generation on WaveSpeedAI, from the shell.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    gen = sub.add_parser("generate", help="generate a video (and wait, and download)")
    gen.epilog, gen.formatter_class = EPILOG, argparse.RawDescriptionHelpFormatter
    _add_modes(gen, common, pay=True)
    quote = sub.add_parser("quote", help="price a request without paying")
    _add_modes(quote, common, pay=False)

    sub.add_parser("balance", parents=[common], help="the account balance in USD")
    usage = sub.add_parser("usage", parents=[common], help="requests and cost in a period")
    usage.add_argument("--since", required=True, metavar="YYYY-MM-DD")
    usage.add_argument("--until", metavar="YYYY-MM-DD", help="default: today (UTC)")
    usage.add_argument("--model")

    status = sub.add_parser("status", parents=[common], help="one prediction's status")
    status.add_argument("id")
    wait = sub.add_parser("wait", parents=[common], help="wait for a prediction to finish")
    wait.add_argument("id")
    wait.add_argument("--out", metavar="DIR", help="download the output(s) into DIR")
    _add_wait_options(wait)
    download = sub.add_parser("download", parents=[common], help="download a prediction's output")
    download.add_argument("target", metavar="ID|URL")
    download.add_argument("--out", metavar="DIR", default=".", help="folder (default: .)")

    history = sub.add_parser("history", parents=[common], help="recent predictions (7 days)")
    history.add_argument("--since", metavar="YYYY-MM-DD")
    history.add_argument("--until", metavar="YYYY-MM-DD")
    history.add_argument("--status", help="e.g. completed, failed, processing")
    history.add_argument("--model")
    history.add_argument("--limit", type=int, default=100)

    sub.add_parser("models", parents=[common], help="the model catalogue with offline prices")
    sub.add_parser(
        "simulator", add_help=False, help="run the local simulator (seedance-simulator ARGS)"
    )
    return parser
