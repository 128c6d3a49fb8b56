"""One try of a Seedance task on Airflow 2.11's real Variable ledger, in its own process.

Run by ``test_airflow2_variable_ledger.py`` with ``AIRFLOW_HOME`` pointing at a migrated
metadata DB. The context has no ``task_state_store`` (Airflow < 3.3), so the operator
keeps its intent and prediction id in a real Airflow Variable. ``--crash-at`` kills this
process with SIGKILL at that point of the paying path, as a dying worker would.

Prints one JSON line: the task's result, or nothing (the process was killed).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
from typing import Any

from airflow.exceptions import TaskDeferred

from airflow_provider_seedance.operators.seedance import SeedanceImageToVideoOperator
from shared_client import SubmitIntent


class FakeTI:
    """A task instance's identity and XCom push: what the operator touches."""

    dag_id, run_id, task_id, map_index, try_number = "v2_dag", "manual__v2", "generate", -1, 1

    def __init__(self) -> None:
        self.xcom: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any, **_: Any) -> None:
        self.xcom[key] = value

    def xcom_pull(self, **_: Any) -> list[Any]:
        return []


class KillingOperator(SeedanceImageToVideoOperator):
    crash_at = ""

    def _record_intent(self, context: Any, ledger: Any, intent: SubmitIntent) -> None:
        super()._record_intent(context, ledger, intent)
        if self.crash_at == "before_post":
            os.kill(os.getpid(), signal.SIGKILL)

    def _store_prediction(self, context: Any, ledger: Any, prediction: Any) -> None:
        if self.crash_at == "after_answer":
            os.kill(os.getpid(), signal.SIGKILL)
        super()._store_prediction(context, ledger, prediction)
        if self.crash_at == "after_ledger":
            os.kill(os.getpid(), signal.SIGKILL)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--prompt", required=True)
    parser.add_argument("--image", required=True)
    parser.add_argument("--crash-at", default="")
    parser.add_argument("--settle-window", type=float, default=3.0)
    args = parser.parse_args()
    op = KillingOperator(
        task_id="generate",
        prompt=args.prompt,
        image=args.image,
        poll_interval=0.2,
        timeout=120,
        settle_window=args.settle_window,
        deferrable=False,  # wait here: this process is the whole "worker"
    )
    op.crash_at = args.crash_at
    ti = FakeTI()
    try:
        result = op.execute({"ti": ti})
    except TaskDeferred:  # pragma: no cover - deferrable=False never defers
        result = {"deferred": True}
    print(json.dumps({"result": result, "xcom": ti.xcom}))


if __name__ == "__main__":
    main()
