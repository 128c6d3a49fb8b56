"""Benchmark 13: N = 300 generations at scaled Silver limits on a CeleryExecutor deployment.

Why: a team at WaveSpeed's account limits wants its batch done when the account allows,
not later, and paid once. Two DAGs run one after the other in the same real Airflow 3
deployment (Redis, PostgreSQL, api-server, scheduler, dag-processor, two Celery workers,
two triggerers: ``tests/support/celery_deployment.py``) against the simulator with
account limits:

* **provider**: ``SeedanceTextToVideoOperator`` mapped over 300 prompts (deferrable,
  pay-once, 429-aware);
* **naive baseline**: what a user writes first: the official SDK's ``wavespeed.run``
  inside a ``PythonOperator`` mapped over the same prompts, with Airflow retries.

In each run one Celery worker is ``kill -9``-ed while tasks run on it, as a lost node
would be. Reported per side: makespan, failed tasks, submissions and duplicate payments
(the simulator's per-fingerprint counts: a prompt paid twice), 429s.

Theoretical bound: ``ceil(N / max_concurrent) x generation_time + submit spacing``,
the spacing being the windows the per-minute limit forces before the last submit:
``(ceil(N / videos_per_window) - 1) x window``. Target: the provider's makespan at most
10% over it, zero failed tasks, zero duplicate payments.

    .venv/bin/python benchmarks/bench_distributed.py [--tasks 300]
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import tempfile
import textwrap
import time
from collections import Counter
from pathlib import Path
from typing import Any

import harness

NAME = "bench_distributed"
MODEL = "bytedance/seedance-2.0-fast/text-to-video"

DAG_SOURCE = textwrap.dedent(
    """
    import os
    from datetime import datetime, timedelta
    from airflow.providers.common.compat.sdk import DAG
    from airflow_provider_seedance.operators.seedance import SeedanceTextToVideoOperator

    N = int(os.environ["SEEDANCE_BENCH_N"])
    PROMPTS = [f"provider {i}: a lighthouse at dusk" for i in range(N)]
    with DAG("bench_provider", schedule=None, start_date=datetime(2026, 1, 1),
             catchup=False, max_active_tasks=N):
        SeedanceTextToVideoOperator.partial(
            task_id="generate", model=os.environ["SEEDANCE_BENCH_MODEL"], duration=5,
            poll_interval=2.0, timeout=3600,
            output_path=os.environ["SEEDANCE_BENCH_OUT"] + "/provider/{{ ti.map_index }}",
            retries=3, retry_delay=timedelta(seconds=2),
        ).expand(prompt=PROMPTS)
    """
)

#: The baseline as a user would write it first: the SDK's documented one-liner in a
#: PythonOperator, Airflow retries for robustness, the base URL pointed at the simulator.
BASELINE_SOURCE = textwrap.dedent(
    """
    import os
    from datetime import datetime, timedelta
    from airflow.providers.common.compat.sdk import DAG
    from airflow.providers.standard.operators.python import PythonOperator

    N = int(os.environ["SEEDANCE_BENCH_N"])
    PROMPTS = [f"baseline {i}: a lighthouse at dusk" for i in range(N)]

    def generate(prompt):
        import wavespeed
        wavespeed.config.api.base_url = os.environ["SEEDANCE_BENCH_BASE_URL"]
        wavespeed.config.api.api_key = os.environ["SEEDANCE_BENCH_KEY"]
        out = wavespeed.run(os.environ["SEEDANCE_BENCH_MODEL"],
                            {"prompt": prompt, "duration": 5}, poll_interval=2.0)
        return out["outputs"][0]

    with DAG("bench_baseline", schedule=None, start_date=datetime(2026, 1, 1),
             catchup=False, max_active_tasks=N):
        PythonOperator.partial(
            task_id="generate", python_callable=generate,
            retries=3, retry_delay=timedelta(seconds=2),
        ).expand(op_args=[[p] for p in PROMPTS])
    """
)


def bound(n: int, limits: dict[str, float], generation_time: float) -> tuple[float, float]:
    """The issue's bound, and the lower bound when submits overlap generations."""
    waves = math.ceil(n / limits["max_concurrent"]) * generation_time
    per_window, window = limits["videos_per_window"], limits["window_s"]
    spacing = max(math.ceil(n / per_window) - 1, 0) * window
    return waves + spacing, max(waves, spacing + generation_time)


