"""Benchmark 3: worker-slot time per video, deferrable operator vs ``deferrable=False``.

Why: a worker slot is the scarce resource of an Airflow deployment. With deferral the
worker should only validate, upload, submit and (after the triggerer's event) download;
the minutes of generation must cost the worker nothing. Both operators run the same
request against the same simulator (same generation time, same poll interval), at the
same time, each as a worker runs it: ``execute`` (and, for the deferrable one, after
the real ``SeedancePredictionTrigger`` has fired in an asyncio loop standing in for the
triggerer, ``execute_complete``). Worker-slot time = the wall time spent inside those
worker calls. The task context holds what the operator reads (``ti.xcom_push``,
``task_state_store``, ``outlet_events``), as in the provider's own tests; the
connection comes from ``AIRFLOW_CONN_WAVESPEED_DEFAULT``, as in production.

Not included on either side: the Airflow task runner's own start-up per worker session
(the deferrable task has two sessions, the blocking one has one).

    .venv/bin/python benchmarks/bench_worker_slot.py [--generation-time 60]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import harness

NAME = "bench_worker_slot"
TARGET_SHARE = 0.02


class StateStore:
    def __init__(self) -> None:
        self.data: dict[str, Any] = {}

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def set(self, key: str, value: Any, **_: Any) -> None:
        self.data[key] = value

    def delete(self, key: str) -> None:
        self.data.pop(key, None)


class TaskInstanceStub:
    def __init__(self, task_id: str) -> None:
        self.dag_id, self.run_id, self.task_id = "bench", "manual__bench", task_id
        self.map_index, self.try_number = -1, 1
        self.xcom: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any, **_: Any) -> None:
        self.xcom[key] = json.loads(json.dumps(value))


class OutletEvents(dict):  # type: ignore[type-arg]
    def __missing__(self, key: Any) -> Any:
        accessor = type("Accessor", (), {"extra": None})()
        self[key] = accessor
        return accessor


def context(task_id: str) -> dict[str, Any]:
    return {
        "ti": TaskInstanceStub(task_id),
        "task_state_store": StateStore(),
        "outlet_events": OutletEvents(),
    }


def run_deferrable(op: Any, results: dict[str, Any]) -> None:
    from airflow.providers.common.compat.sdk import TaskDeferred

    ctx = context(op.task_id)
    t0 = time.perf_counter()
    try:
        op.execute(ctx)
        raise AssertionError("the deferrable operator did not defer")
    except TaskDeferred as deferred:
        submit_s = time.perf_counter() - t0
        trigger = deferred.trigger

    async def triggerer() -> Any:
        async for event in trigger.run():
            return event
        raise AssertionError("the trigger ended without an event")

    t1 = time.perf_counter()
    event = asyncio.run(triggerer())
    wait_s = time.perf_counter() - t1
    t2 = time.perf_counter()
    result = op.execute_complete(ctx, event=event.payload)
    resume_s = time.perf_counter() - t2
    results["deferrable"] = {
        "worker_s": submit_s + resume_s,
        "execute_s": submit_s,
        "execute_complete_s": resume_s,
        "triggerer_wait_s": wait_s,
        "result": result,
    }


def run_blocking(op: Any, results: dict[str, Any]) -> None:
    t0 = time.perf_counter()
    result = op.execute(context(op.task_id))
    results["blocking"] = {"worker_s": time.perf_counter() - t0, "result": result}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generation-time", type=float, default=60.0)
    parser.add_argument("--poll-interval", type=float, default=5.0)
    args = parser.parse_args()
    gen = args.generation_time
    # The operators log every status change; this script's output is its summary line.
    logging.disable(logging.WARNING)

    from seedance_simulator import Simulator

    results: dict[str, Any] = {}
    with (
        tempfile.TemporaryDirectory(prefix="bench-slot-") as tmp,
        Simulator(api_key=harness.BENCH_API_KEY, fast=True, generation_time=gen) as sim,
    ):
        os.environ.setdefault("AIRFLOW_HOME", str(Path(tmp) / "airflow-home"))
        os.environ["AIRFLOW_CONN_WAVESPEED_DEFAULT"] = json.dumps(
            {"conn_type": "wavespeed", "password": harness.BENCH_API_KEY, "host": sim.base_url}
        )
        image = Path(tmp) / "product.png"
        image.write_bytes(harness.png_bytes())
        from airflow_provider_seedance.operators.seedance import SeedanceImageToVideoOperator

        def operator(task_id: str, deferrable: bool) -> Any:
            return SeedanceImageToVideoOperator(
                task_id=task_id,
                prompt="a slow push-in on the product",
                image=str(image),
                poll_interval=args.poll_interval,
                timeout=gen * 3 + 60,
                output_path=str(Path(tmp) / task_id),
                deferrable=deferrable,
            )

        threads = [
            threading.Thread(target=run_deferrable, args=(operator("deferred", True), results)),
            threading.Thread(target=run_blocking, args=(operator("blocking", False), results)),
        ]
        with harness.stdout_to_stderr():
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(gen * 4 + 120)
        stats = sim.stats()

    if set(results) != {"deferrable", "blocking"}:
        print(f"FAIL {NAME}: a side did not finish: {sorted(results)}")
        return 1
    deferrable, blocking = results["deferrable"], results["blocking"]
    share = deferrable["worker_s"] / gen
    blocking_share = blocking["worker_s"] / gen
    both_videos = all(r["result"] for r in (deferrable, blocking))
    checks = [
        harness.Check(
            "deferrable: worker-slot time / generation time",
            share * 100,
            "%",
            f"<= {TARGET_SHARE:.0%}",
            share <= TARGET_SHARE and both_videos,
            f"{deferrable['worker_s']:.2f} s of {gen:g} s "
            f"(execute {deferrable['execute_s']:.2f} s + execute_complete "
            f"{deferrable['execute_complete_s']:.2f} s)",
        ),
        harness.Check(
            "deferrable=False: worker-slot time / generation time",
            blocking_share * 100,
            "%",
            "(reference)",
            True,
            f"{blocking['worker_s']:.2f} s of {gen:g} s",
        ),
    ]
    saving = blocking["worker_s"] / deferrable["worker_s"] if deferrable["worker_s"] else 0.0
    headline = (
        f"deferrable holds a worker {deferrable['worker_s']:.2f} s = {share:.2%} of a "
        f"{gen:g} s generation (<= {TARGET_SHARE:.0%}); deferrable=False holds it "
        f"{blocking['worker_s']:.1f} s = {blocking_share:.0%}; {saving:.0f}x less worker time"
    )
    return harness.finish(
        NAME,
        "Worker-slot time per video: deferrable vs deferrable=False",
        checks,
        {
            "generation_time_s": gen,
            "poll_interval_s": args.poll_interval,
            "deferrable": {k: v for k, v in deferrable.items() if k != "result"},
            "blocking": {k: v for k, v in blocking.items() if k != "result"},
            "simulator": {k: stats[k] for k in ("submissions", "polls", "downloads", "uploads")},
        },
        command=".venv/bin/python benchmarks/bench_worker_slot.py",
        headline=headline,
        notes=(
            "Same DAG task (SeedanceImageToVideoOperator, local image uploaded, output_path "
            "set so the video is downloaded on the worker), run twice concurrently: "
            "deferrable=True and deferrable=False. Simulator fast mode, generation time "
            f"{gen:g} s, poll interval {args.poll_interval:g} s."
        ),
    )


if __name__ == "__main__":
    sys.exit(main())
