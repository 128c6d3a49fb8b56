"""Benchmark 2: 200 concurrent generations, official ``wavespeed`` SDK vs ``AsyncSeedanceClient``.

Why: waiting for a generation should cost next to nothing. The official SDK (2.0.5) is
synchronous and opens a fresh connection per request (module-level ``requests.get`` /
``requests.post``), so its only way to run 200 generations at once is a thread pool.
Both sides run here, one after the other, against the same simulator (fast mode, same
generation time, same poll interval), each in its own process so its CPU time and
peak RSS are its own. Connections and requests are counted by the simulator; the
detection latency is the time from the simulator marking a task completed to the
caller holding the result.

    .venv/bin/python benchmarks/bench_sdk_vs_client.py [--generations 200]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import harness

NAME = "bench_sdk_vs_client"
TARGET_CPU_RATIO = 5.0
TARGET_CONNECTION_RATIO = 10.0
#: Detection latency is "equal or better": ours may not be later than the SDK's by more
#: than this (timer and scheduling noise on a shared 2-core machine).
LATENCY_TOLERANCE_S = 0.1


def _prompt_body(image_url: str) -> tuple[Any, dict[str, Any]]:
    from shared_client import ImageToVideoRequest

    request = ImageToVideoRequest(
        prompt="slow push-in on a product shot", image=image_url, duration=5
    )
    return request, request.to_body({"image": image_url})


def _phase_start() -> tuple[float, float, int]:
    harness.reset_peak_rss()
    return time.monotonic(), harness.cpu_seconds(), harness.proc_status_kib()["VmRSS"]


def _phase_end(started: tuple[float, float, int], results: list[Any], n: int) -> dict[str, Any]:
    wall0, cpu0, rss0 = started
    status = harness.proc_status_kib()
    ok = [r for r in results if isinstance(r, tuple) and r[2]]
    errors = [repr(r) for r in results if not (isinstance(r, tuple) and r[2])]
    return {
        "n": n,
        "ok": len(ok),
        "errors": errors[:5],
        "error_count": len(errors),
        "noticed": {r[0]: r[1] for r in ok},
        "cpu_s": harness.cpu_seconds() - cpu0,
        "wall_s": time.monotonic() - wall0,
        "rss_before_kib": rss0,
        "peak_rss_kib": status["VmHWM"],
        "peak_growth_kib": status["VmHWM"] - rss0,
    }


def child_ours(base_url: str, image_url: str, n: int, poll: float, timeout: float) -> None:
    from shared_client import AsyncSeedanceClient

    request, _ = _prompt_body(image_url)

    async def main() -> dict[str, Any]:
        async with AsyncSeedanceClient(api_key=harness.BENCH_API_KEY, base_url=base_url) as c:

            async def one() -> tuple[str, float, bool]:
                p = await c.generate(request, poll_interval=poll, timeout=timeout)
                return p.id, time.time(), p.is_success and bool(p.outputs)

            started = _phase_start()
            results = await asyncio.gather(*(one() for _ in range(n)), return_exceptions=True)
            return _phase_end(started, list(results), n)

    harness.emit_child_result(asyncio.run(main()))


def child_sdk(base_url: str, image_url: str, n: int, poll: float, timeout: float) -> None:
    import wavespeed

    _, body = _prompt_body(image_url)
    # max_connection_retries / retry_interval stay at the SDK's defaults; only the
    # endpoint and key are pointed at the simulator.
    client = wavespeed.Client(api_key=harness.BENCH_API_KEY, base_url=base_url)

    def one() -> tuple[str, float, bool] | BaseException:
        try:
            out = client.run(harness.I2V_MODEL, body, poll_interval=poll, timeout=timeout)
        except Exception as exc:  # counted, reported, not fatal to the comparison
            return exc
        url = out["outputs"][0]
        return Path(url.rsplit("/", 1)[-1]).stem, time.time(), bool(out["outputs"])

    # The SDK prints retry notices on stdout; keep our JSON line the only stdout output.
    with contextlib.redirect_stdout(sys.stderr):
        started = _phase_start()
        with ThreadPoolExecutor(max_workers=200) as pool:
            results = list(pool.map(lambda _: one(), range(n)))
        result = _phase_end(started, results, n)
    harness.emit_child_result(result)


def completion_wall_time(task: dict[str, Any]) -> float:
    """When the simulator marked the task completed: created_at + its execution time."""
    created = datetime.fromisoformat(task["created_at"].replace("Z", "+00:00")).timestamp()
    return created + task["executionTime"] / 1000.0


def measure_side(sim: Any, side: str, args: argparse.Namespace, image_url: str) -> dict[str, Any]:
    sim.reset_stats()
    child = harness.run_child(
        __file__,
        [
            "--child",
            side,
            "--base-url",
            sim.base_url,
            "--image-url",
            image_url,
            "--generations",
            str(args.generations),
            "--poll-interval",
            str(args.poll_interval),
        ],
        timeout=args.generation_time * 4 + 240,
    )
    stats = sim.stats()
    latencies = []
    for task_id, noticed in child.pop("noticed").items():
        task = sim.task(task_id)
        if task is not None and task["status"] == "completed":
            latencies.append(noticed - completion_wall_time(task))
    return {
        **child,
        "connections_opened": stats["connections_opened"],
        "requests": stats["requests"],
        "polls": stats["polls"],
        "submissions": stats["submissions"],
        "detection_latency_s": harness.summarise(latencies),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generations", type=int, default=200)
    parser.add_argument("--generation-time", type=float, default=22.0)
    parser.add_argument("--poll-interval", type=float, default=5.0)
    parser.add_argument("--child", choices=("ours", "sdk"))
    parser.add_argument("--base-url")
    parser.add_argument("--image-url")
    args = parser.parse_args()
    timeout = 600.0
    if args.child == "ours":
        child_ours(args.base_url, args.image_url, args.generations, args.poll_interval, timeout)
        return 0
    if args.child == "sdk":
        child_sdk(args.base_url, args.image_url, args.generations, args.poll_interval, timeout)
        return 0

    from seedance_simulator import Simulator
    from shared_client import SeedanceClient

    with Simulator(
        api_key=harness.BENCH_API_KEY, fast=True, generation_time=args.generation_time, seed=6
    ) as sim:
        with SeedanceClient(api_key=harness.BENCH_API_KEY, base_url=sim.base_url) as client:
            image_url = client.upload(harness.png_bytes())
        sdk = measure_side(sim, "sdk", args, image_url)
        ours = measure_side(sim, "ours", args, image_url)

    def ratio(a: float, b: float) -> float:
        return a / b if b else float("inf")

    cpu_ratio = ratio(sdk["cpu_s"], ours["cpu_s"])
    conn_ratio = ratio(sdk["connections_opened"], ours["connections_opened"])
    lat_ours, lat_sdk = ours["detection_latency_s"], sdk["detection_latency_s"]
    n = args.generations
    checks = [
        harness.Check(
            "all generations correct (ours)", ours["ok"], f"/{n}", f"= {n}", ours["ok"] == n
        ),
        harness.Check(
            "CPU time, SDK / ours",
            cpu_ratio,
            "x",
            f">= {TARGET_CPU_RATIO:g}x",
            cpu_ratio >= TARGET_CPU_RATIO,
            f"{sdk['cpu_s']:.2f} s vs {ours['cpu_s']:.2f} s",
        ),
        harness.Check(
            "TCP connections opened, SDK / ours",
            conn_ratio,
            "x",
            f">= {TARGET_CONNECTION_RATIO:g}x",
            conn_ratio >= TARGET_CONNECTION_RATIO,
            f"{sdk['connections_opened']} vs {ours['connections_opened']}",
        ),
        harness.Check(
            "HTTP requests, ours",
            ours["requests"],
            "",
            f"< SDK ({sdk['requests']})",
            ours["requests"] < sdk["requests"],
            f"{ours['requests']} vs {sdk['requests']}",
        ),
        harness.Check(
            "detection latency p95, ours",
            lat_ours["p95"],
            " s",
            f"<= SDK p95 {lat_sdk['p95']:.2f} s (+{LATENCY_TOLERANCE_S:g} s)",
            lat_ours["p95"] <= lat_sdk["p95"] + LATENCY_TOLERANCE_S,
            f"p50 {lat_ours['p50']:.2f} s vs {lat_sdk['p50']:.2f} s",
        ),
    ]
    figures = {
        "generations": n,
        "generation_time_s": args.generation_time,
        "poll_interval_s": args.poll_interval,
        "sdk_thread_pool": 200,
        "ours": ours,
        "sdk": sdk,
        "peak_rss_mib": {
            "ours": round(ours["peak_rss_kib"] / 1024, 1),
            "sdk": round(sdk["peak_rss_kib"] / 1024, 1),
        },
    }
    headline = (
        f"cpu {cpu_ratio:.1f}x less ({ours['cpu_s']:.2f} vs {sdk['cpu_s']:.2f} s), "
        f"connections {conn_ratio:.0f}x fewer ({ours['connections_opened']} vs "
        f"{sdk['connections_opened']}), requests {ours['requests']} vs {sdk['requests']}, "
        f"detection p95 {lat_ours['p95']:.2f} vs {lat_sdk['p95']:.2f} s, peak RSS "
        f"{figures['peak_rss_mib']['ours']} vs {figures['peak_rss_mib']['sdk']} MiB, "
        f"ok {ours['ok']}/{n} vs {sdk['ok']}/{n}"
    )
    return harness.finish(
        NAME,
        "Versus the official wavespeed SDK: 200 concurrent generations",
        checks,
        figures,
        command=".venv/bin/python benchmarks/bench_sdk_vs_client.py",
        headline=headline,
        notes=(
            "SDK: wavespeed 2.0.5 Client.run() in a ThreadPoolExecutor(200), poll_interval "
            f"{args.poll_interval:g} s. Ours: one AsyncSeedanceClient, asyncio.gather of "
            f"generate(poll_interval={args.poll_interval:g}). Simulator fast mode, generation "
            f"time {args.generation_time:g} s. CPU = os.times() user+system of the measured "
            "process during the generations; peak RSS = VmHWM (reset before the phase)."
        ),
    )


if __name__ == "__main__":
    sys.exit(main())