def run_side(dep: Any, sim: Any, dag_id: str, n: int, limit: float) -> dict[str, Any]:
    """Trigger ``dag_id``, kill -9 worker 1 once tasks run on it, wait; the side's figures."""
    import psutil

    deadline = time.monotonic() + 300
    while not _safe(dep, "SELECT 1 FROM serialized_dag WHERE dag_id=?", dag_id):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{dag_id} was not parsed\n{dep.logs()}")
        time.sleep(1)
    sim.reset_stats()
    started = time.monotonic()
    dep.cli("dags", "trigger", dag_id)
    killed: list[int] = []
    states: dict[int, str] = {}
    while time.monotonic() - started < limit:
        rows = _safe(dep, "SELECT map_index, state, pid FROM task_instance WHERE dag_id=?", dag_id)
        states = {int(m): s for m, s, _ in rows}
        if not killed and "worker-1" in dep.procs and len(states) == n:
            try:
                mine = {p.pid for p in psutil.Process(dep.pid("worker-1")).children(True)}
            except psutil.NoSuchProcess:
                mine = set()
            running = [int(m) for m, s, pid in rows if s == "running" and pid in mine]
            # wait until the run is under way (a fifth done), so the kill hits steady state
            if running and sum(s == "success" for s in states.values()) >= n // 5:
                dep.kill("worker-1")
                killed = running
        if len(states) == n and all(s in ("success", "failed") for s in states.values()):
            break
        time.sleep(1)
    makespan = time.monotonic() - started
    stats = sim.stats()
    by_prompt = _paid_by_prompt(stats)
    return {
        "makespan_s": round(makespan, 1),
        "finished": sum(s in ("success", "failed") for s in states.values()),
        "succeeded": sum(s == "success" for s in states.values()),
        "failed": sum(s == "failed" for s in states.values()),
        "submissions": stats["submissions"],
        "duplicate_payments": sum(c - 1 for c in by_prompt.values() if c > 1),
        "prompts_paid_twice_or_more": sum(c > 1 for c in by_prompt.values()),
        "rate_limited_429s": int(stats["limits"]["rate_limited"]),
        "simulator_max_running": stats["limits"]["max_running"],
        "simulator_max_queued": stats["limits"]["max_queued"],
        "worker_killed_with_running_tasks": len(killed),
    }


def _paid_by_prompt(stats: dict[str, Any]) -> Counter[str]:
    return Counter({fp: int(c) for fp, c in stats["submissions_by_fingerprint"].items()})


