"""Benchmark 2: 200 concurrent generations, official ``wavespeed`` SDK vs ``AsyncSeedanceClient``.

Why: waiting for a generation should cost next to nothing. The official SDK (2.0.5) is
synchronous and opens a fresh connection per request (module-level ``requests.get`` /
``requests.post``), so its only way to run 200 generations at once is a thread pool.
Both sides run here against the same simulator (fast mode, same generation time, same
poll interval), interleaved over rounds (SDK, ours; ours, SDK; ...), each in a fresh
process so its CPU time and peak RSS are its own. Connections and requests are counted
by the simulator; the detection latency is the time from the simulator marking a task
completed to the caller holding the result.

    .venv/bin/python benchmarks/bench_sdk_vs_client.py [--generations 200]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import charts
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
    parser.add_argument("--generation-time", type=float, default=16.0)
    parser.add_argument("--rounds", type=int, default=5)
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
        rounds = harness.interleave(
            {
                side: lambda _r, side=side: measure_side(sim, side, args, image_url)
                for side in ("sdk", "ours")
            },
            args.rounds,
        )
    sdk_runs, our_runs = rounds["sdk"], rounds["ours"]
    cpu = {side: [r["cpu_s"] for r in runs] for side, runs in rounds.items()}
    conns = {side: [float(r["connections_opened"]) for r in runs] for side, runs in rounds.items()}
    cpu_ratio = harness.paired_ratios(cpu["sdk"], cpu["ours"])
    conn_ratio = harness.paired_ratios(conns["sdk"], conns["ours"])
    p95 = {side: [r["detection_latency_s"]["p95"] for r in runs] for side, runs in rounds.items()}
    late = [o - s for o, s in zip(p95["ours"], p95["sdk"], strict=True)]
    requests = {side: [float(r["requests"]) for r in runs] for side, runs in rounds.items()}
    med = {
        key: {side: harness.spread(values[side])["median"] for side in ("sdk", "ours")}
        for key, values in (("cpu", cpu), ("conns", conns), ("p95", p95), ("requests", requests))
    }
    peak = {
        side: harness.spread([r["peak_rss_kib"] / 1024 for r in runs])["median"]
        for side, runs in rounds.items()
    }
    n = args.generations
    ok_ours = sum(r["ok"] for r in our_runs)
    checks = [
        harness.Check(
            "all generations correct (ours)",
            ok_ours,
            f"/{n * args.rounds}",
            f"= {n * args.rounds}",
            ok_ours == n * args.rounds,
            f"SDK {sum(r['ok'] for r in sdk_runs)}/{n * args.rounds}",
        ),
        harness.ratio_check(
            "CPU time, SDK / ours",
            cpu_ratio,
            at_least=TARGET_CPU_RATIO,
            absolute=f"{med['cpu']['sdk']:.2f} s vs {med['cpu']['ours']:.2f} s per round",
            peer="the official SDK",
        ),
        harness.ratio_check(
            "TCP connections opened, SDK / ours",
            conn_ratio,
            at_least=TARGET_CONNECTION_RATIO,
            absolute=f"{med['conns']['sdk']:.0f} vs {med['conns']['ours']:.0f} per round",
            peer="the official SDK",
        ),
        harness.Check(
            "HTTP requests, ours",
            med["requests"]["ours"],
            "",
            f"< SDK ({med['requests']['sdk']:.0f})",
            all(o < s for o, s in zip(requests["ours"], requests["sdk"], strict=True)),
            "medians per round; every round must hold",
        ),
        harness.Check(
            "detection latency p95, ours - SDK (median over rounds)",
            statistics.median(late),
            " s",
            f"<= +{LATENCY_TOLERANCE_S:g} s",
            statistics.median(late) <= LATENCY_TOLERANCE_S,
            f"p95 {med['p95']['ours']:.2f} s vs {med['p95']['sdk']:.2f} s",
        ),
    ]
    pictures = [
        charts.chart(
            "sdk-vs-client-cpu",
            f"CPU time for {n} concurrent generations ({args.rounds} rounds)",
            {"ours (async)": cpu["ours"], "official SDK, 200 threads": cpu["sdk"]},
            unit="s",
            subtitle=harness.cpu_model(),
        )
    ]
    figures = {
        "generations": n,
        "rounds": args.rounds,
        "generation_time_s": args.generation_time,
        "poll_interval_s": args.poll_interval,
        "sdk_thread_pool": 200,
        "cpu_ratio": cpu_ratio,
        "connection_ratio": conn_ratio,
        "medians": med,
        "peak_rss_mib": peak,
        "rounds_detail": rounds,
    }
    headline = (
        f"cpu {cpu_ratio['median']:.1f}x less ({med['cpu']['ours']:.2f} vs "
        f"{med['cpu']['sdk']:.2f} s), connections {conn_ratio['median']:.0f}x fewer, "
        f"requests {med['requests']['ours']:.0f} vs {med['requests']['sdk']:.0f}, detection "
        f"p95 {med['p95']['ours']:.2f} vs {med['p95']['sdk']:.2f} s, peak RSS "
        f"{peak['ours']:.0f} vs {peak['sdk']:.0f} MiB, ok {ok_ours}/{n * args.rounds} "
        f"({args.rounds} interleaved rounds)"
    )
    return harness.finish(
        NAME,
        "Versus the official wavespeed SDK: 200 concurrent generations",
        checks,
        figures,
        command=".venv/bin/python benchmarks/bench_sdk_vs_client.py",
        headline=headline,
        charts=pictures,
        notes=(
            "SDK: wavespeed 2.0.5 Client.run() in a ThreadPoolExecutor(200), poll_interval "
            f"{args.poll_interval:g} s. Ours: one AsyncSeedanceClient, asyncio.gather of "
            f"generate(poll_interval={args.poll_interval:g}). Simulator fast mode, generation "
            f"time {args.generation_time:g} s. {args.rounds} rounds, the sides interleaved "
            "(SDK, ours; ours, SDK; ...), each side a fresh process per round; figures are "
            "medians of per-round values and ratios. CPU = os.times() user+system of the "
            "measured process during the generations; peak RSS = VmHWM (reset before the "
            "phase)."
        ),
    )


if __name__ == "__main__":
    sys.exit(main())
