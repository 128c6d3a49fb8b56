"""Crashes, deadlines, faults and secrets in a real Airflow 3 deployment (issue 7, parts 1b/2/4).

One deployment (api-server, scheduler with LocalExecutor, dag-processor, triggerer; SQLite,
loopback only) runs three DAGs against the simulator, whose key is a sentinel:

* ``rel_worker_kill``: the task's worker process is killed with SIGKILL after the submit;
  the retry must reattach to the same prediction (Airflow 3.3 task state) and succeed,
  with one submission.
* ``rel_deadline``: the generation never finishes; the triggerer is killed and restarted
  while it waits; the task must still fail at its original deadline.
* ``rel_chaos`` (soak): 100 mapped generations under 20% faults of every kind, with a
  triggerer ``kill -9`` mid-run: each task succeeds or fails with the API's message, and
  no task is paid for twice.

Afterwards every log file, the whole metadata database (plus decrypted trigger kwargs,
read while a trigger was live) and every output are searched for the key.
"""

from __future__ import annotations

import signal
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.airflow]

airflow = pytest.importorskip("airflow")
if int(airflow.__version__.split(".")[0]) < 3:
    pytest.skip("the deployment tests target Airflow 3", allow_module_level=True)

from seedance_simulator import FaultConfig, Simulator  # noqa: E402
from tests.support.airflow import connection_env  # noqa: E402
from tests.support.airflow_deployment import running_deployment, wait_for  # noqa: E402
from tests.support.media import save_png  # noqa: E402
from tests.support.net import free_port  # noqa: E402

from .airflow_deployment import (  # noqa: E402
    DAG_SOURCE,
    decrypted_trigger_kwargs,
    deployment_env,
    kill_task_process,
    products,
    task_logs,
)
from .chaos import CHAOS_FAULTS  # noqa: E402
from .conftest import SENTINEL_KEY  # noqa: E402
from .results import record  # noqa: E402

DEADLINE_SECONDS = 30.0
CHAOS_TASKS = 100


class Rig:
    """The deployment, its simulator, and what the tests observed along the way."""

    def __init__(self, dep: Any, sim: Simulator, out: Path) -> None:
        self.dep, self.sim, self.out = dep, sim, out
        self.trigger_kwargs_seen: list[str] = []

    def pids(self) -> list[int]:
        return [proc.pid for proc in self.dep.procs.values()]

    def trigger_run(self, dag_id: str) -> None:
        self.dep.cli("dags", "trigger", dag_id)

    def tis(self, dag_id: str) -> list[dict[str, Any]]:
        rows = self.dep.query(
            "SELECT id, map_index, state, try_number, start_date, end_date FROM task_instance "
            "WHERE dag_id=?",
            dag_id,
        )
        keys = ("id", "map_index", "state", "try_number", "start_date", "end_date")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def wait(self, predicate: Any, timeout: float, what: str) -> Any:
        return wait_for(predicate, timeout, what, self.dep)

    def restart_triggerer(self) -> None:
        name = next(n for n in self.dep.procs if n.startswith("triggerer"))
        self.dep.kill(name, signal.SIGKILL)
        time.sleep(2)
        self.dep.start(f"triggerer-{time.monotonic_ns()}", "triggerer")


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    root = tmp_path_factory.mktemp("airflow-reliability")
    home, out = root / "airflow", root / "out"
    (home / "dags").mkdir(parents=True)
    (home / "dags" / "reliability_dags.py").write_text(DAG_SOURCE)
    image = save_png(root / "product.png", (128, 96), (30, 140, 90))
    port = free_port()
    with Simulator(api_key=SENTINEL_KEY, generation_time=4.0, fast=True, seed=11) as sim:
        env = deployment_env(
            home,
            port,
            {
                **connection_env("wavespeed_default", password=SENTINEL_KEY, host=sim.base_url),
                "SEEDANCE_REL_OUT": str(out),
                "SEEDANCE_REL_IMAGE": str(image),
                "SEEDANCE_REL_DEADLINE": str(DEADLINE_SECONDS),
                "SEEDANCE_REL_PRODUCTS": str(products(root, CHAOS_TASKS, image)),
            },
        )
        with running_deployment(home, env, port) as dep:
            rig = Rig(dep, sim, out)

            def parsed() -> bool:
                try:
                    return len(dep.query("SELECT dag_id FROM dag")) >= 3
                except sqlite3.OperationalError:
                    return False

            rig.wait(parsed, 180, "the dag-processor to parse the reliability DAGs")
            yield rig


