"""When to try again, and how long to wait: retry decisions and policies.

Reads retry with exponential backoff and full jitter, honour ``Retry-After`` (plus a
jitter of up to a quarter of it, so callers told the same time do not come back
together), and stop after a bounded number of attempts *and* a bounded time. Submits use
the same waits but a narrower predicate (:func:`is_safe_to_resubmit`): a submit is paid
and not idempotent; only a 429 (the account is busy, nothing was created) or a request
that never left is sent again. A submit never sleeps past its time budget: when the next
wait would end after it, the :class:`~.errors.RateLimitError` reaches the caller, who
may wait elsewhere (the Airflow operator defers to the triggerer).
The decisions are plain functions over the error tree; :class:`RetryPolicy` turns them
into tenacity arguments shared by the sync and async drivers.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from tenacity import (
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    stop_before_delay,
    wait_random_exponential,
)

from .errors import (
    APIError,
    AuthenticationError,
    InvalidResponseError,
    RateLimitError,
    ServiceUnreachableError,
)

__all__ = ["FirstFailure", "RetryKind", "RetryPolicy", "is_retryable_read", "is_safe_to_resubmit"]

logger = logging.getLogger(__name__)

#: How a request may be retried: as an idempotent read, as a paid submit, or not at all.
RetryKind = Literal["read", "submit", "none"]


def is_retryable_read(exc: BaseException) -> bool:
    """Reads are idempotent: retry throttling, server errors and transport faults."""
    if isinstance(exc, AuthenticationError):
        return False
    if isinstance(exc, RateLimitError | ServiceUnreachableError):
        return True
    if isinstance(exc, InvalidResponseError):
        # A garbled body from a failing server is transient; a complete but malformed 2xx
        # body is a server bug that asking again will not fix.
        return exc.status_code is None or exc.status_code >= 500
    if isinstance(exc, APIError):
        return exc.is_server_error or exc.status_code == 408
    return False


def is_safe_to_resubmit(exc: BaseException) -> bool:
    """A submit may be resent only when it provably created nothing: 429, or never sent."""
    if isinstance(exc, RateLimitError):
        return True
    return isinstance(exc, ServiceUnreachableError) and not exc.request_sent


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try before giving up on one request.

    ``max_attempts`` counts the first try; ``max_elapsed`` (seconds) bounds the whole
    series; ``initial``/``maximum`` shape the jittered exponential wait; a server's
    ``Retry-After`` wins over the computed wait, up to ``max_retry_after``, lengthened by
    a random share of up to ``retry_after_jitter`` of it. Submits may set their own
    bounds: ``submit_attempts`` (default ``max_attempts``) and ``submit_budget`` seconds
    (default ``max_elapsed``), which a submit never sleeps past.
    """

    max_attempts: int = 6
    max_elapsed: float = 120.0
    initial: float = 0.5
    maximum: float = 15.0
    max_retry_after: float = 60.0
    retry_after_jitter: float = 0.25
    submit_attempts: int | None = None
    submit_budget: float | None = None

    def tenacity_kwargs(self, kind: RetryKind, *, elapsed: float = 0.0) -> dict[str, Any]:
        """Keyword arguments for ``tenacity.Retrying`` / ``AsyncRetrying``.

        ``elapsed``: seconds the series had already run before tenacity took over (the
        clients make the first attempt without tenacity, see :class:`FirstFailure`), so
        the time bounds still count from the first attempt.
        """
        predicate: Callable[[BaseException], bool]
        if kind == "read":
            predicate = is_retryable_read
        elif kind == "submit":
            predicate = is_safe_to_resubmit
        else:
            return {"stop": stop_after_attempt(1), "reraise": True}
        stop = stop_after_attempt(self.max_attempts) | stop_after_delay(
            max(self.max_elapsed - elapsed, 0.0)
        )
        if kind == "submit":
            attempts = self.submit_attempts or self.max_attempts
            budget = self.max_elapsed if self.submit_budget is None else self.submit_budget
            stop = stop_after_attempt(attempts) | stop_before_delay(max(budget - elapsed, 0.0))
        return {
            "retry": retry_if_exception(predicate),
            "stop": stop,
            "wait": self._wait,
            "reraise": True,
            "before_sleep": _log_retry,
        }

    def _wait(self, state: RetryCallState) -> float:
        backoff = wait_random_exponential(multiplier=self.initial, max=self.maximum)(state)
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, APIError) and exc.retry_after is not None:
            return self.retry_after_wait(exc.retry_after, fallback=float(backoff))
        return float(backoff)

    def retry_after_wait(self, retry_after: float | None, *, fallback: float) -> float:
        """Seconds to wait when the server said ``Retry-After``: its value (at most
        ``max_retry_after``) plus a random extra of up to ``retry_after_jitter`` of it.

        Why the extra: a rate limit answers every caller of a burst with about the same
        time; coming back all at once would buy another round of 429s. A missing or zero
        ``Retry-After`` takes ``fallback`` (the jittered exponential backoff).
        """
        if retry_after is None or retry_after <= 0:
            return fallback
        base = min(retry_after, self.max_retry_after)
        return base * (1.0 + random.uniform(0.0, max(self.retry_after_jitter, 0.0)))


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    delay = state.next_action.sleep if state.next_action else 0.0
    logger.warning("attempt %d failed (%s); retrying in %.2f s", state.attempt_number, exc, delay)


class FirstFailure:
    """Replays a first attempt's failure as tenacity's attempt 1.

    Why: nearly every call succeeds at once, and entering tenacity costs about 0.14 ms of
    CPU per call (its per-attempt bookkeeping), as much as the HTTP request itself on a
    status poll (docs/benchmarks.md, triggerer density). So the clients make the first
    attempt bare and hand tenacity only a failed one: ``replay()`` raises that failure
    inside tenacity's first attempt, so the retry decision, the waits, the stop rules and
    the log are tenacity's and the policy's, exactly as if tenacity had made the call.
    """

    __slots__ = ("_error", "elapsed")

    def __init__(self, error: BaseException, elapsed: float) -> None:
        self._error: BaseException | None = error
        self.elapsed = elapsed

    def replay(self) -> bool:
        """Raise the first failure once (tenacity's attempt 1); then False: call again."""
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        return False
