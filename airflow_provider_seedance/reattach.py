"""Remember the in-flight prediction of a task instance across tries, so retries never pay twice.

A try's XCom is wiped when the next try starts (Airflow 2 and 3 alike), so it cannot
carry the id to a retry. Two stores can:

* Airflow 3.3+: ``task_state_store``, the per-task-instance store behind
  ``ResumableJobMixin``; it survives retries and is scoped to (dag run, task, map index).
* Airflow 2.11 and 3.0-3.2: an Airflow Variable with a deterministic name built from
  (dag id, run id, task id, map index). Variables are the only durable key/value store a
  task can write on those versions.

The decision table follows ``ResumableJobMixin.execute_resumable``: an active prediction
is reattached to, a completed one is collected without polling, a failed one is forgotten
and a fresh one submitted. The mixin itself is not used because its ``execute_resumable``
polls on the worker and cannot defer.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

log = logging.getLogger(__name__)

#: Key in ``task_state_store``; renaming it breaks reattachment of in-flight retries.
STATE_KEY = "seedance_prediction_id"
VARIABLE_PREFIX = "seedance_prediction"


class PredictionLedger(Protocol):
    """Where a task instance's submitted prediction id is kept between tries."""

    def get(self) -> str | None: ...

    def set(self, prediction_id: str) -> None: ...

    def clear(self) -> None: ...


class TaskStateStoreLedger:
    """Airflow 3.3+: the prediction id lives in ``context["task_state_store"]``."""

    def __init__(self, store: Any) -> None:
        self._store = store

    def get(self) -> str | None:
        value = self._store.get(STATE_KEY)
        return str(value) if value else None

    def set(self, prediction_id: str) -> None:
        self._store.set(STATE_KEY, prediction_id)

    def clear(self) -> None:
        self._store.delete(STATE_KEY)


class VariableLedger:
    """Airflow < 3.3: the prediction id lives in a Variable named after the task instance."""

    def __init__(self, key: str) -> None:
        self.key = key

    def get(self) -> str | None:
        from airflow.providers.common.compat.sdk import Variable

        try:
            value = Variable.get(self.key, default=None)
        except Exception:  # unreachable metadata store: behave as a first try, loudly
            log.warning("Could not read Variable %s; reattach disabled", self.key, exc_info=True)
            return None
        return str(value) if value else None

    def set(self, prediction_id: str) -> None:
        from airflow.providers.common.compat.sdk import Variable

        try:
            Variable.set(self.key, prediction_id, description="Seedance in-flight prediction")
        except Exception:
            log.warning(
                "Could not record prediction %s in Variable %s: a retry will resubmit",
                prediction_id,
                self.key,
                exc_info=True,
            )

    def clear(self) -> None:
        from airflow.providers.common.compat.sdk import Variable

        try:
            Variable.delete(self.key)
        except Exception:
            log.debug("Could not delete Variable %s", self.key, exc_info=True)


class NullLedger:
    """Reattach disabled (``reattach_on_retry=False``): every try submits."""

    def get(self) -> str | None:
        return None

    def set(self, prediction_id: str) -> None:
        return None

    def clear(self) -> None:
        return None


def variable_key(dag_id: str, run_id: str, task_id: str, map_index: int) -> str:
    """The deterministic Variable name of one task instance."""
    return f"{VARIABLE_PREFIX}__{dag_id}__{run_id}__{task_id}__{map_index}"


def ledger_for(context: Any, *, enabled: bool = True) -> PredictionLedger:
    """Pick the store for this Airflow version and task instance."""
    if not enabled:
        return NullLedger()
    # Present in the context only on Airflow 3.3+ (AIRFLOW_V_3_3_PLUS).
    store = context.get("task_state_store")
    if store is not None:
        return TaskStateStoreLedger(store)
    ti = context["ti"]
    map_index = getattr(ti, "map_index", -1)
    return VariableLedger(variable_key(ti.dag_id, ti.run_id, ti.task_id, map_index))
