"""Benchmark 1b: 200 generations through the full Airflow 3 stack (scheduler, workers, triggerer).

Why: the density benchmark creates the deferred task instances itself; this one lets
Airflow do everything (api-server, scheduler with LocalExecutor, dag-processor,
triggerer, SQLite, loopback) for 200 mapped ``SeedanceImageToVideoOperator`` tasks,
and checks what a user cares about: every task succeeds, each is paid exactly once,
every video lands, and the whole batch takes about one generation time plus the
workers' submit/resume work, not 200 generations' worth of worker slots.

    .venv/bin/python benchmarks/bench_full_stack.py [--tasks 200]
"""

from __future__ import annotations

import argparse
import shutil
import socket
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import harness
from airflow_env import AirflowHome

NAME = "bench_full_stack"
DAG_ID = "seedance_full_stack"

DAG_SOURCE = textwrap.dedent(
    """
    import os
    from datetime import datetime
    from airflow.providers.common.compat.sdk import DAG
    from airflow_provider_seedance.operators.seedance import SeedanceImageToVideoOperator

    N = int(os.environ["SEEDANCE_BENCH_N"])
    with DAG("seedance_full_stack", schedule=None, start_date=datetime(2026, 1, 1),
             catchup=False, max_active_tasks=N):
        SeedanceImageToVideoOperator.partial(
            task_id="generate",
            image=os.environ["SEEDANCE_BENCH_IMAGE"],
            poll_interval=float(os.environ["SEEDANCE_BENCH_POLL"]),
            timeout=3600,
            output_path=os.environ["SEEDANCE_BENCH_OUT"] + "/{{ ti.map_index }}",
        ).expand(prompt=[f"product {i} on a turntable" for i in range(N)])
    """
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--generation-time", type=float, default=60.0)
    parser.add_argument("--poll-interval", type=float, default=5.0)
    parser.add_argument("--parallelism", type=int, default=8)
    parser.add_argument("--limit", type=float, default=540.0, help="seconds for the batch")
    args = parser.parse_args()
    n = args.tasks

    from seedance_simulator import Simulator
    from shared_client import SeedanceClient

    tmp = Path(tempfile.mkdtemp(prefix="bench-fullstack-"))
    port = free_port()
    out = tmp / "out"
    af = AirflowHome(
        tmp / "airflow",
        {
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": str(args.parallelism),
            "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": str(n),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API_AUTH__JWT_SECRET": "bench-jwt-secret-not-for-production",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
            "AIRFLOW__TRIGGERER__CAPACITY": str(n + 100),
            "AIRFLOW__TRIGGERER__MAX_TRIGGER_TO_SELECT_PER_LOOP": str(n + 100),
            "SEEDANCE_BENCH_N": str(n),
            "SEEDANCE_BENCH_POLL": str(args.poll_interval),
            "SEEDANCE_BENCH_OUT": str(out),
        },
    )
    (af.dags / "seedance_full_stack.py").write_text(DAG_SOURCE)
    states: dict[int, str] = {}
    with Simulator(
        api_key=harness.BENCH_API_KEY, fast=True, generation_time=args.generation_time
    ) as sim:
        with SeedanceClient(api_key=harness.BENCH_API_KEY, base_url=sim.base_url) as client:
            af.env["SEEDANCE_BENCH_IMAGE"] = client.upload(harness.png_bytes())
        af.set_connection(sim.base_url)
        try:
            af.cli("db", "migrate", timeout=600)
            af.start("api-server", "api-server", "--port", str(port), "--host", "127.0.0.1")
            af.start("scheduler", "scheduler")
            af.start("dag-processor", "dag-processor")
            af.start("triggerer", "triggerer")
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                try:
                    if af.query("SELECT 1 FROM serialized_dag WHERE dag_id=?", DAG_ID):
                        break
                except Exception:  # the tables may not be there yet
                    pass
                time.sleep(1)
            sim.reset_stats()
            started = time.monotonic()
            af.cli("dags", "trigger", DAG_ID)
            max_deferred = 0
            end = started + args.limit
            while time.monotonic() < end:
                rows = af.query("SELECT map_index, state FROM task_instance WHERE dag_id=?", DAG_ID)
                states = {int(m): s for m, s in rows}
                max_deferred = max(max_deferred, sum(s == "deferred" for s in states.values()))
                finished = [s for s in states.values() if s in ("success", "failed")]
                if len(states) == n and len(finished) == n:
                    break
                time.sleep(2)
            makespan = time.monotonic() - started
            stats = sim.stats()
        finally:
            af.stop_all()
    videos = len(list(out.rglob("*.mp4")))
    shutil.rmtree(tmp, ignore_errors=True)

    succeeded = sum(s == "success" for s in states.values())
    paid_once = sorted(stats["submissions_by_fingerprint"].values()) == [1] * n
    checks = [
        harness.Check("tasks succeeded", succeeded, f"/{n}", f"= {n}", succeeded == n),
        harness.Check(
            "submissions (paid once each)",
            stats["submissions"],
            "",
            f"= {n}",
            stats["submissions"] == n and paid_once,
        ),
        harness.Check("videos written", videos, "", f"= {n}", videos == n),
        harness.Check(
            "batch makespan",
            makespan,
            " s",
            f"(reference: generation {args.generation_time:g} s)",
            True,
            f"at most {max_deferred} deferred at once; parallelism {args.parallelism}",
        ),
    ]
    headline = (
        f"{succeeded}/{n} succeeded, {stats['submissions']} submissions, {videos} videos, "
        f"makespan {makespan:.0f} s for {args.generation_time:g} s generations with "
        f"{args.parallelism} worker slots (max {max_deferred} deferred at once)"
    )
    return harness.finish(
        NAME,
        "Full Airflow 3 stack: 200 mapped generations",
        checks,
        {
            "tasks": n,
            "generation_time_s": args.generation_time,
            "poll_interval_s": args.poll_interval,
            "parallelism": args.parallelism,
            "makespan_s": makespan,
            "max_deferred_at_once": max_deferred,
            "states": {s: sum(v == s for v in states.values()) for s in set(states.values())},
            "simulator": {k: stats[k] for k in ("submissions", "polls", "connections_opened")},
        },
        command=".venv/bin/python benchmarks/bench_full_stack.py",
        headline=headline,
        notes=(
            "api-server + scheduler (LocalExecutor) + dag-processor + triggerer, SQLite, "
            f"parallelism {args.parallelism} worker slots for {n} tasks; simulator fast "
            f"mode, generation time {args.generation_time:g} s."
        ),
    )


if __name__ == "__main__":
    sys.exit(main())
