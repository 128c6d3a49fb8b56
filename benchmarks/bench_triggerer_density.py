"""Benchmark 1: 1,000 concurrent ``SeedancePredictionTrigger``s in one real ``airflow triggerer``.

Why: deferral only pays off if waiting is nearly free: a thousand in-flight videos must
fit in one triggerer's memory and CPU, and each finished video must be noticed within
one poll interval. A real ``airflow triggerer`` (Airflow 3, SQLite, temporary home,
capacity raised) runs the triggers; 1,000 task instances cannot pass through a 2-core
scheduler in the time, so the deferred task instances and trigger rows are created as
the Execution API does when a worker defers (``Trigger`` row with the serialized
kwargs; task instance ``deferred`` with ``trigger_id``, ``next_method`` and timeout),
in a DAG run made by ``SerializedDAG.create_dagrun`` from the real serialized DAG. The
predictions are submitted as the operator does, then the triggerer runs alone.

Memory: the triggerer's whole process tree (supervisor + trigger runner), VmRSS from
``/proc`` via psutil, with all triggers in flight, minus the same tree idle after a
warm-up batch (so imports and the shared client pool are not counted per trigger).
CPU per poll: the tree's user+system time over a steady window divided by the polls
the simulator served in it. Latency: the task instance's ``updated_at`` (the event's
database write) minus the simulator's completion time.

    .venv/bin/python benchmarks/bench_triggerer_density.py [--triggers 1000]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import harness
from airflow_env import AirflowHome, find_event

NAME = "bench_triggerer_density"
DAG_ID = "seedance_density"
TASK_ID = "generate"
TARGET_KB_PER_TRIGGER = 50.0
TARGET_MS_PER_POLL = 0.5
LATENCY_SLACK_S = 1.0

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


def child_defer(run_id: str, ids_file: str, poll_interval: float) -> None:
    """Create a DAG run and defer its task instances onto trigger rows (Execution API way)."""
    from airflow.models.serialized_dag import SerializedDagModel
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.trigger import Trigger
    from airflow.utils import timezone
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState, TaskInstanceState
    from airflow.utils.types import DagRunTriggeredByType, DagRunType
    from sqlalchemy import select

    from airflow_provider_seedance.triggers.seedance import SeedancePredictionTrigger

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
        session.flush()
        tis = session.scalars(
            select(TaskInstance).where(
                TaskInstance.dag_id == DAG_ID, TaskInstance.run_id == run.run_id
            )
        ).all()
        by_index = {ti.map_index: ti for ti in tis}
        deadline = time.time() + 3600
        for index, prediction_id in enumerate(ids):
            ti = by_index[index]
            trigger = SeedancePredictionTrigger(
                prediction_id=prediction_id, deadline=deadline, poll_interval=poll_interval
            )
            row = Trigger.from_object(trigger)
            session.add(row)
            session.flush()
            ti.state = TaskInstanceState.DEFERRED
            ti.trigger_id = row.id
            ti.next_method = "execute_complete"
            ti.next_kwargs = None
            ti.trigger_timeout = now.replace(year=now.year + 1)
            ti.start_date = now
            ti.try_number = 1
    harness.emit_child_result(
        {"task_instances": len(tis), "deferred": len(ids), "seconds": time.monotonic() - started}
    )


def tree_usage(pid: int) -> dict[str, float]:
    """RSS (KiB, summed over the tree) and user+system CPU seconds of a process tree."""
    import psutil

    root = psutil.Process(pid)
    procs = [root, *root.children(recursive=True)]
    rss = cpu = 0.0
    per_process: dict[str, dict[str, float]] = {}
    for proc in procs:
        try:
            kib = harness.proc_status_kib(proc.pid)["VmRSS"]
            times = proc.cpu_times()
            label = f"{proc.pid} {' '.join(proc.cmdline())[:60]}"
        except (psutil.NoSuchProcess, FileNotFoundError, KeyError):
            continue
        rss += kib
        cpu += times.user + times.system
        per_process[label] = {"rss_kib": kib, "cpu_s": times.user + times.system}
    return {"rss_kib": rss, "cpu_s": cpu, "processes": len(procs), "per_process": per_process}


def parse_db_time(text: str) -> float:
    value = datetime.fromisoformat(text.replace(" ", "T"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def completion_wall_time(task: dict[str, Any]) -> float:
    created = datetime.fromisoformat(task["created_at"].replace("Z", "+00:00")).timestamp()
    return created + task["executionTime"] / 1000.0


def submit_all(base_url: str, image_url: str, n: int) -> list[str]:
    """Submit ``n`` predictions as the operator's execute() would (one POST each)."""
    from shared_client import ImageToVideoRequest, SeedanceClient

    with SeedanceClient(api_key=harness.BENCH_API_KEY, base_url=base_url) as client:
        return [
            client.submit(
                ImageToVideoRequest(prompt=f"product {i} on a turntable", image=image_url)
            ).id
            for i in range(n)
        ]


