"""Why a real-Airflow test failed, printed with its failure.

``assert 'failed' == 'success'`` says nothing; what the next person needs is which task
ended how, the last lines of its log, and what the scheduler complained about. The root
``conftest.py`` calls :func:`failure_report` for every failed test and adds the result as
an "airflow diagnosis" section of the report.

Which Airflows: every :class:`~tests.support.airflow_deployment.Deployment` alive during
the test (it registers itself, and can still be asked for task states while it runs), and
every ``AIRFLOW_HOME`` under the session's temporary folder whose logs changed since the
test started (``airflow dags test`` runs, the Airflow 2.11 scenario, the crash DAGs): from
those, the task states come from their SQLite database when they have one.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

Query = Callable[..., list[tuple[Any, ...]]]

#: Task states that explain nothing: every other state (None too: never ran) is listed.
SETTLED_STATES = ("success", "skipped")
#: Lines of a component's log worth showing: errors, and Airflow's own complaints.
ERROR_LINE = re.compile(
    r"ERROR|CRITICAL|Traceback|Exception|state mismatch|killed externally|"
    r"Marking task as (FAILED|UP_FOR_RETRY)|upstream_failed",
)
TASK_LOG_LINES = 25
ERROR_LINES = 30

_watched: dict[Path, Query | None] = {}


def watch(home: Path, query: Query | None = None) -> None:
    """Register a running Airflow's home (and how to query its metadata DB meanwhile)."""
    _watched[home.resolve()] = query


def unwatch(home: Path) -> None:
    """It stopped: from now on its home is found by its logs, like any other."""
    _watched.pop(home.resolve(), None)


def _recent_homes(root: Path, since: float) -> Iterable[Path]:
    for logs in root.rglob("logs"):
        if logs.is_dir() and any(logs.glob("dag_id=*")):
            newest = max((p.stat().st_mtime for p in logs.rglob("*.log")), default=0.0)
            if newest >= since:
                yield logs.parent.resolve()


def _sqlite(db: Path) -> Query | None:
    if not db.is_file():
        return None

    def query(sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with contextlib.closing(sqlite3.connect(db, timeout=5)) as conn:
            return list(conn.execute(sql, params))

    return query


def _tail(path: Path, lines: int, pattern: re.Pattern[str] | None = None) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError as exc:
        return f"    (unreadable: {exc})"
    if pattern is not None:
        text = [line for line in text if pattern.search(line)]
    return "\n".join("    " + line[:400] for line in text[-lines:])


def _task_logs(home: Path, dag_id: str, run_id: str, task_id: str) -> list[Path]:
    folder = home / "logs" / f"dag_id={dag_id}" / f"run_id={run_id}" / f"task_id={task_id}"
    return sorted(folder.rglob("*.log"), key=lambda p: p.stat().st_mtime) if folder.is_dir() else []


def diagnose(home: Path, query: Query | None = None) -> str:
    """Task states that are not success/skipped, their logs' last lines, error lines."""
    query = query or _sqlite(home / "airflow.db")
    out = [f"== Airflow home {home}"]
    rows: list[tuple[Any, ...]] = []
    if query is not None:
        try:
            rows = query(
                "SELECT dag_id, run_id, task_id, map_index, state, try_number FROM task_instance "
                "WHERE state IS NULL OR state NOT IN (?, ?) ORDER BY dag_id, run_id, task_id",
                *SETTLED_STATES,
            )
        except Exception as exc:  # the DB may be gone (a stopped PostgreSQL) or locked
            out.append(f"  (task states unavailable: {type(exc).__name__}: {exc})")
    for dag_id, run_id, task_id, map_index, state, tries in rows[:40]:
        out.append(f"  {dag_id}.{task_id}[{map_index}] run={run_id}: {state} (try {tries})")
    for dag_id, run_id, task_id, *_ in rows[:40]:
        logs = _task_logs(home, dag_id, run_id, task_id)
        if logs:
            out.append(f"  -- last lines of {logs[-1].relative_to(home)}")
            out.append(_tail(logs[-1], TASK_LOG_LINES))
    if not rows:  # no DB to ask: the newest task logs say what ran last
        newest = sorted((home / "logs").rglob("attempt=*.log"), key=lambda p: p.stat().st_mtime)
        for path in newest[-3:]:
            out.append(f"  -- last lines of {path.relative_to(home)}")
            out.append(_tail(path, TASK_LOG_LINES))
    for component in sorted(home.glob("*.log")):
        errors = _tail(component, ERROR_LINES, ERROR_LINE)
        if errors:
            out.append(f"  -- error lines of {component.name}")
            out.append(errors)
    return "\n".join(out)


def failure_report(session_tmp: Path | None, since: float) -> str:
    """The diagnosis of every Airflow a failed test used (empty when it used none)."""
    homes: dict[Path, Query | None] = dict(_watched)
    if session_tmp is not None and session_tmp.is_dir():
        for home in _recent_homes(session_tmp, since):
            homes.setdefault(home, None)
    return "\n".join(diagnose(home, query) for home, query in sorted(homes.items()))
