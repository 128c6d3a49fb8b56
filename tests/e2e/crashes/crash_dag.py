"""The DAG of the pay-once crash test: each mapped task kills its own worker once.

Written into the test deployment's dags folder. ``KillAt`` is the real operator with
two seams aimed at: after the intent is written (kill at once: *before the POST*; or
from a timer while the simulator holds the POST open: *during the POST*), and around the
prediction id write (*after the answer*, *after the ledger write*). The kill is SIGKILL
of the task's own process, on the first try only; Airflow retries the task.
"""

import json
import os
import signal
import threading
from datetime import datetime, timedelta

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_seedance.operators.seedance import SeedanceImageToVideoOperator


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


class KillAt(SeedanceImageToVideoOperator):
    def __init__(self, *, crash_at: str = "", crash_delay: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.crash_at = crash_at
        self.crash_delay = crash_delay

    @staticmethod
    def _first_try(context) -> bool:
        return int(context["ti"].try_number) <= 1

    def _record_intent(self, context, ledger, intent):
        super()._record_intent(context, ledger, intent)
        if not self._first_try(context):
            return
        if self.crash_at == "before_post":
            _die()
        if self.crash_at == "during_post":
            threading.Timer(self.crash_delay, _die).start()

    def _store_prediction(self, context, ledger, prediction):
        first = self._first_try(context)
        if first and self.crash_at == "after_answer":
            _die()
        super()._store_prediction(context, ledger, prediction)
        if first and self.crash_at == "after_ledger":
            _die()


with open(os.environ["SEEDANCE_CRASH_PLAN"]) as handle:
    PLAN = json.load(handle)

with DAG("pay_once_crashes", schedule=None, start_date=datetime(2026, 1, 1), catchup=False):
    KillAt.partial(
        task_id="generate",
        image=os.environ["SEEDANCE_CRASH_IMAGE"],
        poll_interval=1.0,
        timeout=600,
        settle_window=float(os.environ.get("SEEDANCE_CRASH_SETTLE", "10")),
        output_path=os.environ["SEEDANCE_CRASH_OUT"] + "/{{ ti.map_index }}",
        retries=3,
        retry_delay=timedelta(seconds=1),
    ).expand_kwargs(PLAN)