def test_worker_killed_after_submit_retry_reattaches_and_pays_once(rig: Rig) -> None:
    rig.sim.set_faults(FaultConfig())
    rig.sim.set_generation_time(20.0)
    rig.sim.reset_stats()
    rig.trigger_run("rel_worker_kill")
    rig.wait(lambda: rig.sim.stats()["submissions"] == 1, 120, "the submit")
    [ti] = rig.tis("rel_worker_kill")
    killed = rig.wait(lambda: _try_kill(ti["id"], rig.pids()), 30, "the task process")
    started_retry = time.monotonic()
    rig.wait(
        lambda: rig.tis("rel_worker_kill")[0]["state"] in ("success", "failed"),
        150,
        "the retry to finish",
    )
    [ti] = rig.tis("rel_worker_kill")
    logs = task_logs(rig.dep.home, "rel_worker_kill")
    assert ti["state"] == "success", logs
    assert ti["try_number"] == 2
    assert rig.sim.stats()["submissions"] == 1
    assert "Reattaching to prediction" in logs[(-1, 2)]
    assert len(list((rig.out / "worker_kill").glob("*.mp4"))) == 1
    record(
        "airflow_worker_kill",
        {"killed_pid": killed, "retry_seconds": round(time.monotonic() - started_retry, 1),
         "submissions": 1, "try_number": ti["try_number"]},
    )  # fmt: skip


def _try_kill(ti_id: str, pids: list[int]) -> int | None:
    try:
        return kill_task_process(ti_id, pids)
    except LookupError:
        return None


def test_stuck_generation_fails_at_its_deadline_across_a_triggerer_restart(rig: Rig) -> None:
    rig.sim.set_faults(FaultConfig())
    rig.sim.set_generation_time(10_000.0)
    rig.sim.reset_stats()
    rig.trigger_run("rel_deadline")
    rig.wait(lambda: _state(rig, "rel_deadline") == "deferred", 120, "the task to defer")
    submitted = time.time()
    rig.wait(lambda: _read_triggers(rig), 30, "the live trigger's kwargs")
    time.sleep(5)
    rig.restart_triggerer()
    rig.wait(lambda: _state(rig, "rel_deadline") in ("failed", "success"), 150, "the deadline")
    ended = time.time()
    [ti] = rig.tis("rel_deadline")
    log = task_logs(rig.dep.home, "rel_deadline")[(-1, 1)]
    assert ti["state"] == "failed"
    assert "at the deadline" in log
    assert rig.sim.stats()["submissions"] == 1
    late = ended - submitted - DEADLINE_SECONDS
    # the deadline is wall-clock from the submit: not restarted by the new triggerer
    assert -2.0 < late < 20.0, f"failed {late:.1f} s after the deadline"
    record("airflow_deadline", {"deadline_s": DEADLINE_SECONDS, "late_s": round(late, 1)})


def _state(rig: Rig, dag_id: str) -> str | None:
    tis = rig.tis(dag_id)
    return tis[0]["state"] if tis else None


def _read_triggers(rig: Rig) -> bool:
    rows = decrypted_trigger_kwargs(rig.dep.env)
    rig.trigger_kwargs_seen.extend(rows)
    return any("SeedancePredictionTrigger" in row for row in rows)


