"""When to try again, and how long to wait: retry decisions and policies.

Reads retry with exponential backoff and full jitter, honour ``Retry-After``, and stop
after a bounded number of attempts *and* a bounded time. Submits use the same waits but
a narrower predicate (:func:`is_safe_to_resubmit`): a submit is paid and not idempotent.
The decisions are plain functions over the error tree; :class:`RetryPolicy` turns them
into tenacity arguments shared by the sync and async drivers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from tenacity import (
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_random_exponential,
)

from .errors import (
    APIError,
    AuthenticationError,
    InvalidResponseError,
    RateLimitError,
    ServiceUnreachableError,
)

__all__ = ["RetryKind", "RetryPolicy", "is_retryable_read", "is_safe_to_resubmit"]

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
    ``Retry-After`` wins over the computed wait, up to ``max_retry_after``.
    """

    max_attempts: int = 6
    max_elapsed: float = 120.0
    initial: float = 0.5
    maximum: float = 15.0
    max_retry_after: float = 60.0

    def tenacity_kwargs(self, kind: RetryKind) -> dict[str, Any]:
        """Keyword arguments for ``tenacity.Retrying`` / ``AsyncRetrying``."""
        predicate: Callable[[BaseException], bool]
        if kind == "read":
            predicate = is_retryable_read
        elif kind == "submit":
            predicate = is_safe_to_resubmit
        else:
            return {"stop": stop_after_attempt(1), "reraise": True}
        return {
            "retry": retry_if_exception(predicate),
            "stop": stop_after_attempt(self.max_attempts) | stop_after_delay(self.max_elapsed),
            "wait": self._wait,
            "reraise": True,
            "before_sleep": _log_retry,
        }

    def _wait(self, state: RetryCallState) -> float:
        backoff = wait_random_exponential(multiplier=self.initial, max=self.maximum)(state)
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, APIError) and exc.retry_after is not None:
            return min(max(exc.retry_after, 0.0), self.max_retry_after)
        return float(backoff)


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    delay = state.next_action.sleep if state.next_action else 0.0
    logger.warning("attempt %d failed (%s); retrying in %.2f s", state.attempt_number, exc, delay)
