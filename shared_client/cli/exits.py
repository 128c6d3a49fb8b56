"""Exit codes and the one-line error: the contract scripts rely on.

Kept in one module so the ``--help`` epilog, ``docs/cli.md`` and the mapping cannot
drift apart. The order of the checks matters: ``InsufficientBalanceError`` is an
``APIError`` and must map to "budget refused", not to "other".
"""

from __future__ import annotations

from .. import (
    AuthenticationError,
    BudgetExceededError,
    GenerationFailedError,
    GenerationTimeoutError,
    InsufficientBalanceError,
    InvalidRequestError,
    PreconditionError,
    SeedanceError,
    SubmissionUncertainError,
)
from .words import cli_words

OK = 0
OTHER = 1
INVALID = 2
AUTH = 3
BUDGET = 4
FAILED = 5
TIMEOUT = 6
UNCERTAIN = 7
INTERRUPTED = 130

EPILOG = """\
exit codes:
  0    ok
  1    other error (network, service, download, ...)
  2    invalid input (a request field, a usage error, an --out that cannot be
       written, a missing extra): nothing was paid
  3    authentication (missing or rejected API key)
  4    budget refused (over --max-cost, or the balance cannot pay)
  5    generation failed
  6    timed out waiting (the prediction may still finish: seedance wait ID)
  7    uncertain submit (the task may exist and be billed: seedance history)
  130  interrupted (Ctrl-C); a running prediction keeps running: seedance wait ID

the API key comes from WAVESPEED_API_KEY or --api-key-file PATH (never a plain option:
command lines are visible in ps); the base URL from WAVESPEED_BASE_URL or --base-url.
"""


class UsageError(Exception):
    """Bad command-line input found after parsing (exit 2, like argparse's own)."""


def exit_code(exc: BaseException) -> int:
    """The documented exit code of an exception the CLI lets reach ``main``."""
    if isinstance(exc, KeyboardInterrupt):
        return INTERRUPTED
    if isinstance(exc, InvalidRequestError | PreconditionError | UsageError):
        return INVALID
    if isinstance(exc, AuthenticationError):
        return AUTH
    if isinstance(exc, BudgetExceededError | InsufficientBalanceError):
        return BUDGET
    if isinstance(exc, GenerationFailedError):
        return FAILED
    if isinstance(exc, GenerationTimeoutError):
        return TIMEOUT
    if isinstance(exc, SubmissionUncertainError):
        return UNCERTAIN
    return OTHER


def one_line(exc: BaseException) -> str:
    """The error as one line (messages may carry newlines from the API)."""
    message = exc.in_words(cli_words) if isinstance(exc, SeedanceError) else str(exc)
    return " ".join(message.split()) or type(exc).__name__
