"""Benchmark 4: download a 1 GiB output; constant memory, and close to curl's speed.

Why: a long high-resolution video can be large, and the node or DAG that lands it may
run on a small machine; a client that buffers the body would need a gigabyte of RAM.
The simulator serves the file (its real output route, ``/outputs/{id}.mp4``, from
disk with sendfile: the 1 GiB is never held in memory). The generated output of a
real task is replaced on disk by a 1 GiB file, then ``curl`` and ``SeedanceClient``
each fetch it, alternately, in the same run, each in its own process. Peak RSS growth
is VmHWM (reset just before the download) minus VmRSS before it.

    .venv/bin/python benchmarks/bench_download.py [--size-mib 1024]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import harness

NAME = "bench_download"
TARGET_RSS_GROWTH_MIB = 32.0
TARGET_THROUGHPUT_RATIO = 0.70
CHUNK = 1024 * 1024


def child_download(url: str, dest: str, flavour: str) -> None:
    """Download ``url`` to ``dest`` with our client; report wall time and memory."""
    import asyncio

    from shared_client import AsyncSeedanceClient, SeedanceClient

    before = harness.proc_status_kib()["VmRSS"]
    harness.reset_peak_rss()
    start = time.perf_counter()
    cpu0 = harness.cpu_seconds()
    if flavour == "sync":
        with SeedanceClient(api_key=harness.BENCH_API_KEY) as client:
            path = client.download(url, dest)
    else:

        async def run() -> Path:
            async with AsyncSeedanceClient(api_key=harness.BENCH_API_KEY) as client:
                return await client.download(url, dest)

        path = asyncio.run(run())
    wall = time.perf_counter() - start
    status = harness.proc_status_kib()
    harness.emit_child_result(
        {
            "wall_s": wall,
            "cpu_s": harness.cpu_seconds() - cpu0,
            "bytes": path.stat().st_size,
            "rss_before_kib": before,
            "peak_rss_kib": status["VmHWM"],
            "growth_kib": status["VmHWM"] - before,
        }
    )


def write_big_file(path: Path, size: int) -> None:
    """Fill ``path`` with ``size`` bytes of incompressible data, 1 MiB at a time."""
    block = os.urandom(CHUNK)
    with path.open("wb") as fh:
        for _ in range(size // CHUNK):
            fh.write(block)
        fh.write(block[: size % CHUNK])


def run_curl(url: str, dest: Path) -> dict[str, Any]:
    start = time.perf_counter()
    subprocess.run(
        ["curl", "--silent", "--show-error", "--fail", "--noproxy", "*", "-o", str(dest), url],
        check=True,
        timeout=600,
    )
    return {"wall_s": time.perf_counter() - start, "bytes": dest.stat().st_size}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--child", nargs=3, metavar=("URL", "DEST", "FLAVOUR"))
    args = parser.parse_args()
    if args.child:
        child_download(*args.child)
        return 0
    if shutil.which("curl") is None:
        print(f"FAIL {NAME}: curl is not installed (apt-get install -y curl)")
        return 2

    from seedance_simulator import Simulator
    from shared_client import ImageToVideoRequest, SeedanceClient

    size = args.size_mib * CHUNK
    runs: dict[str, list[dict[str, Any]]] = {"curl": [], "sync": [], "async": []}
    with (
        tempfile.TemporaryDirectory(prefix="bench-dl-") as tmp,
        Simulator(api_key=harness.BENCH_API_KEY, fast=True, generation_time=0.5) as sim,
    ):
        with SeedanceClient(api_key=harness.BENCH_API_KEY, base_url=sim.base_url) as client:
            prediction = client.generate(
                ImageToVideoRequest(prompt="a big one", image=harness.png_bytes()),
                poll_interval=0.2,
            )
        outputs = list(sim.output_dir.glob("*.mp4"))
        assert len(outputs) == 1, outputs
        write_big_file(outputs[0], size)
        url = prediction.outputs[0]
        dest = Path(tmp) / "video.mp4"
        for _ in range(args.rounds):
            runs["curl"].append(run_curl(url, dest))
            dest.unlink()
            for flavour in ("sync", "async"):
                runs[flavour].append(
                    harness.run_child(__file__, ["--child", url, str(dest), flavour], timeout=600)
                )
                dest.unlink()

    def best(name: str) -> dict[str, Any]:
        run = min(runs[name], key=lambda r: r["wall_s"])
        return {**run, "mib_per_s": run["bytes"] / CHUNK / run["wall_s"]}

    curl, sync, async_ = best("curl"), best("sync"), best("async")
    growth = max(r["growth_kib"] for r in runs["sync"] + runs["async"]) / 1024
    sync_ratio = sync["mib_per_s"] / curl["mib_per_s"]
    async_ratio = async_["mib_per_s"] / curl["mib_per_s"]
    complete = all(r["bytes"] == size for rs in runs.values() for r in rs)
    checks = [
        harness.Check("every download complete", float(complete), "", "= 1", complete),
        harness.Check(
            "peak RSS growth (worst run)",
            growth,
            " MiB",
            f"<= {TARGET_RSS_GROWTH_MIB:g} MiB",
            growth <= TARGET_RSS_GROWTH_MIB,
        ),
        harness.Check(
            "throughput vs curl (sync client)",
            sync_ratio * 100,
            "%",
            f">= {TARGET_THROUGHPUT_RATIO:.0%}",
            sync_ratio >= TARGET_THROUGHPUT_RATIO,
            f"{sync['mib_per_s']:.0f} vs {curl['mib_per_s']:.0f} MiB/s",
        ),
        harness.Check(
            "throughput vs curl (async client)",
            async_ratio * 100,
            "%",
            f">= {TARGET_THROUGHPUT_RATIO:.0%}",
            async_ratio >= TARGET_THROUGHPUT_RATIO,
            f"{async_['mib_per_s']:.0f} vs {curl['mib_per_s']:.0f} MiB/s",
        ),
    ]
    headline = (
        f"{args.size_mib} MiB: RSS growth {growth:.1f} MiB (<= {TARGET_RSS_GROWTH_MIB:g}), "
        f"sync {sync['mib_per_s']:.0f} MiB/s ({sync_ratio:.0%} of curl), async "
        f"{async_['mib_per_s']:.0f} MiB/s ({async_ratio:.0%}), curl {curl['mib_per_s']:.0f} MiB/s"
    )
    return harness.finish(
        NAME,
        "Download of a 1 GiB output",
        checks,
        {"size_bytes": size, "runs": runs, "best": {"curl": curl, "sync": sync, "async": async_}},
        command=".venv/bin/python benchmarks/bench_download.py",
        headline=headline,
        notes=(
            "Served by the simulator's output route (aiohttp FileResponse) on 127.0.0.1; "
            f"{args.rounds} alternating rounds, best wall time of each side counts. Our "
            "client writes a temporary file, fsyncs it and renames it into place (curl "
            "does not fsync): that durability cost is inside our figure."
        ),
    )


if __name__ == "__main__":
    sys.exit(main())
