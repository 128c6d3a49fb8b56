"""Airflow task-context fakes: what the provider reads from a context, and nothing more.

No Airflow metadata database is needed: the operator, sensor and hook get ``ti``
(identity, ``xcom_push``/``xcom_pull``), ``task_state_store`` (Airflow 3.3's per-task
instance store) and ``outlet_events``; connections come from ``AIRFLOW_CONN_<ID>``
environment variables exactly as in production. Airflow itself is only imported by
:func:`attach_memory_store`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pytest


class FakeStateStore:
    """``task_state_store`` as Airflow 3.3 exposes it: get/set/delete per task instance."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def set(self, key: str, value: Any, **_: Any) -> None:
        self.data[key] = value

    def delete(self, key: str) -> None:
        self.data.pop(key, None)


class FakeVariables:
    """Airflow Variables in a dict, for the ledger of Airflow < 3.3 (and 3.3+'s mirror).

    :meth:`install` points the provider's three Variable calls (``reattach``'s
    ``_variable_get``/``_set``/``_delete``) at the dict, so no metadata database is needed;
    ``tests/e2e/airflow2`` runs the same ledger against real Variables.
    """

    def __init__(self) -> None:
        self.data: dict[str, str] = {}

    def install(self, monkeypatch: pytest.MonkeyPatch) -> FakeVariables:
        from airflow_provider_seedance import reattach

        monkeypatch.setattr(reattach, "_variable_get", self.data.get)
        monkeypatch.setattr(reattach, "_variable_set", self.data.__setitem__)
        monkeypatch.setattr(reattach, "_variable_delete", lambda key: self.data.pop(key, None))
        return self


class FakeTI:
    """The task-instance surface the provider touches: identity and XCom.

    ``xcom_push`` stores what Airflow would store: the value after a JSON round trip (a
    value that is not JSON-serialisable fails here as it would in a real XCom backend).
    ``xcom_pull`` reads this task instance's own pushes back.
    """

    def __init__(
        self,
        task_id: str = "generate",
        map_index: int = -1,
        *,
        dag_id: str = "unit_dag",
        run_id: str = "manual__unit",
        try_number: int = 1,
    ) -> None:
        self.dag_id = dag_id
        self.run_id = run_id
        self.task_id = task_id
        self.map_index = map_index
        self.try_number = try_number
        self.xcom: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any, **_: Any) -> None:
        self.xcom[key] = json.loads(json.dumps(value))  # XCom values must be JSON-serialisable

    def xcom_pull(self, task_ids: Any = None, key: str = "return_value", **_: Any) -> Any:
        return self.xcom.get(key)


class OutletEvents(dict):  # type: ignore[type-arg]
    """``outlet_events``: an accessor per outlet whose ``extra`` the task sets."""

    def __missing__(self, key: Any) -> Any:
        accessor = type("Accessor", (), {"extra": None})()
        self[key] = accessor
        return accessor


def task_context(ti: FakeTI | None = None, *, ds: str = "2026-01-02") -> dict[str, Any]:
    """A fresh task context: ``ti``, an empty ``task_state_store``, ``outlet_events``, ``ds``."""
    return {
        "ti": ti if ti is not None else FakeTI(),
        "task_state_store": FakeStateStore(),
        "outlet_events": OutletEvents(),
        "ds": ds,
    }


def connection_env(conn_id: str, **fields: Any) -> dict[str, str]:
    """The environment variable defining a ``wavespeed`` connection, as ``{name: json}``."""
    return {f"AIRFLOW_CONN_{conn_id.upper()}": json.dumps({"conn_type": "wavespeed", **fields})}


def set_connection(monkeypatch: pytest.MonkeyPatch, conn_id: str, **fields: Any) -> None:
    """Define a connection through the environment, the way the demo and e2e do."""
    for name, value in connection_env(conn_id, **fields).items():
        monkeypatch.setenv(name, value)


def attach_memory_store() -> str:
    """Register fsspec's in-memory filesystem as Airflow object storage (scheme ``memory``).

    It stands in for s3:// or gs://: same ``ObjectStoragePath`` code path, no network.
    """
    import fsspec

    try:
        from airflow.sdk.io import attach
    except ImportError:  # Airflow 2
        from airflow.io.store import attach
    attach(protocol="memory", fs=fsspec.filesystem("memory"))
    return "memory"
