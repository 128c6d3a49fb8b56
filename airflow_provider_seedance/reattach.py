"""Remember a task instance's paid submit across tries, so retries never pay twice.

Each try that pays first writes a :class:`~shared_client.SubmitIntent` (the exact body's
fingerprint, the time, the task instance) and only then sends the POST; once the answer
arrives the prediction id is added to the same record. A retry therefore finds one of:

* an id: reattach to that prediction (the decision table of Airflow's
  ``ResumableJobMixin``: active is followed, completed is collected, failed is forgotten).
  The record is kept after a successful delivery, so a later try of the same task
  instance (a retry after a failure past the delivery, such as Airflow 3's "Failed to
  report terminal task state", or a user clearing the task) collects the completed
  prediction instead of paying again, unless the request changed: the record carries the
  request's key (:func:`request_key`), and a completed prediction of another request is
  forgotten and a new one submitted;
* an intent without an id: the previous try died while its POST was in flight or before
  the id was stored, so the task may exist and be billed: search the history for it (see
  the operator's settle window) before paying again;
* nothing: a first try.

A try's XCom is wiped when the next try starts, so it cannot carry the record. Two stores
can:

* Airflow 3.3+: ``task_state_store``, the per-task-instance store behind
  ``ResumableJobMixin``; it survives retries and is scoped to (dag run, task, map index).
* Airflow 2.11 and 3.0-3.2: an Airflow Variable with a deterministic name built from
  (dag id, run id, task id, map index), the only durable key/value store a task can
  write there.

Sibling map indexes of one task may send byte-identical bodies, and the history cannot
tell their tasks apart; a recovering try must see its siblings' records to never adopt a
task that is theirs (:func:`sibling_intents`). ``task_state_store`` is private to a task
instance and XCom is wiped when a retry starts, so on 3.3+ the record is mirrored into the
task instance's Variable too: Variables survive retries and any sibling can read them by
their deterministic names, and a succeeded sibling's Variable stays (its XCom is wiped
when it is cleared). XCom (key :data:`INTENT_XCOM_KEY`) shows the records too.

Kept records cost one small row each: ``task_state_store`` rows expire with Airflow's
retention and go with their dag run; the Variables (Airflow < 3.3, and mapped tasks on
3.3+) stay until deleted (``docs/reliability.md`` says how).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Mapping
from typing import Any, Protocol

from shared_client import SubmitIntent, canonical_fingerprint

log = logging.getLogger(__name__)

#: Key in ``task_state_store``; renaming it breaks reattachment of in-flight retries.
STATE_KEY = "seedance_prediction_id"
#: Key in ``task_state_store`` of the intent record (fingerprint, time, owner, id).
INTENT_KEY = "seedance_submit_intent"
#: XCom key under which every try publishes its intent record to its siblings.
INTENT_XCOM_KEY = "seedance_submit_intent"
VARIABLE_PREFIX = "seedance_prediction"


class LedgerWriteError(RuntimeError):
    """The intent could not be recorded: the submit must not be sent (it could be paid twice)."""


class PredictionLedger(Protocol):
    """Where a task instance's intent and prediction id are kept between tries."""

    def get(self) -> str | None: ...

    def intent(self) -> SubmitIntent | None: ...

    def record_intent(self, intent: SubmitIntent) -> None: ...

    def set(self, prediction_id: str) -> None: ...

    def clear(self) -> None: ...


def _variable_get(key: str) -> str | None:
    from airflow.providers.common.compat.sdk import Variable

    # Positional default: Airflow 2 names it ``default_var``, the Task SDK ``default``.
    value = Variable.get(key, None)
    return str(value) if value else None


def _variable_set(key: str, value: str) -> None:
    from airflow.providers.common.compat.sdk import Variable

    Variable.set(key, value, description="Seedance submit intent / prediction id")


def _variable_delete(key: str) -> None:
    from airflow.providers.common.compat.sdk import Variable

    try:
        Variable.delete(key)
    except Exception:
        log.debug("Could not delete Variable %s", key, exc_info=True)


