"""``SeedanceSpendApprovalOperator``: ask a person only when a batch is over its run cap.

Placed between a :class:`~.quote.SeedanceQuoteOperator` (with ``approval_task_id``) and
the generation tasks. Within the cap it succeeds at once, without asking anybody; over
the cap it becomes Airflow's ``ApprovalOperator`` (standard provider, Airflow 3.1+): the
run waits for "Approve" (the batch runs, each task still capped at its own quote) or
"Reject" (the generation tasks are skipped, nothing is paid). Approval does not skip
tasks from the quote step, so the mapped generation keeps its expansion input.

Importing this module on an Airflow without ``ApprovalOperator`` raises ``ImportError``.
"""

from __future__ import annotations

import logging
from typing import Any

from airflow.providers.standard.operators.hitl import ApprovalOperator

from airflow_provider_seedance.operators.quote import TOTAL_XCOM_KEY

log = logging.getLogger(__name__)


def default_body(quote_task_id: str) -> str:
    """The total and the cap, rendered from the quote step's XCom when the task runs."""
    total = f"ti.xcom_pull(task_ids='{quote_task_id}', key='{TOTAL_XCOM_KEY}')"
    return (
        f"The batch quoted by **{quote_task_id}** costs "
        f"**${{{{ '%.4f' | format({total}.total_usd) }}}}**, above its run cap of "
        f"**${{{{ {total}.max_total_usd }}}}**. Approve to generate it (each video still "
        "capped at its own quote); reject to skip the generation (nothing is paid)."
    )


class SeedanceSpendApprovalOperator(ApprovalOperator):
    """Approve a Seedance batch that is over its run cap; pass through when it is not.

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
