"""The parts of benchmark 1 that set up and read one side (``bench_triggerer_density``).

Why a module of its own: the benchmark's main file keeps to the experiment and its
report; how a side's deferred task instances and trigger rows are written (the
Execution API's way, in a child process with that side's Airflow home) and how its
events are read back live here. Run as ``python density_parts.py --child-defer ...``.
"""

from __future__ import annotations

import json
import sys
import textwrap
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import harness
from airflow_env import completion_wall_time, find_event, parse_db_time, tree_usage

DAG_ID = "seedance_density"

OURS = "ours"
TO_THREAD = "to_thread + sync SDK"
PER_TRIGGER_CLIENT = "httpx.AsyncClient per trigger"
SIDES = (OURS, TO_THREAD, PER_TRIGGER_CLIENT)
SLUGS = {OURS: "ours", TO_THREAD: "to_thread", PER_TRIGGER_CLIENT: "client_per_trigger"}

DAG_SOURCE = textwrap.dedent(
    """
    import os
    from datetime import datetime
    from airflow.providers.common.compat.sdk import DAG
    from airflow_provider_seedance.operators.seedance import SeedanceImageToVideoOperator

    N = int(os.environ.get("SEEDANCE_BENCH_N", "1000"))
    with DAG("seedance_density", schedule=None, start_date=datetime(2026, 1, 1), catchup=False):
        SeedanceImageToVideoOperator.partial(
            task_id="generate",
            image=os.environ.get("SEEDANCE_BENCH_IMAGE", "https://example.invalid/a.png"),
            poll_interval=float(os.environ.get("SEEDANCE_BENCH_POLL", "5")),
            timeout=3600,
        ).expand(prompt=[f"product {i} on a turntable" for i in range(N)])
    """
)


def make_trigger(side: str, prediction_id: str, poll_interval: float, deadline: float) -> Any:
    if side == OURS:
        from airflow_provider_seedance.triggers.seedance import SeedancePredictionTrigger

        return SeedancePredictionTrigger(
            prediction_id=prediction_id, deadline=deadline, poll_interval=poll_interval
        )
    import peer_triggers

    cls = (
        peer_triggers.ToThreadSdkTrigger
        if side == TO_THREAD
        else peer_triggers.AsyncClientPerTrigger
    )
    return cls(prediction_id=prediction_id, poll_interval=poll_interval)


def child_defer(run_id: str, ids_file: str, poll_interval: float, side: str) -> None:
    """Create a DAG run and defer its task instances onto trigger rows (Execution API way)."""
    from airflow.models.serialized_dag import SerializedDagModel
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.trigger import Trigger
    from airflow.utils import timezone
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState, TaskInstanceState
    from airflow.utils.types import DagRunTriggeredByType, DagRunType
    from sqlalchemy import select

    waited = time.monotonic()
    while not Path(ids_file).exists():  # written once the submissions are done
        if time.monotonic() - waited > 900:
            raise TimeoutError(f"{ids_file} never appeared")
        time.sleep(0.2)
    ids: list[str] = json.loads(Path(ids_file).read_text())
    started = time.monotonic()
    with create_session() as session:
        dag = SerializedDagModel.get_dag(DAG_ID, session=session)
        assert dag is not None, "the DAG was not serialized"
        now = timezone.utcnow()
        run = dag.create_dagrun(
            run_id=run_id,
            logical_date=None,
            run_after=now,
            run_type=DagRunType.MANUAL,
            triggered_by=DagRunTriggeredByType.TEST,
            state=DagRunState.RUNNING,
            start_date=now,
            session=session,
        )
        session.commit()
        tis = session.scalars(
            select(TaskInstance).where(
                TaskInstance.dag_id == DAG_ID, TaskInstance.run_id == run.run_id
            )
        ).all()
        by_index = {ti.map_index: ti for ti in tis}
        deadline = time.time() + 3600
        for index, prediction_id in enumerate(ids):
            ti = by_index[index]
            row = Trigger.from_object(make_trigger(side, prediction_id, poll_interval, deadline))
            session.add(row)
            session.flush()
            ti.state = TaskInstanceState.DEFERRED
            ti.trigger_id = row.id
            ti.next_method = "execute_complete"
            ti.next_kwargs = None
            ti.trigger_timeout = now.replace(year=now.year + 1)
            ti.start_date = now
            ti.try_number = 1
            if index % 100 == 99:  # short write transactions: the triggerer shares the file
                session.commit()
    harness.emit_child_result(
        {"task_instances": len(tis), "deferred": len(ids), "seconds": time.monotonic() - started}
    )