class TaskStateStoreLedger:
    """Airflow 3.3+: the record lives in ``context["task_state_store"]``.

    ``mirror_key`` names a Variable that holds a copy of the record for sibling map
    indexes to read (see the module docstring); None for an unmapped task.
    """

    def __init__(self, store: Any, mirror_key: str | None = None) -> None:
        self._store = store
        self._mirror_key = mirror_key

    def get(self) -> str | None:
        value = self._store.get(STATE_KEY)
        if value:
            return str(value)
        intent = self.intent()
        return intent.prediction_id if intent else None

    def intent(self) -> SubmitIntent | None:
        return _parse_intent(self._store.get(INTENT_KEY), "task_state_store")

    def record_intent(self, intent: SubmitIntent) -> None:
        try:
            self._store.set(INTENT_KEY, intent.to_json())
        except Exception as exc:
            raise LedgerWriteError(f"could not record the submit intent: {exc}") from exc
        self._mirror(intent)

    def set(self, prediction_id: str) -> None:
        self._store.set(STATE_KEY, prediction_id)
        intent = self.intent()
        if intent is not None:
            claimed = intent.with_prediction(prediction_id)
            self._store.set(INTENT_KEY, claimed.to_json())
            self._mirror(claimed)

    def clear(self) -> None:
        self._store.delete(STATE_KEY)
        self._store.delete(INTENT_KEY)
        if self._mirror_key:
            _variable_delete(self._mirror_key)

    def _mirror(self, intent: SubmitIntent) -> None:
        if not self._mirror_key:
            return
        try:
            _variable_set(self._mirror_key, intent.to_json())
        except Exception:
            log.warning(
                "Could not mirror the submit intent to Variable %s: a sibling map index "
                "with a byte-identical request may not see this task's claim",
                self._mirror_key,
                exc_info=True,
            )


class VariableLedger:
    """Airflow < 3.3: the record lives in a Variable named after the task instance.

    The value is the intent record as JSON; a bare prediction id (written by earlier
    versions of this provider) is still read.
    """

    def __init__(self, key: str) -> None:
        self.key = key

    def _read(self) -> str | None:
        try:
            return _variable_get(self.key)
        except Exception:  # unreachable metadata store: behave as a first try, loudly
            log.warning("Could not read Variable %s; reattach disabled", self.key, exc_info=True)
            return None

    def get(self) -> str | None:
        value = self._read()
        if not value:
            return None
        if value.lstrip().startswith("{"):
            intent = _parse_intent(value, f"Variable {self.key}")
            return intent.prediction_id if intent else None
        return value

    def intent(self) -> SubmitIntent | None:
        value = self._read()
        if not value or not value.lstrip().startswith("{"):
            return None
        return _parse_intent(value, f"Variable {self.key}")

    def _write(self, value: str) -> None:
        _variable_set(self.key, value)

    def record_intent(self, intent: SubmitIntent) -> None:
        try:
            self._write(intent.to_json())
        except Exception as exc:
            raise LedgerWriteError(
                f"could not record the submit intent in Variable {self.key}: {exc}"
            ) from exc

    def set(self, prediction_id: str) -> None:
        intent = self.intent()
        value = intent.with_prediction(prediction_id).to_json() if intent else prediction_id
        try:
            self._write(value)
        except Exception:
            log.warning(
                "Could not record prediction %s in Variable %s: a retry finds it in the "
                "history from the intent record",
                prediction_id,
                self.key,
                exc_info=True,
            )

    def clear(self) -> None:
        _variable_delete(self.key)


class NullLedger:
    """Reattach disabled (``reattach_on_retry=False``): every try submits."""

    def get(self) -> str | None:
        return None

    def intent(self) -> SubmitIntent | None:
        return None

    def record_intent(self, intent: SubmitIntent) -> None:
        return None

    def set(self, prediction_id: str) -> None:
        return None

    def clear(self) -> None:
        return None