def _safe(dep: Any, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    try:
        return dep.query(sql, *params)
    except Exception:  # the metadata DB busy or not migrated yet
        return []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=300)
    parser.add_argument("--generation-time", type=float, default=40.0)
    parser.add_argument("--max-concurrent", type=int, default=20)
    parser.add_argument("--videos-per-minute", type=int, default=60)
    parser.add_argument("--time-scale", type=float, default=6.0)
    parser.add_argument("--worker-concurrency", type=int, default=8)
    parser.add_argument("--limit", type=float, default=1200.0, help="seconds per side")
    args = parser.parse_args()
    n = args.tasks

    from seedance_simulator import Simulator
    from tests.support.celery_deployment import connection_extra, running_celery_deployment

    limits = {
        "max_concurrent": float(args.max_concurrent),
        "videos_per_window": float(args.videos_per_minute),
        "window_s": 60.0 / args.time_scale,
    }
    theoretical, lower = bound(n, limits, args.generation_time)
    root = Path(tempfile.mkdtemp(prefix="bench-distributed-"))
    sides: dict[str, dict[str, Any]] = {}
    sim_kwargs: dict[str, Any] = {
        "max_concurrent": args.max_concurrent,
        "videos_per_minute": args.videos_per_minute,
        "time_scale": args.time_scale,
    }
    try:
        with Simulator(
            api_key=harness.BENCH_API_KEY,
            fast=True,
            generation_time=args.generation_time,
            **sim_kwargs,
        ) as sim:
            extra = connection_extra(sim.base_url, harness.BENCH_API_KEY)
            extra.update(
                {
                    "SEEDANCE_BENCH_N": str(n),
                    "SEEDANCE_BENCH_MODEL": MODEL,
                    "SEEDANCE_BENCH_OUT": str(root / "out"),
                    "SEEDANCE_BENCH_BASE_URL": sim.base_url,
                    "SEEDANCE_BENCH_KEY": harness.BENCH_API_KEY,
                }
            )
            for side, source in (("provider", DAG_SOURCE), ("baseline", BASELINE_SOURCE)):
                # a fresh deployment per side: both start with two workers
                dags = root / side / "airflow" / "dags"
                dags.mkdir(parents=True)
                (dags / f"bench_{side}.py").write_text(source)
                with running_celery_deployment(
                    root / side, extra, worker_concurrency=args.worker_concurrency
                ) as dep:
                    sides[side] = run_side(dep, sim, f"bench_{side}", n, args.limit)
                print(f"{side}: {json.dumps(sides[side])}", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return report(n, args, limits, theoretical, lower, sides)


def report(
    n: int,
    args: argparse.Namespace,
    limits: dict[str, float],
    theoretical: float,
    lower: float,
    sides: dict[str, dict[str, Any]],
) -> int:
    p, b = sides["provider"], sides["baseline"]
    ratio = p["makespan_s"] / theoretical
    checks = [
        harness.Check(
            "provider makespan / bound",
            ratio,
            "",
            "<= 1.10",
            ratio <= 1.10 and p["finished"] == n,
            f"{p['makespan_s']:.0f} s vs bound {theoretical:.0f} s (lower bound {lower:.0f} s)",
        ),
        harness.Check("provider failed tasks", p["failed"], "", "= 0", p["failed"] == 0),
        harness.Check(
            "provider duplicate payments",
            p["duplicate_payments"],
            "",
            "= 0",
            p["duplicate_payments"] == 0 and p["submissions"] == n,
        ),
        harness.Check(
            "baseline makespan",
            b["makespan_s"],
            " s",
            "(reported)",
            True,
            f"{b['makespan_s'] / max(p['makespan_s'], 1e-9):.1f}x the provider's; "
            f"{b['finished']}/{n} finished"
            + ("" if b["finished"] == n else " when cut at the time limit"),
        ),
        harness.Check("baseline failed tasks", b["failed"], "", "(reported)", True),
        harness.Check(
            "baseline duplicate payments",
            b["duplicate_payments"],
            "",
            "(reported)",
            True,
            f"{b['submissions']} submissions, {b['finished']}/{n} tasks finished",
        ),
    ]
    headline = (
        f"provider {p['makespan_s']:.0f} s vs bound {theoretical:.0f} s "
        f"({ratio:.2f}), {p['failed']} failed, {p['duplicate_payments']} paid twice, "
        f"{p['rate_limited_429s']} 429s absorbed; baseline {b['makespan_s']:.0f} s, "
        f"{b['failed']} failed, {b['duplicate_payments']} paid twice"
    )
    return harness.finish(
        NAME,
        "Distributed: 300 generations at scaled Silver limits, provider vs wavespeed.run",
        checks,
        {
            "tasks": n,
            "limits": limits,
            "time_scale": args.time_scale,
            "generation_time_s": args.generation_time,
            "worker_concurrency": args.worker_concurrency,
            "bound_s": theoretical,
            "lower_bound_s": lower,
            "provider": p,
            "baseline": b,
        },
        command=".venv/bin/python benchmarks/bench_distributed.py",
        headline=headline,
        notes=(
            "CeleryExecutor (Redis, PostgreSQL), api-server, scheduler, dag-processor, two "
            f"Celery workers x {args.worker_concurrency} slots, two triggerers, a fresh "
            f"deployment per side; simulator fast mode, {args.max_concurrent} concurrent, "
            f"{args.videos_per_minute} videos per minute, minute scaled to "
            f"{limits['window_s']:g} s, generation {args.generation_time:g} s; worker 1 "
            "killed with -9 in each run once a fifth of the tasks were done."
        ),
    )


if __name__ == "__main__":
    sys.exit(main())