@pytest.mark.soak
@pytest.mark.timeout(1800)
def test_100_mapped_generations_under_faults_and_a_triggerer_kill(rig: Rig) -> None:
    rig.sim.set_generation_time(4.0)
    rig.sim.set_faults(CHAOS_FAULTS, seed=2026)
    rig.sim.reset_stats()
    started = time.monotonic()
    rig.trigger_run("rel_chaos")
    rig.wait(lambda: sum(t["state"] == "deferred" for t in rig.tis("rel_chaos")) >= 3, 300,
             "some chaos tasks to defer")  # fmt: skip
    _read_triggers(rig)
    rig.restart_triggerer()
    done = ("success", "failed", "upstream_failed")
    rig.wait(
        lambda: (
            len(rig.tis("rel_chaos")) == CHAOS_TASKS
            and all(t["state"] in done for t in rig.tis("rel_chaos"))
        ),
        1500,
        "every chaos task to finish",
    )
    rig.sim.set_faults(FaultConfig())
    tis = rig.tis("rel_chaos")
    logs = task_logs(rig.dep.home, "rel_chaos")
    tasks = _server_tasks(rig.sim)
    problems = []
    for ti in tis:
        prompt = f"chaos task {ti['map_index']}: product turns on a pedestal"
        mine = [t for t in tasks if t["prompt"] == prompt]
        successes = [t for t in mine if t["status"] != "failed"]
        if len(successes) > 1:
            problems.append(f"task {ti['map_index']}: {len(successes)} non-failed predictions")
        if ti["state"] == "failed":
            # Airflow may write a retry's lines into the previous attempt's file: read all
            text = " ".join(v for (m, _), v in logs.items() if m == ti["map_index"])
            if not any(m in text for m in API_MESSAGES):
                problems.append(f"task {ti['map_index']} failed without the API's message")
    states = {s: sum(t["state"] == s for t in tis) for s in done}
    record(
        "airflow_chaos_100",
        {"tasks": CHAOS_TASKS, "states": states, "seconds": round(time.monotonic() - started),
         "server_tasks": len(tasks), "submissions": rig.sim.stats()["submissions"],
         "faults_injected": rig.sim.stats()["faults_injected"],
         "tries": sum(t["try_number"] for t in tis), "problems": problems},
    )  # fmt: skip
    assert problems == []
    assert states["success"] > 0


API_MESSAGES = (
    "failed after the request was sent",  # ambiguous submit: never resent
    "Internal server error during generation",
    "Service temporarily unavailable",
    "flagged by the moderation system",
    "HTTP 5",
    "rate limited",
    "no response from",
)


def _server_tasks(sim: Simulator) -> list[dict[str, Any]]:
    state = sim._ctx.state  # test oracle: the server's own record

    def snapshot() -> list[dict[str, Any]]:
        return [{"prompt": t.input.get("prompt"), "status": t.status} for t in state.tasks.values()]

    return sim._call(snapshot)  # type: ignore[no-any-return]


def test_the_key_is_nowhere_in_logs_database_trigger_kwargs_or_outputs(rig: Rig) -> None:
    """Runs last in the module: it searches everything the runs above left behind."""
    needle = SENTINEL_KEY.encode()
    searched, hits = 0, []
    for root in (rig.dep.home, rig.out):
        for path in root.rglob("*"):
            if path.is_file():
                searched += 1
                if needle in path.read_bytes():
                    hits.append(str(path.relative_to(root)))
    tables = [r[0] for r in rig.dep.query("SELECT name FROM sqlite_master WHERE type='table'")]
    rows = 0
    for table in tables:
        for row in rig.dep.query(f'SELECT * FROM "{table}"'):
            rows += 1
            if SENTINEL_KEY in repr(row):
                hits.append(f"table {table}")
    assert rig.trigger_kwargs_seen, "no live trigger was read: the kwargs check proved nothing"
    for kwargs in rig.trigger_kwargs_seen:
        assert "prediction_id" in kwargs
        if SENTINEL_KEY in kwargs:
            hits.append("decrypted trigger kwargs")
    videos = list(rig.out.rglob("*.mp4"))
    assert videos and searched > 10 and rows > 0
    figures = {
        "files": searched,
        "db_tables": len(tables),
        "db_rows": rows,
        "trigger_kwargs": len(rig.trigger_kwargs_seen),
        "videos": len(videos),
        "occurrences": len(hits),
    }
    record("airflow_secret_hygiene", figures)
    assert hits == []
