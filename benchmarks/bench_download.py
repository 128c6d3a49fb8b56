"""Benchmark 4: download a 1 GiB output, against the loops users would write instead.

Why: a long high-resolution video can be large and the node or DAG that lands it may run
on a small machine, so memory must stay flat; and speed is only meaningful next to what
the same machine does with the alternatives, measured in the same run:

* **httpx raw loop**: ``client.stream()`` + ``iter_raw()`` into a file, the ceiling for
  anything built on httpx (our clients are);
* **requests**: ``iter_content(chunk_size=8192)`` into a file, what most users write
  (the chunk size of the most-copied example);
* **curl**: a C reference only (no target against it).

The simulator serves the file from disk (its real output route ``/outputs/{id}.mp4``,
sendfile); every side runs in its own process, one after another in each round, the
order flipped every round (``harness.interleave``). Throughput is measured inside each
process around the transfer only (interpreter start-up excluded; curl's own
``time_total``). Peak RSS growth is VmHWM (reset just before) minus VmRSS before.
Our clients also fsync and rename the file into place; the peers do not: that
durability is inside our figure.

    .venv/bin/python benchmarks/bench_download.py [--size-mib 1024] [--rounds 5]
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

import charts
import harness

NAME = "bench_download"
TARGET_RSS_GROWTH_MIB = 32.0
TARGET_VS_RAW = 0.90
TARGET_VS_REQUESTS = 1.0
MIB = 1024 * 1024
SIDES = ("ours sync", "ours async", "httpx raw loop", "requests iter_content", "curl")


def _download(side: str, url: str, dest: str) -> None:
    if side == "ours sync":
        from shared_client import SeedanceClient

        with SeedanceClient(api_key=harness.BENCH_API_KEY) as client:
            client.download(url, dest)
    elif side == "ours async":
        import asyncio

        from shared_client import AsyncSeedanceClient

        async def run() -> None:
            async with AsyncSeedanceClient(api_key=harness.BENCH_API_KEY) as client:
                await client.download(url, dest)

        asyncio.run(run())
    elif side == "httpx raw loop":
        import httpx

        with (
            httpx.Client() as client,
            client.stream("GET", url) as response,
            open(dest, "wb") as fh,
        ):
            response.raise_for_status()
            for chunk in response.iter_raw():
                fh.write(chunk)
    elif side == "requests iter_content":
        import requests

        with requests.get(url, stream=True, timeout=60) as response, open(dest, "wb") as fh:
            response.raise_for_status()
            for chunk in response.iter_content(chunk_size=8192):
                fh.write(chunk)
    else:
        raise ValueError(side)


def child_download(side: str, url: str, dest: str) -> None:
    """One download in this process; report wall time, CPU time and memory growth."""
    import httpx  # noqa: F401 - imported before the clock: start-up is not the transfer
    import requests  # noqa: F401

    import shared_client  # noqa: F401

    before = harness.proc_status_kib()["VmRSS"]
    harness.reset_peak_rss()
    cpu0 = harness.cpu_seconds()
    start = time.perf_counter()
    _download(side, url, dest)
    wall = time.perf_counter() - start
    status = harness.proc_status_kib()
    harness.emit_child_result(
        {
            "wall_s": wall,
            "cpu_s": harness.cpu_seconds() - cpu0,
            "bytes": Path(dest).stat().st_size,
            "growth_kib": status["VmHWM"] - before,
        }
    )


def run_curl(url: str, dest: Path) -> dict[str, Any]:
    out = subprocess.run(
        ["curl", "-sS", "--fail", "--noproxy", "*", "-o", str(dest), "-w", "%{time_total}", url],
        check=True,
        timeout=600,
        capture_output=True,
        text=True,
    )
    return {"wall_s": float(out.stdout.strip()), "bytes": dest.stat().st_size}


def write_big_file(path: Path, size: int) -> None:
    """Fill ``path`` with ``size`` bytes of incompressible data, 1 MiB at a time."""
    block = os.urandom(MIB)
    with path.open("wb") as fh:
        for _ in range(size // MIB):
            fh.write(block)
        fh.write(block[: size % MIB])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--child", nargs=3, metavar=("SIDE", "URL", "DEST"))
    args = parser.parse_args()
    if args.child:
        child_download(*args.child)
        return 0
    if shutil.which("curl") is None:
        print(f"FAIL {NAME}: curl is not installed (apt-get install -y curl)")
        return 2

    from seedance_simulator import Simulator
    from shared_client import ImageToVideoRequest, SeedanceClient

    size = args.size_mib * MIB
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

        def side(name: str) -> Any:
            def one(_round: int) -> dict[str, Any]:
                if name == "curl":
                    result = run_curl(url, dest)
                else:
                    result = harness.run_child(
                        __file__, ["--child", name, url, str(dest)], timeout=600
                    )
                dest.unlink()
                return {**result, "mib_per_s": result["bytes"] / MIB / result["wall_s"]}

            return one

        runs = harness.interleave({name: side(name) for name in SIDES}, args.rounds)

    rate = {name: [r["mib_per_s"] for r in runs[name]] for name in SIDES}
    med = {name: harness.spread(rate[name]) for name in SIDES}
    ratios = {
        (ours, peer): harness.paired_ratios(rate[ours], rate[peer])
        for ours in ("ours sync", "ours async")
        for peer in ("httpx raw loop", "requests iter_content", "curl")
    }
    growth = max(r["growth_kib"] for n in ("ours sync", "ours async") for r in runs[n]) / 1024
    complete = all(r["bytes"] == size for rs in runs.values() for r in rs)

    def absolute(ours: str, peer: str) -> str:
        return f"{med[ours]['median']:.0f} vs {med[peer]['median']:.0f} MiB/s"

    checks = [harness.Check("every download complete", float(complete), "", "= 1", complete)]
    for ours in ("ours sync", "ours async"):
        checks.append(
            harness.ratio_check(
                f"throughput, {ours} / httpx raw loop",
                ratios[(ours, "httpx raw loop")],
                at_least=TARGET_VS_RAW,
                absolute=absolute(ours, "httpx raw loop"),
                peer="httpx raw loop",
            )
        )
        checks.append(
            harness.ratio_check(
                f"throughput, {ours} / requests",
                ratios[(ours, "requests iter_content")],
                at_least=TARGET_VS_REQUESTS,
                absolute=absolute(ours, "requests iter_content"),
                peer="requests iter_content",
            )
        )
    checks.append(
        harness.Check(
            "peak RSS growth, our clients (worst run)",
            growth,
            " MiB",
            f"<= {TARGET_RSS_GROWTH_MIB:g} MiB for {args.size_mib} MiB",
            growth <= TARGET_RSS_GROWTH_MIB,
        )
    )
    for ours in ("ours sync", "ours async"):
        curl_ratio = ratios[(ours, "curl")]
        checks.append(
            harness.Check(
                f"throughput, {ours} / curl (reference)",
                curl_ratio["median"],
                "x",
                "(reference, no target)",
                True,
                f"{absolute(ours, 'curl')}; per-round "
                f"{curl_ratio['min']:.2f}-{curl_ratio['max']:.2f}x",
            )
        )
    cpu = harness.cpu_model()
    chart = charts.chart(
        "download",
        f"Download {args.size_mib} MiB over loopback ({args.rounds} interleaved rounds)",
        {name: rate[name] for name in SIDES},
        unit="MiB/s",
        subtitle=cpu,
        lower_is_better=False,
    )
    sync_raw = ratios[("ours sync", "httpx raw loop")]["median"]
    async_raw = ratios[("ours async", "httpx raw loop")]["median"]
    headline = (
        f"{args.size_mib} MiB x {args.rounds} rounds: sync {sync_raw:.2f}x / async "
        f"{async_raw:.2f}x the httpx raw loop (>= {TARGET_VS_RAW:g}), "
        f"{ratios[('ours sync', 'requests iter_content')]['median']:.2f}x / "
        f"{ratios[('ours async', 'requests iter_content')]['median']:.2f}x requests; "
        f"medians MiB/s: "
        + ", ".join(f"{n} {med[n]['median']:.0f}" for n in SIDES)
        + f"; RSS growth {growth:.1f} MiB"
    )
    return harness.finish(
        NAME,
        "Download of a 1 GiB output: ours vs the httpx raw loop, requests and curl",
        checks,
        {
            "size_bytes": size,
            "rounds": args.rounds,
            "mib_per_s": med,
            "ratios": {f"{a} / {b}": r for (a, b), r in ratios.items()},
            "runs": runs,
        },
        command=".venv/bin/python benchmarks/bench_download.py",
        headline=headline,
        charts=[chart],
        notes=(
            f"Served by the simulator's output route (aiohttp FileResponse, sendfile) on "
            f"127.0.0.1; {args.rounds} rounds, each side once per round in its own process, "
            "order flipped every round; the figure is the median of the per-round ratios. "
            "Peers: httpx `stream()` + `iter_raw()` into a file; requests "
            "`iter_content(chunk_size=8192)` into a file; curl `-o` (reference). Our clients "
            "also fsync and rename the file into place (the peers do not)."
        ),
    )


if __name__ == "__main__":
    sys.exit(main())