def request_key(request: Any) -> str:
    """The key of a request as the task asked for it, recorded with its intent.

    Unlike the body fingerprint it holds no upload URL (those change on every try), so
    two tries of one task that render the same fields get the same key: a completed
    prediction is collected; a changed field (prompt, seed, image, ...) gives another key
    and a new submit. Bytes count by content, paths and URLs by name.
    """

    def plain(value: Any) -> Any:
        if isinstance(value, bytes | bytearray):
            return {"sha256": hashlib.sha256(bytes(value)).hexdigest()}
        if value is None or isinstance(value, str | int | float | bool):
            return value
        if isinstance(value, Mapping):
            return {str(k): plain(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        return str(value)

    fields = {f.name: plain(getattr(request, f.name)) for f in dataclasses.fields(request)}
    return canonical_fingerprint({"type": type(request).__name__, "fields": fields})


def variable_key(dag_id: str, run_id: str, task_id: str, map_index: int) -> str:
    """The deterministic Variable name of one task instance."""
    return f"{VARIABLE_PREFIX}__{dag_id}__{run_id}__{task_id}__{map_index}"


def owner_of(context: Any) -> str:
    """The task instance's identity, recorded in its intents: dag/run/task/map index."""
    ti = context["ti"]
    return f"{ti.dag_id}/{ti.run_id}/{ti.task_id}/{getattr(ti, 'map_index', -1)}"


def ledger_for(context: Any, *, enabled: bool = True) -> PredictionLedger:
    """Pick the store for this Airflow version and task instance."""
    if not enabled:
        return NullLedger()
    ti = context["ti"]
    map_index = getattr(ti, "map_index", -1)
    key = variable_key(ti.dag_id, ti.run_id, ti.task_id, map_index)
    # Present in the context only on Airflow 3.3+ (AIRFLOW_V_3_3_PLUS).
    store = context.get("task_state_store")
    if store is not None:
        return TaskStateStoreLedger(store, mirror_key=key if map_index >= 0 else None)
    return VariableLedger(key)


def publish_intent(context: Any, intent: SubmitIntent) -> None:
    """Show this try's record to its siblings (XCom); best effort, never blocks paying."""
    try:
        context["ti"].xcom_push(key=INTENT_XCOM_KEY, value=intent.to_json())
    except Exception:
        log.debug("Could not publish the submit intent to XCom", exc_info=True)


def sibling_intents(context: Any) -> list[SubmitIntent]:
    """The intent records of every map index of this task in this run, as far as visible.

    Read from each sibling's Variable (kept across retries) and from XCom (kept after a
    sibling succeeded). Both Airflow 2.11 and the Task SDK return every map index's value
    when ``task_ids`` is a list and ``map_indexes`` is not given. A record that names a
    prediction wins over one that does not.
    """
    ti = context["ti"]
    found: dict[str, SubmitIntent] = {}

    def keep(value: Any, where: str) -> None:
        intent = _parse_intent(value, where)
        if intent is not None and (intent.owner not in found or intent.prediction_id):
            found[intent.owner] = intent

    try:
        values = ti.xcom_pull(task_ids=[ti.task_id], key=INTENT_XCOM_KEY)
    except Exception:
        log.debug("Could not read sibling intents from XCom", exc_info=True)
        values = []
    for value in _flatten(values):
        keep(value, "XCom")
    own = getattr(ti, "map_index", -1)
    for index in range(_mapped_count(context)):
        if index == own:
            continue
        try:
            keep(_variable_get(variable_key(ti.dag_id, ti.run_id, ti.task_id, index)), "Variable")
        except Exception:
            log.debug("Could not read sibling %d's Variable", index, exc_info=True)
    return list(found.values())


def _flatten(values: Any) -> list[Any]:
    """XCom pulls return a value, a list, or (Airflow 2, mapped) lazy sequences in a list."""
    if values is None or isinstance(values, str | bytes | dict):
        return [values]
    try:
        items = list(values)
    except TypeError:
        return [values]
    flat: list[Any] = []
    for item in items:
        flat.extend(_flatten(item) if not isinstance(item, str | bytes | dict) else [item])
    return flat


def _mapped_count(context: Any) -> int:
    """How many map indexes this task has in this run (0 when it is not mapped)."""
    ti = context["ti"]
    if getattr(ti, "map_index", -1) < 0:
        return 0
    count = context.get("expanded_ti_count")  # Airflow 2
    if count is None and hasattr(ti, "get_ti_count"):  # the Task SDK
        try:
            count = ti.get_ti_count(dag_id=ti.dag_id, task_ids=[ti.task_id], run_ids=[ti.run_id])
        except Exception:
            log.debug("Could not count this task's map indexes", exc_info=True)
    return int(count) if isinstance(count, int) and count > 0 else 0


def _parse_intent(value: Any, where: str) -> SubmitIntent | None:
    if not value:
        return None
    try:
        return SubmitIntent.from_json(value)
    except (ValueError, TypeError):
        log.warning("Ignoring an unreadable submit intent in %s", where)
        return None