def wait_until(predicate: Any, timeout: float, step: float = 1.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(step)
    return bool(predicate())


def run(args: argparse.Namespace) -> int:
    from seedance_simulator import Simulator
    from shared_client import SeedanceClient

    n, gen, poll = args.triggers, args.generation_time, args.poll_interval
    tmp = Path(tempfile.mkdtemp(prefix="bench-triggerer-"))
    af = AirflowHome(
        tmp / "airflow",
        {
            "AIRFLOW__TRIGGERER__CAPACITY": str(n + 100),
            "AIRFLOW__TRIGGERER__MAX_TRIGGER_TO_SELECT_PER_LOOP": str(n + 100),
            "SEEDANCE_BENCH_N": str(n),
            "SEEDANCE_BENCH_POLL": str(poll),
        },
    )
    (af.dags / "seedance_density.py").write_text(DAG_SOURCE)
    samples: list[dict[str, float]] = []
    with Simulator(api_key=harness.BENCH_API_KEY, fast=True, generation_time=2.0) as sim:
        with SeedanceClient(api_key=harness.BENCH_API_KEY, base_url=sim.base_url) as client:
            image_url = client.upload(harness.png_bytes())
        af.env["SEEDANCE_BENCH_IMAGE"] = image_url
        af.set_connection(sim.base_url)
        af.cli("db", "migrate", timeout=600)
        af.cli("dags", "reserialize", timeout=300)
        try:
            triggerer = af.start("triggerer", "triggerer")
            # Warm-up: a few triggers through the same code path (imports, client pool).
            warm_ids = submit_all(sim.base_url, image_url, args.warmup)
            ids_file = tmp / "warm.json"
            ids_file.write_text(json.dumps(warm_ids))
            af.python(__file__, "--child-defer", "warmup", str(ids_file), str(poll))

            def deferred(run_id: str) -> int:
                return af.query(
                    "SELECT COUNT(*) FROM task_instance WHERE dag_id=? AND run_id=? "
                    "AND state='deferred'",
                    DAG_ID,
                    run_id,
                )[0][0]

            if not wait_until(lambda: deferred("warmup") == 0, 120):
                raise RuntimeError(f"warm-up never finished:\n{af.log_tail('triggerer')}")
            time.sleep(5)
            idle = [tree_usage(triggerer.pid) for _ in range(5) if time.sleep(1) is None]
            baseline_kib = sum(s["rss_kib"] for s in idle) / len(idle)

            # The experiment: n predictions of `gen` seconds, deferred at once.
            sim.set_generation_time(gen)
            ids = submit_all(sim.base_url, image_url, n)
            submitted_at = time.monotonic()
            ids_file = tmp / "main.json"
            ids_file.write_text(json.dumps(ids))
            defer_info = af.python(__file__, "--child-defer", "main", str(ids_file), str(poll))
            window_start = submitted_at + args.settle
            window_end = submitted_at + gen - 5
            start_usage = start_stats = None
            while time.monotonic() < window_end:
                usage = tree_usage(triggerer.pid)
                usage["t"] = time.monotonic() - submitted_at
                samples.append(usage)
                if start_usage is None and time.monotonic() >= window_start:
                    start_usage, start_stats = usage, sim.stats()
                time.sleep(2)
            end_usage, end_stats = tree_usage(triggerer.pid), sim.stats()
            assert start_usage is not None and start_stats is not None
            in_flight_kib = max(s["rss_kib"] for s in samples if s["t"] >= args.settle)
            running_triggers = af.query(
                "SELECT COUNT(*) FROM trigger WHERE triggerer_id IS NOT NULL"
            )[0][0]
            done = wait_until(lambda: deferred("main") == 0, poll * 3 + 120)
            rows = af.query(
                "SELECT map_index, state, next_kwargs, updated_at FROM task_instance "
                "WHERE dag_id=? AND run_id='main'",
                DAG_ID,
            )
            tasks = {pid: sim.task(pid) for pid in ids}
        finally:
            af.stop_all()
            shutil.rmtree(tmp, ignore_errors=True)

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
            task = tasks[expected]
            if task is not None:
                latencies.append(parse_db_time(updated_at) - completion_wall_time(task))
        elif len(wrong) < 5:
            wrong.append({"map_index": map_index, "state": state, "event": event})

    polls = end_stats["polls"] - start_stats["polls"]
    cpu = end_usage["cpu_s"] - start_usage["cpu_s"]
    ms_per_poll = cpu / polls * 1000 if polls else float("inf")
    kb_per_trigger = (in_flight_kib - baseline_kib) * 1.024 / n
    lat = harness.summarise(latencies)
    checks = [
        harness.Check("events correct", correct, f"/{n}", f"= {n}", correct == n and done),
        harness.Check(
            "resident memory per in-flight trigger",
            kb_per_trigger,
            " KB",
            f"<= {TARGET_KB_PER_TRIGGER:g} KB",
            kb_per_trigger <= TARGET_KB_PER_TRIGGER,
            f"tree RSS {baseline_kib / 1024:.0f} MiB idle -> {in_flight_kib / 1024:.0f} MiB",
        ),
        harness.Check(
            "CPU per poll",
            ms_per_poll,
            " ms",
            f"<= {TARGET_MS_PER_POLL:g} ms",
            ms_per_poll <= TARGET_MS_PER_POLL,
            f"{cpu:.1f} s CPU / {polls} polls",
        ),
        harness.Check(
            "completion noticed, p95",
            lat["p95"],
            " s",
            f"<= poll interval + {LATENCY_SLACK_S:g} s = {poll + LATENCY_SLACK_S:g} s",
            lat["p95"] <= poll + LATENCY_SLACK_S,
            f"p50 {lat['p50']:.2f} s, max {lat['max']:.2f} s",
        ),
    ]
    per_process = {
        label: {
            "cpu_s": usage["cpu_s"] - start_usage["per_process"].get(label, {}).get("cpu_s", 0.0),
            "ms_per_poll": (
                (usage["cpu_s"] - start_usage["per_process"].get(label, {}).get("cpu_s", 0.0))
                / polls
                * 1000
                if polls
                else None
            ),
            "rss_kib": usage["rss_kib"],
            "idle_rss_kib": idle[-1]["per_process"].get(label, {}).get("rss_kib"),
        }
        for label, usage in end_usage["per_process"].items()
    }
    for sample in samples:
        sample.pop("per_process", None)
    figures = {
        "triggers": n,
        "window_per_process": per_process,
        "generation_time_s": gen,
        "poll_interval_s": poll,
        "defer_setup": defer_info,
        "triggers_assigned_mid_run": running_triggers,
        "baseline_tree_rss_kib": baseline_kib,
        "in_flight_tree_rss_kib": in_flight_kib,
        "window_s": [args.settle, gen - 5],
        "window_polls": polls,
        "window_cpu_s": cpu,
        "connections_opened_in_window": end_stats["connections_opened"]
        - start_stats["connections_opened"],
        "latency_s": lat,
        "wrong_examples": wrong,
        "samples": samples,
    }
    headline = (
        f"{correct}/{n} events correct, {kb_per_trigger:.1f} KB RSS per trigger "
        f"(<= {TARGET_KB_PER_TRIGGER:g}), {ms_per_poll:.3f} ms CPU per poll "
        f"(<= {TARGET_MS_PER_POLL:g}), notice p95 {lat['p95']:.2f} s "
        f"(<= {poll + LATENCY_SLACK_S:g} s)"
    )
    return harness.finish(
        NAME,
        "Triggerer density: 1,000 SeedancePredictionTriggers in one airflow triggerer",
        checks,
        figures,
        command=".venv/bin/python benchmarks/bench_triggerer_density.py",
        headline=headline,
        notes=(
            f"Airflow 3 `airflow triggerer` (capacity {n + 100}), SQLite, simulator fast mode in "
            f"the benchmark process, generation time {gen:g} s, poll interval {poll:g} s. "
            f"{args.warmup} warm-up triggers ran first; the idle tree after them is the "
            f"baseline. CPU window: {args.settle:g} s after submission to 5 s before completion."
        ),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triggers", type=int, default=1000)
    parser.add_argument("--generation-time", type=float, default=120.0)
    parser.add_argument("--poll-interval", type=float, default=5.0)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--settle", type=float, default=40.0)
    parser.add_argument("--child-defer", nargs=3, metavar=("RUN_ID", "IDS_FILE", "POLL"))
    args = parser.parse_args()
    if args.child_defer:
        run_id, ids_file, poll = args.child_defer
        child_defer(run_id, ids_file, float(poll))
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
