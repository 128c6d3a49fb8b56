"""``SeedanceSubmitReconcileTrigger``: looks for the task of a submit whose answer was lost.

When a submit's answer never reached the worker (lost after sending, or the worker died
while the POST was open), the task may exist and be billed, and the API's history may show
it only after a while. Deciding at once would either fail a task that exists or pay twice.
This trigger searches the history, without holding a worker slot, until the task appears
or the settle window (counted from the intent's wall-clock time, so a triggerer restart
does not extend it) has passed. It only reads: it never submits, so running in two
triggerers during a hand-over costs two searches, never a payment.

Its kwargs are the intent record (fingerprint, model, time, owner; no key, no prompt), the
intents of sibling map indexes seen at deferral, the connection id and two numbers.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_seedance.hooks.seedance import DEFAULT_CONN_ID, SeedanceHook
from shared_client import DEFAULT_SETTLE_WINDOW, SeedanceError, SubmitIntent

log = logging.getLogger(__name__)

#: Seconds between two history searches while the window runs.
DEFAULT_SEARCH_INTERVAL = 10.0
RECONCILE_STATUSES = ("found", "not_found", "error")


class SeedanceSubmitReconcileTrigger(BaseTrigger):
    """Search the history for ``intent``'s task until found or the settle window passed.

    :param intent: The submit intent record as JSON (``SubmitIntent.to_json()``).
    :param settle_window: Seconds after the intent's time within which the task may still
        appear in the history.
    :param reason: ``"uncertain"`` (the answer was lost) or ``"crash"`` (a try died in
        the submit); carried back to the operator, which decides what "not found" means.
    :param siblings: Intent records of sibling map indexes (JSON), so a task another
        index already claimed is not adopted.
    """

    def __init__(
        self,
        intent: str,
        settle_window: float = DEFAULT_SETTLE_WINDOW,
        reason: str = "uncertain",
        wavespeed_conn_id: str = DEFAULT_CONN_ID,
        search_interval: float = DEFAULT_SEARCH_INTERVAL,
        siblings: Sequence[str] = (),
    ) -> None:
        super().__init__()
        self.intent = intent
        self.settle_window = float(settle_window)
        self.reason = reason
        self.wavespeed_conn_id = wavespeed_conn_id
        self.search_interval = max(float(search_interval), 0.5)
        self.siblings = list(siblings)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "intent": self.intent,
                "settle_window": self.settle_window,
                "reason": self.reason,
                "wavespeed_conn_id": self.wavespeed_conn_id,
                "search_interval": self.search_interval,
                "siblings": self.siblings,
            },
        )

    def _event(self, status: str, message: str, prediction: Any = None) -> TriggerEvent:
        payload: dict[str, Any] = {"status": status, "reason": self.reason, "message": message}
        if prediction is not None:
            payload["prediction"] = prediction.to_dict()
        return TriggerEvent(payload)

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Yield one event: ``found`` (with the prediction), ``not_found`` or ``error``."""
        try:
            intent = SubmitIntent.from_json(self.intent)
            others = [SubmitIntent.from_json(s) for s in self.siblings]
            client = await SeedanceHook(self.wavespeed_conn_id).ashared_client()
        except Exception as err:  # a broken record or connection ends the task, not the triggerer
            yield self._event("error", f"Cannot search for the submitted task: {err}")
            return
        try:
            found = await client.settle_submission(
                intent,
                settle_window=self.settle_window,
                interval=self.search_interval,
                others=lambda: others,
            )
        except SeedanceError as err:
            yield self._event("error", f"The history could not be searched: {err}")
            return
        if found is None:
            yield self._event(
                "not_found",
                f"No task with request fingerprint {intent.fingerprint[:16]} appeared in the "
                f"history within {self.settle_window:g} s of the submit.",
            )
            return
        yield self._event("found", f"Found prediction {found.id} in the history.", found)
