"""Approvals that survive an answer given at once: ask with Airflow's own screen, decide
in a task the race cannot reach.

**The race (Airflow 3.3, LocalExecutor and CeleryExecutor alike).** Airflow's
``ApprovalOperator`` parks its task (``awaiting_input``; ``deferred`` before 3.3) and an
answer resumes it at once: ``scheduled``, then ``queued``. The worker that parked it
reports "success" to the executor a moment later (seconds, more under load). When the
scheduler reads that stale report after the resumed task is already ``queued`` or
``running``, it takes it for a task killed from outside and fails the approval (Airflow
issues #67287 and #72716; the guard of #66431 covers ``scheduled`` only). Every task
behind the approval is then ``upstream_failed``: the draft was paid, the approved final
never runs. The reproduction and its counts are in ``docs/design-notes.md``.

**The mitigation.** An approval is two tasks (:func:`seedance_approval`):

* ``SeedanceApprovalOperator`` (the *ask*): Airflow's ``ApprovalOperator`` (same page,
  buttons, defaults, timeout, notifiers) that also records its own task instance id in
  XCom before it waits. The race can still fail it; the answer is kept in Airflow's
  record of it all the same.
* ``SeedanceApprovalDecisionOperator`` (the *decision*, ``<ask>_decision``), between the
  ask and everything it gates, with ``trigger_rule="all_done"``: when the ask succeeded
  it passes Approve on (Reject has already skipped it, as Airflow's operator does); when
  the ask *failed*, it reads the answer that was recorded for it (in the triggerer, the
  only component allowed to read another task's record) and ends itself with it:
  success on Approve, skipped on Reject, failed when nobody answered. It ends from the
  triggerer, never going back through ``queued``, so the race cannot reach it.

An answer given the moment the page shows and one given days later take the same path.
Importing this module on an Airflow without ``ApprovalOperator`` raises ``ImportError``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from airflow.providers.common.compat.sdk import (
    AirflowFailException,
    AirflowSkipException,
    BaseOperator,
)
from airflow.providers.standard.operators.hitl import ApprovalOperator

from airflow_provider_seedance.operators.quote import TOTAL_XCOM_KEY
from airflow_provider_seedance.triggers.approval import APPROVE, SeedanceApprovalAnswerTrigger

log = logging.getLogger(__name__)

#: XCom key under which the ask records its own task instance id (where its answer is kept).
ASKED_XCOM_KEY = "seedance_approval_ti_id"
DECISION_SUFFIX = "_decision"


class SeedanceApprovalOperator(ApprovalOperator):
    """Airflow's ``ApprovalOperator`` that leaves the way to its answer in XCom.

    Use it with a :class:`SeedanceApprovalDecisionOperator` behind it
    (:func:`seedance_approval` builds both): on its own it is exactly as exposed to
    Airflow's race as ``ApprovalOperator``. ``retries`` defaults to 0: a retry would be a
    new question, and the answer to the failed one is what the decision applies.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("retries", 0)
        super().__init__(**kwargs)

    def execute(self, context: Any) -> Any:
        context["ti"].xcom_push(key=ASKED_XCOM_KEY, value=str(context["task_instance"].id))
        return super().execute(context)


class SeedanceApprovalDecisionOperator(BaseOperator):
    """Apply the answer to ``approval_task_id`` even when Airflow failed that task.

    :param approval_task_id: The ask (a :class:`SeedanceApprovalOperator`).
    Its XCom is ``{"chosen_options": [...], "approved": bool, "recovered": bool, ...}``.
    """

    ui_color = "#f0e4ff"

    def __init__(self, *, approval_task_id: str, **kwargs: Any) -> None:
        kwargs.setdefault("trigger_rule", "all_done")
        kwargs.setdefault("retries", 0)
        super().__init__(**kwargs)
        self.approval_task_id = approval_task_id

    def execute(self, context: Any) -> Any:
        ti = context["ti"]
        states = ti.get_task_states(
            dag_id=ti.dag_id, task_ids=[self.approval_task_id], run_ids=[ti.run_id]
        )
        state = (states.get(ti.run_id) or {}).get(self.approval_task_id)
        if state == "success":
            answer = ti.xcom_pull(task_ids=self.approval_task_id) or {}
            chosen = list(answer.get("chosen_options") or [])
            if APPROVE not in chosen:  # Reject skips this task already; a default may not
                raise AirflowSkipException(f"{self.approval_task_id} answered {chosen}")
            log.info("%s approved: the gated tasks run", self.approval_task_id)
            return {"chosen_options": chosen, "approved": True, "recovered": False}
        if state == "skipped":
            raise AirflowSkipException(f"{self.approval_task_id} was skipped: nothing to decide")
        asked = ti.xcom_pull(task_ids=self.approval_task_id, key=ASKED_XCOM_KEY)
        if state != "failed" or not asked:
            raise AirflowFailException(
                f"{self.approval_task_id} ended {state!r} without asking anybody: "
                "nothing gated by it runs"
            )
        log.warning(
            "%s is failed; reading the answer recorded for it before deciding",
            self.approval_task_id,
        )
        self.defer(
            trigger=SeedanceApprovalAnswerTrigger(str(asked), self.approval_task_id),
            method_name="execute_complete",
        )

    def execute_complete(self, context: Any, event: Any = None) -> Any:
        """Not reached: the trigger ends this task itself. Kept so a resume fails loudly."""
        raise AirflowFailException(f"unexpected resume of the decision on {event!r}")


