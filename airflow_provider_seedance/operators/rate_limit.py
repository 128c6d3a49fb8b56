"""The operator at the account's limits: a 429 on submit is waited out, never a failure.

WaveSpeed answers a submit over the account's per-minute limit with HTTP 429 and
``Retry-After``; nothing was created, nothing is billed, so submitting the same request
again is safe (the core classifies it so: ``RateLimitError``, ``is_safe_to_resubmit``).
The question is only where to wait:

* **In the worker, briefly.** The client retries the 429 itself, honouring
  ``Retry-After`` with jitter, as long as the next wait ends within
  ``rate_limit_worker_wait`` seconds of the first try (default 20). Short waits (a scaled
  test's fraction of a second, a Silver burst's few seconds) cost less here than a
  deferral round trip (triggerer, scheduler, a worker picking the task up again).
* **In the triggerer, beyond that.** A longer ``Retry-After`` (a Bronze account: up to a
  minute) would hold a worker slot for nothing, so the try clears its submit intent
  (the 429 created nothing: no task to find, no settle window to wait out), defers to
  :class:`~..triggers.rate_limit.SeedanceRateLimitTrigger` until ``Retry-After`` plus
  jitter, and on resume starts over: quote, gate, a new intent, one POST.

The task only fails if the account stays busy for longer than the operator's
``timeout`` (counted from the first 429), with a message that says so; Airflow's
retries then start a new try. ``deferrable=False`` sleeps in the worker instead.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import time
from typing import Any

from airflow.providers.common.compat.sdk import AirflowException

from airflow_provider_seedance.reattach import INTENT_XCOM_KEY, PredictionLedger
from airflow_provider_seedance.triggers.rate_limit import SeedanceRateLimitTrigger
from shared_client import RateLimitError, SeedanceClient

log = logging.getLogger(__name__)

#: Default seconds a try waits in the worker for the per-minute limit before deferring.
DEFAULT_RATE_LIMIT_WORKER_WAIT = 20.0
#: Submit attempts within that time (the time, not the count, is the real bound).
WORKER_SUBMIT_ATTEMPTS = 50


class RateLimitMixin:
    """Waits for the account's per-minute limit; see the module docstring.

    The operator provides ``rate_limit_worker_wait``, ``timeout``, ``deferrable`` and
    ``_run_try`` (the body of ``execute``); the paying path calls :meth:`_submit_policy`
    on its client and :meth:`_wait_for_rate_limit` when a ``RateLimitError`` reaches it.
    """

    rate_limit_worker_wait: float
    timeout: float
    deferrable: bool
    #: Set on resume from the trigger: when the account first refused, and how often.
    _rate_limited_since: float | None = None
    _rate_limited_rounds: int = 0

    def _submit_policy(self, client: SeedanceClient) -> None:
        """Bound the client's own 429 retries of a submit to the worker's share of the wait."""
        client.retry = dataclasses.replace(
            client.retry,
            submit_budget=max(0.0, float(self.rate_limit_worker_wait)),
            submit_attempts=WORKER_SUBMIT_ATTEMPTS,
        )

    def _wait_for_rate_limit(
        self, context: Any, client: SeedanceClient, ledger: PredictionLedger, err: RateLimitError
    ) -> None:
        """Void the intent, then defer until ``Retry-After`` (+ jitter) or sleep here.

        Returns (after sleeping) only when not deferrable; the caller then submits again.
        """
        ledger.clear()  # the 429 created nothing: no task to look for on the next try
        _withdraw_published_intent(context)
        now = time.time()
        since = self._rate_limited_since or now
        self._rate_limited_since = since
        self._rate_limited_rounds += 1
        fallback = min(60.0, 2.0 ** min(self._rate_limited_rounds, 6)) * random.uniform(0.5, 1.0)
        delay = client.retry.retry_after_wait(err.retry_after, fallback=fallback)
        if now + delay > since + float(self.timeout):
            raise AirflowException(
                f"The WaveSpeed account stayed at its rate limit for "
                f"{now - since:.0f} s (HTTP 429, {self._rate_limited_rounds} rounds), longer "
                f"than timeout={self.timeout:g} s; nothing was submitted or billed. Raise the "
                "account level, lower the pool size, or spread the runs."
            ) from err
        log.warning(
            "The account is at its per-minute limit (HTTP 429, Retry-After %s): nothing was "
            "created or billed. Submitting again in %.1f s (round %d)%s.",
            "none" if err.retry_after is None else f"{err.retry_after:g} s",
            delay,
            self._rate_limited_rounds,
            ", waiting in the triggerer" if self.deferrable else "",
        )
        if self.deferrable:
            self.defer(  # type: ignore[attr-defined]
                trigger=SeedanceRateLimitTrigger(until=now + delay),
                method_name="execute_after_rate_limit",
                kwargs={"since": since, "rounds": self._rate_limited_rounds},
            )
        time.sleep(delay)

    def execute_after_rate_limit(
        self, context: Any, event: Any = None, since: float | None = None, rounds: int = 0
    ) -> Any:
        """Resume after the wait: start over, as a fresh try would (quote, gate, submit)."""
        self._rate_limited_since = since
        self._rate_limited_rounds = int(rounds)
        return self._run_try(context)  # type: ignore[attr-defined]


def _withdraw_published_intent(context: Any) -> None:
    """Replace this try's published intent by nothing: siblings must not wait for a task
    that was never created. Best effort, like publishing."""
    try:
        context["ti"].xcom_push(key=INTENT_XCOM_KEY, value=None)
    except Exception:
        log.debug("Could not withdraw the published submit intent", exc_info=True)
