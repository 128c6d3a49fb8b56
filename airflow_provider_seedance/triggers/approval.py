"""``SeedanceApprovalAnswerTrigger``: read a person's recorded answer and end the task with it.

Why a trigger: a worker can read only its own task's human-in-the-loop record (the
Execution API scopes a task's token to itself), and the approval task whose record holds
the answer may have been failed by Airflow's stale-executor-report race after the answer
was given (see :mod:`airflow_provider_seedance.operators.approval`). The triggerer reads
any task's record. The trigger ends its task itself (success with the answer as XCom,
skipped on Reject, failed when nobody answered), so the task never goes back through
``scheduled``/``queued``: a stale report of its own defer exit finds it finished and is
ignored, and the race cannot reach this task too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import (
    BaseTrigger,
    TaskFailedEvent,
    TaskSkippedEvent,
    TaskSuccessEvent,
    TriggerEvent,
)

#: The option that lets the gated tasks run.
APPROVE = "Approve"


def decision(answer: Any) -> dict[str, Any] | None:
    """The answer as the decision task's XCom (JSON only), or None when nobody answered."""
    if not (answer.response_received and answer.chosen_options):
        return None
    user = answer.responded_by_user
    return {
        "chosen_options": list(answer.chosen_options),
        "approved": APPROVE in answer.chosen_options,
        "responded_at": answer.responded_at.isoformat() if answer.responded_at else None,
        "responded_by_user": None if user is None else {"id": user.id, "name": user.name},
        "recovered": True,
    }


class SeedanceApprovalAnswerTrigger(BaseTrigger):
    """Read the answer recorded for the approval task ``ti_id`` once; end the task with it."""

    def __init__(self, ti_id: str, approval_task_id: str) -> None:
        super().__init__()
        self.ti_id = str(ti_id)
        self.approval_task_id = approval_task_id

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {"ti_id": self.ti_id, "approval_task_id": self.approval_task_id},
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from uuid import UUID

        from airflow.sdk.execution_time.hitl import get_hitl_detail_content_detail
        from asgiref.sync import sync_to_async

        answer = await sync_to_async(get_hitl_detail_content_detail)(ti_id=UUID(self.ti_id))
        result = decision(answer)
        if result is None:
            self.log.error(
                "%s ended without an answer: nothing gated by it runs", self.approval_task_id
            )
            yield TaskFailedEvent()
            return
        self.log.warning(
            "%s was answered %s at %s, but Airflow failed that task (a stale executor report "
            "of its pause; Airflow issues #67287, #72716): the answer is applied here",
            self.approval_task_id,
            result["chosen_options"],
            result["responded_at"],
        )
        if result["approved"]:
            yield TaskSuccessEvent(xcoms={"return_value": result})
        else:
            yield TaskSkippedEvent(xcoms={"return_value": result})