@dataclass(frozen=True)
class ApprovalStep:
    """The ask and its decision: put ``ask`` after what is reviewed, the gated tasks after
    ``decide`` (``SeedanceStoryboard(gate=step)`` does the second for you)."""

    ask: SeedanceApprovalOperator
    decide: SeedanceApprovalDecisionOperator

    @property
    def roots(self) -> Sequence[BaseOperator]:
        return [self.ask]

    @property
    def leaves(self) -> Sequence[BaseOperator]:
        return [self.decide]


def seedance_approval(
    task_id: str, *, operator: type[SeedanceApprovalOperator] | None = None, **kwargs: Any
) -> ApprovalStep:
    """An approval that survives an answer given at once: the ask (``task_id``, Airflow's
    approval screen) and its decision (``<task_id>_decision``), wired ``ask >> decide``.

    ``kwargs`` go to the ask (``subject``, ``body``, ``defaults``, ``response_timeout``...);
    ``operator`` picks a subclass (e.g. :class:`SeedanceSpendApprovalOperator`).
    """
    ask = (operator or SeedanceApprovalOperator)(task_id=task_id, **kwargs)
    decide = SeedanceApprovalDecisionOperator(
        task_id=task_id + DECISION_SUFFIX,
        approval_task_id=task_id,
        doc_md=f"Applies the answer to `{task_id}`, also when Airflow failed that task "
        "after it was answered (docs/airflow.md, 'Approvals').",
    )
    ask >> decide
    return ApprovalStep(ask, decide)


def default_body(quote_task_id: str) -> str:
    """The total and the cap, rendered from the quote step's XCom when the task runs."""
    total = f"ti.xcom_pull(task_ids='{quote_task_id}', key='{TOTAL_XCOM_KEY}')"
    return (
        f"The batch quoted by **{quote_task_id}** costs "
        f"**${{{{ '%.4f' | format({total}.total_usd) }}}}**, above its run cap of "
        f"**${{{{ {total}.max_total_usd }}}}**. Approve to generate it (each video still "
        "capped at its own quote); reject to skip the generation (nothing is paid)."
    )


class SeedanceSpendApprovalOperator(SeedanceApprovalOperator):
    """Approve a Seedance batch that is over its run cap; pass through when it is not.

    Placed between a :class:`~.quote.SeedanceQuoteOperator` (with ``approval_task_id``) and
    the generation tasks, with its decision behind it:
    ``seedance_approval("approve_spend", operator=SeedanceSpendApprovalOperator,
    quote_task_id="quote")``. Within the cap it succeeds at once, without asking anybody;
    over the cap the run waits for "Approve" (the batch runs, each task still capped at its
    own quote) or "Reject" (the generation tasks are skipped, nothing is paid). Approval
    does not skip tasks from the quote step, so the mapped generation keeps its input.

    :param quote_task_id: The quote step whose ``seedance_quote_total`` XCom decides.
    :param subject: The headline a person sees (templated).
    :param body: Details (Markdown, templated); by default the total and the cap.
    """

    def __init__(
        self,
        *,
        quote_task_id: str,
        subject: str = "A Seedance batch is over its run cap",
        body: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(subject=subject, body=body or default_body(quote_task_id), **kwargs)
        self.quote_task_id = quote_task_id

    def execute(self, context: Any) -> Any:
        total = context["ti"].xcom_pull(task_ids=self.quote_task_id, key=TOTAL_XCOM_KEY)
        if not isinstance(total, dict):
            raise ValueError(f"{self.quote_task_id!r} pushed no {TOTAL_XCOM_KEY} XCom")
        if not total.get("over_cap"):
            log.info(
                "Batch total $%.4f is within the run cap (%s): approved without asking",
                total.get("total_usd", 0.0),
                total.get("max_total_usd"),
            )
            return {"chosen_options": [self.APPROVE], "params_input": {}, "asked": False}
        log.warning(
            "Batch total $%.4f is over the run cap of $%s: waiting for a person",
            total.get("total_usd", 0.0),
            total.get("max_total_usd"),
        )
        return super().execute(context)
