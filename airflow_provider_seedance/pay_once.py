"""The operator's paying path: every try pays at most once, even if it dies inside the submit.

The order is what makes it safe: the intent record is written (``task_state_store`` or
the Variable ledger, see :mod:`.reattach`) *before* the POST, the prediction id after the
answer. A try that starts and finds

* an id: reattaches (the operator's ``_reattach``);
* an intent without an id: the previous try died between the two writes. Its task may
  exist; the history is searched for it (exact body fingerprint, created after the
  intent, not claimed by a sibling map index) and, while the settle window runs, the
  search goes on in the triggerer (:class:`SeedanceSubmitReconcileTrigger`, no worker
  slot held). Found: adopted. Provably absent after the window: submitted anew;
* nothing: submits.

A submit whose answer is lost (timeout, 5xx after sending) is settled the same way. If
the window passes without the task showing up, the default is to fail with the message
users know, never to resubmit: the request was sent, and the history may only be slow.
``resubmit_after_settle=True`` opts into submitting again for users who accept that risk.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import Any

from airflow.providers.common.compat.sdk import AirflowException, AirflowFailException

from airflow_provider_seedance.reattach import (
    PredictionLedger,
    ledger_for,
    owner_of,
    publish_intent,
    request_key,
    sibling_intents,
)
from airflow_provider_seedance.triggers.reconcile import (
    RECONCILE_STATUSES,
    SeedanceSubmitReconcileTrigger,
)
from shared_client import (
    ImageToVideoRequest,
    InsufficientBalanceError,
    Prediction,
    RateLimitError,
    SeedanceClient,
    SeedanceError,
    SubmissionUncertainError,
    SubmitIntent,
    TextToVideoRequest,
    VideoEditRequest,
    VideoExtendRequest,
)

log = logging.getLogger(__name__)

#: Any request of the family: the paying path is the same for every mode.
GenerationRequest = ImageToVideoRequest | TextToVideoRequest | VideoExtendRequest | VideoEditRequest


class PayOnceMixin:
    """Submit, recover and settle for an operator; see the module docstring for the rules.

    The operator provides ``settle_window``, ``resubmit_after_settle``, ``deferrable``,
    ``reattach_on_retry``, ``wavespeed_conn_id``, ``hook``, ``build_request``,
    ``_follow(context, client, prediction, ledger, deadline)``, and the money side of the
    submit (:class:`~.operators.budget.BudgetMixin`): ``_gate`` before paying,
    ``_record_cost`` after.
    """

    settle_window: float
    resubmit_after_settle: bool
    deferrable: bool
    reattach_on_retry: bool
    wavespeed_conn_id: str
    timeout: float

    # -- the two writes around the POST (separate methods so crash tests can aim at them) --
    def _record_intent(self, context: Any, ledger: PredictionLedger, intent: SubmitIntent) -> None:
        """Write the intent where a retry finds it; raising here means nothing is sent."""
        ledger.record_intent(intent)
        publish_intent(context, intent)

    def _store_prediction(
        self, context: Any, ledger: PredictionLedger, prediction: Prediction
    ) -> None:
        """Write the prediction id next to the intent, once the answer has arrived."""
        ledger.set(prediction.id)
        intent = ledger.intent()
        if intent is not None:
            publish_intent(context, intent)

    # -- paying --
    def _paid_prediction(
        self,
        context: Any,
        client: SeedanceClient,
        request: GenerationRequest,
        ledger: PredictionLedger,
    ) -> Prediction:
        """The prediction this task pays for: one an earlier try created, or a new one."""
        intent = ledger.intent()
        if intent is not None and intent.prediction_id is None:
            reason = "uncertain" if intent.answer_lost else "crash"
            log.warning(
                "A previous try recorded a submit (fingerprint %s at %.0f) but no prediction "
                "id: %s. Looking for its task before paying again.",
                intent.fingerprint[:16],
                intent.not_before,
                "its answer was lost" if intent.answer_lost else "it died inside the submit",
            )
            found = self._recover(context, client, ledger, intent, reason=reason)
            if found is not None:
                return found
            if intent.answer_lost:
                return self._after_empty_window(context, client, ledger, intent, "uncertain")
            log.warning(
                "No task of the previous try's submit appeared within the %g s settle window; "
                "submitting now",
                self.settle_window,
            )
        return self._submit(context, client, request, ledger)

    def _submit(
        self,
        context: Any,
        client: SeedanceClient,
        request: GenerationRequest,
        ledger: PredictionLedger,
    ) -> Prediction:
        """Gate on the price, then pay: uploads, the intent, one POST, the id."""
        quote = self._gate(context, client, request)  # type: ignore[attr-defined]
        self._submit_policy(client)  # type: ignore[attr-defined]
        key = request_key(request)  # kept with the record: a changed request submits anew
        try:
            while True:
                try:
                    prediction = client.submit(
                        request,
                        owner=owner_of(context),
                        on_intent=lambda intent: self._record_intent(
                            context, ledger, replace(intent, request_key=key)
                        ),
                        reconcile=False,  # settled below, with the siblings' claims in view
                    )
                    break
                except RateLimitError as err:  # nothing created: defer, or sleep and resend
                    self._wait_for_rate_limit(context, client, ledger, err)  # type: ignore[attr-defined]
        except InsufficientBalanceError as err:
            # A definite refusal (HTTP 402): no task was created, so the intent is void,
            # and a retry cannot pay either until somebody tops the account up.
            ledger.clear()
            raise AirflowFailException(f"{err} Nothing was submitted.") from err
        except SubmissionUncertainError as err:
            if err.intent is None:  # pragma: no cover - the flow always attaches it
                raise AirflowFailException(str(err)) from err
            intent = replace(err.intent.lost(), request_key=key)
            ledger.record_intent(intent)  # a retry then knows the POST did leave
            found = self._recover(context, client, ledger, intent, reason="uncertain")
            if found is not None:
                return found
            return self._after_empty_window(context, client, ledger, intent, "uncertain")
        self._store_prediction(context, ledger, prediction)
        log.info(
            "Submitted prediction %s (%s), quoted %s",
            prediction.id,
            request.model,
            quote.describe() if quote is not None else "no price available",
        )
        self._record_cost(context, quote, prediction)  # type: ignore[attr-defined]
        return prediction

    def _recover(
        self,
        context: Any,
        client: SeedanceClient,
        ledger: PredictionLedger,
        intent: SubmitIntent,
        *,
        reason: str,
    ) -> Prediction | None:
        """Adopt the intent's task if the history shows it; defer while the window runs.

        Returns None only once a search that started after the window found nothing.
        """
        publish_intent(context, intent)
        started = time.time()
        try:
            found = client.recover_submission(intent, others=sibling_intents(context))
        except SeedanceError as err:
            if started >= intent.settled_by(self.settle_window):
                # Nothing can be proven; a retry searches again, nothing is paid.
                raise AirflowException(
                    f"The history could not be searched for submit {intent.fingerprint[:16]} "
                    f"({err}); not submitting again without proof that no task exists."
                ) from err
            log.warning("History search failed (%s); settling in the triggerer", err)
            found = None
        if found is not None:
            return self._adopt(context, ledger, found)
        if started >= intent.settled_by(self.settle_window):
            return None
        if self.deferrable:
            log.info(
                "Task of submit %s not in the history yet; searching for up to %.0f s more in "
                "the triggerer",
                intent.fingerprint[:16],
                intent.settled_by(self.settle_window) - started,
            )
            self.defer(  # type: ignore[attr-defined]
                trigger=SeedanceSubmitReconcileTrigger(
                    intent=intent.to_json(),
                    settle_window=self.settle_window,
                    reason=reason,
                    wavespeed_conn_id=self.wavespeed_conn_id,
                    siblings=[s.to_json() for s in sibling_intents(context)],
                ),
                method_name="execute_reconciled",
            )
        found = client.settle_submission(
            intent, settle_window=self.settle_window, others=lambda: sibling_intents(context)
        )
        return self._adopt(context, ledger, found) if found is not None else None

    def _adopt(self, context: Any, ledger: PredictionLedger, found: Prediction) -> Prediction:
        log.warning(
            "Adopting prediction %s, created by this task's earlier submit, instead of paying "
            "again",
            found.id,
        )
        self._store_prediction(context, ledger, found)
        return found

    def _after_empty_window(
        self,
        context: Any,
        client: SeedanceClient,
        ledger: PredictionLedger,
        intent: SubmitIntent,
        reason: str,
    ) -> Prediction:
        """The window passed with no task: resubmit after a crash, fail after a lost answer."""
        if reason == "crash" or self.resubmit_after_settle:
            log.warning(
                "No task appeared for submit %s within %g s; submitting again (%s)",
                intent.fingerprint[:16],
                self.settle_window,
                "after a crash" if reason == "crash" else "resubmit_after_settle=True",
            )
            return self._submit(context, client, self.build_request(), ledger)  # type: ignore[attr-defined]
        raise AirflowFailException(
            f"The submit's answer was lost after the request was sent, and no task with "
            f"request fingerprint {intent.fingerprint} (model {intent.model}, sent after "
            f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(intent.not_before))}) appeared "
            f"in the history within the {self.settle_window:g} s settle window. Not retried "
            "automatically: it may still have been created and billed. Check the WaveSpeed "
            "dashboard/history, then clear the task if no task was created (or set "
            "resubmit_after_settle=True to accept the risk of paying twice)."
        )

    def execute_reconciled(self, context: Any, event: Any = None) -> Any:
        """Resume after the reconcile trigger: adopt, resubmit after a crash, or fail."""
        if not isinstance(event, dict) or event.get("status") not in RECONCILE_STATUSES:
            raise AirflowException(f"Unexpected event from the reconcile trigger: {event!r}")
        ledger = ledger_for(context, enabled=self.reattach_on_retry)
        intent = ledger.intent()
        if intent is None:
            raise AirflowException("The submit intent record is gone; cannot settle the submit")
        if event["status"] == "error":
            # Nothing was decided; a retry starts from the intent record again.
            raise AirflowException(str(event.get("message")))
        reason = str(event.get("reason", "uncertain"))
        deadline = intent.not_before + float(self.timeout)
        with self.hook.get_conn() as client:  # type: ignore[attr-defined]
            # Decide in the worker with the siblings' claims as they are now.
            found = client.recover_submission(intent, others=sibling_intents(context))
            if found is not None:
                prediction = self._adopt(context, ledger, found)
            else:
                prediction = self._after_empty_window(context, client, ledger, intent, reason)
            return self._follow(context, client, prediction, ledger, deadline)  # type: ignore[attr-defined]