def submit_all(base_url: str, image_url: str, n: int) -> list[str]:
    """Submit ``n`` predictions with the body the operator sends, 64 POSTs at a time.

    Posted directly with aiohttp (the submit path is not what this benchmark measures,
    and our client's checks before paying would double the work) so that 3,000
    submissions take seconds even on a busy machine: every trigger must be polling well
    before the first generation completes.
    """
    import asyncio

    import aiohttp

    url = f"{base_url}/api/v3/{harness.I2V_MODEL}"
    headers = {"Authorization": f"Bearer {harness.BENCH_API_KEY}"}

    async def run() -> list[str]:
        gate = asyncio.Semaphore(64)
        async with aiohttp.ClientSession(headers=headers) as session:

            async def one(i: int) -> str:
                body = {"prompt": f"product {i} on a turntable", "image": image_url}
                async with gate, session.post(url, json=body) as response:
                    response.raise_for_status()
                    return str((await response.json())["data"]["id"])

            return list(await asyncio.gather(*(one(i) for i in range(n))))

    return asyncio.run(run())


def sample(homes: dict[str, Any], sim: Any, ids: dict[str, list[str]]) -> dict[str, Any]:
    """One reading of every side: its triggerer tree's CPU and RSS, and its polls so far."""
    out: dict[str, Any] = {"t": time.monotonic()}
    for side in SIDES:
        usage = tree_usage(homes[side].procs["triggerer"].pid)
        out[side] = {
            "cpu_s": usage["cpu_s"],
            "rss_kib": usage["rss_kib"],
            "polls": sim.polls_for(ids[side]) if ids else 0,
        }
    return out


def defer_all(
    homes: dict[str, Any], run_id: str, submit: Callable[[], list[str]], poll: float, tmp: Path
) -> tuple[dict[str, list[str]], dict[str, Any]]:
    """Submit, then write each side's trigger rows from its own child process.

    The children start first, so their Airflow imports overlap the submissions; each waits
    for its ids file, which appears (atomically) once ``submit`` has returned. Submissions
    are dealt to the sides in turn (A, B, C, A ...), so their completion times match.
    """

    def one(side: str) -> Any:
        ids_file = tmp / f"{run_id}-{SLUGS[side]}.json"
        return homes[side].python(__file__, "--child-defer", run_id, str(ids_file), str(poll), side)

    with ThreadPoolExecutor(len(SIDES)) as pool:
        futures = {side: pool.submit(one, side) for side in SIDES}
        every = submit()
        ids = {side: every[i :: len(SIDES)] for i, side in enumerate(SIDES)}
        for side in SIDES:
            part = tmp / f"{run_id}-{SLUGS[side]}.part"
            part.write_text(json.dumps(ids[side]))
            part.rename(tmp / f"{run_id}-{SLUGS[side]}.json")
        return ids, {side: future.result() for side, future in futures.items()}


def check_events(home: Any, run_id: str, ids: list[str], sim: Any) -> dict[str, Any]:
    rows = home.query(
        "SELECT map_index, state, next_kwargs, updated_at FROM task_instance "
        "WHERE dag_id=? AND run_id=?",
        DAG_ID,
        run_id,
    )
    correct, latencies, wrong = 0, [], []
    for map_index, state, next_kwargs, updated_at in rows:
        event = find_event(json.loads(next_kwargs)) if next_kwargs else None
        expected = ids[map_index]
        ok = (
            event is not None
            and state == "scheduled"
            and event.get("status") == "success"
            and event["prediction"].get("id") == expected
            and bool(event["prediction"].get("outputs"))
        )
        if ok:
            correct += 1
            task = sim.task(expected)
            if task is not None:
                latencies.append(parse_db_time(updated_at) - completion_wall_time(task))
        elif len(wrong) < 3:
            wrong.append({"map_index": map_index, "state": state, "event": event})
    return {"correct": correct, "latency_s": harness.summarise(latencies), "wrong": wrong}


if __name__ == "__main__":
    if sys.argv[1:2] != ["--child-defer"] or len(sys.argv) != 6:
        sys.exit("usage: density_parts.py --child-defer RUN_ID IDS_FILE POLL SIDE")
    child_defer(sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5])
