"""The ``seedance`` entry point: parse, run one command, exit with its documented code.

Every expected error becomes one ``seedance: <message>`` line on stderr and a documented
exit code (:mod:`.exits`); only a bug shows a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from .. import SeedanceError
from . import account, generate
from .exits import UsageError, exit_code, one_line
from .output import emit
from .parser import build_parser

_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "generate": generate.cmd_generate,
    "quote": generate.cmd_quote,
    "balance": account.cmd_balance,
    "usage": account.cmd_usage,
    "status": account.cmd_status,
    "wait": account.cmd_wait,
    "download": account.cmd_download,
    "history": account.cmd_history,
    "models": account.cmd_models,
}


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["simulator"]:
        # Delegated before parsing: the simulator owns its options (and its --help).
        return account.cmd_simulator(args_list[1:])
    args = build_parser().parse_args(args_list)  # usage errors: argparse exits 2
    try:
        return _COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print("seedance: interrupted", file=sys.stderr)
        return exit_code(KeyboardInterrupt())
    except (SeedanceError, UsageError) as exc:
        return _fail(args, exc)
    except OSError as exc:  # an unwritable --out, a vanished file: not a bug
        return _fail(args, exc)


def _fail(args: argparse.Namespace, exc: BaseException) -> int:
    code = exit_code(exc)
    message = one_line(exc)
    data = {"ok": False, "error": message, "exit_code": code, "type": type(exc).__name__}
    prediction_id = getattr(exc, "prediction_id", None)
    if prediction_id:
        data["prediction_id"] = prediction_id
    emit(args, data, None)
    print(f"seedance: {message}", file=sys.stderr, flush=True)
    return code
