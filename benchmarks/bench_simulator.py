"""Benchmark 5: the simulator's render time and poll rate, each against a named floor.

Why: every other benchmark and the whole test suite stand on the simulator; it must
render a realistic 5 s 720p video with audio quickly (demos, integration tests) and
answer polls fast enough that a 1,000-trigger density test measures the client, not
the server. Both are held against what the same machine does at its cheapest:

* render: ``ffmpeg`` (the CLI, libx264 ultrafast + AAC) turning the same still image
  into a 5 s 720p 24 fps video with audio, no motion: the encoder's floor;
* polls: a bare aiohttp server (the simulator's own framework) answering the same path
  with the same bytes and no work: the framework's floor.

Sides alternate in rounds (``harness.interleave``). The servers run as their own
processes; the load generator is a separate process with one aiohttp session.

    .venv/bin/python benchmarks/bench_simulator.py
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import charts
import harness

NAME = "bench_simulator"
#: Our render (push-in motion, per-frame resampling) may take at most this many times
#: the encoder's floor; polls must reach at least this share of the framework's floor.
TARGET_RENDER_RATIO = 1.5
TARGET_POLL_SHARE = 0.5
CONCURRENCY = 32


def render_sides(tmp: Path) -> dict[str, Any]:
    """Ours (in-process, as the simulator renders) and ffmpeg's floor, same image."""
    import subprocess

    from bench_render import _photo_like

    from seedance_simulator.render import RenderParams, render_mp4

    image = _photo_like(1)
    source = tmp / "source.png"
    image.save(source)
    params = RenderParams("720p", "16:9", 5, True, "push_in")

    def ours(round_: int) -> float:
        start = time.perf_counter()
        render_mp4(image, params, tmp / f"ours-{round_}.mp4")
        return time.perf_counter() - start

    def ffmpeg(round_: int) -> float:
        cmd = [
            "ffmpeg", "-v", "error", "-y", "-loop", "1", "-framerate", "24", "-i", str(source),
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", "5",
            "-vf", "scale=1280:720", "-c:v", "libx264", "-preset", "ultrafast",
            "-pix_fmt", "yuv420p", "-c:a", "aac", "-ac", "1", str(tmp / f"ffmpeg-{round_}.mp4"),
        ]  # fmt: skip
        start = time.perf_counter()
        subprocess.run(cmd, check=True, timeout=120)
        return time.perf_counter() - start

    return harness.interleave({"ours": ours, "ffmpeg": ffmpeg}, 5)


def child_floor_server(body_file: str) -> None:
    """The framework's floor: aiohttp answering every GET with fixed bytes, no work."""
    from aiohttp import web

    body = Path(body_file).read_bytes()

    async def answer(_request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_get("/{tail:.*}", answer)

    async def serve() -> None:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        print(f"http://127.0.0.1:{port}", flush=True)
        await asyncio.Event().wait()

    asyncio.run(serve())


def child_load(url: str, concurrency: int, seconds: float) -> None:
    """Poll ``url`` from ``concurrency`` keep-alive connections for ``seconds``."""
    import aiohttp

    async def main() -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {harness.BENCH_API_KEY}"}
        latencies: list[float] = []
        errors = 0
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=connector) as session:

            async def worker(stop_at: float) -> None:
                nonlocal errors
                while time.monotonic() < stop_at:
                    t0 = time.perf_counter()
                    async with session.get(url, headers=headers) as resp:
                        await resp.read()
                        if resp.status != 200:
                            errors += 1
                    latencies.append(time.perf_counter() - t0)

            await asyncio.gather(*(worker(time.monotonic() + 0.5) for _ in range(concurrency)))
            latencies.clear()  # warm-up: connections open, caches warm
            start = time.monotonic()
            await asyncio.gather(*(worker(start + seconds) for _ in range(concurrency)))
            elapsed = time.monotonic() - start
        ms = [x * 1000 for x in latencies]
        return {
            "concurrency": concurrency,
            "requests": len(ms),
            "errors": errors,
            "polls_per_s": len(ms) / elapsed,
            "p50_ms": statistics.median(ms),
            "p99_ms": harness.percentile(ms, 99),
        }

    harness.emit_child_result(asyncio.run(main()))


def poll_sides(seconds: float, rounds: int, tmp: Path) -> dict[str, Any]:
    import subprocess

    import httpx

    from shared_client import ImageToVideoRequest, SeedanceClient

    with harness.simulator_process("3600") as base_url:
        with SeedanceClient(api_key=harness.BENCH_API_KEY, base_url=base_url) as client:
            prediction = client.submit(
                ImageToVideoRequest(prompt="poll target", image=harness.png_bytes())
            )
        path = f"/api/v3/predictions/{prediction.id}/result"
        headers = {"Authorization": f"Bearer {harness.BENCH_API_KEY}"}
        body_file = tmp / "body.json"
        body_file.write_bytes(httpx.get(base_url + path, headers=headers).content)
        floor = subprocess.Popen(
            [sys.executable, __file__, "--child-floor-server", str(body_file)],
            stdout=subprocess.PIPE,
            text=True,
            env=harness.child_env(),
        )
        try:
            assert floor.stdout is not None
            floor_url = floor.stdout.readline().strip()

            def side(url: str) -> Any:
                def one(_round: int) -> dict[str, Any]:
                    args = ["--child-load", url, "--concurrency", str(CONCURRENCY)]
                    args += ["--seconds", str(seconds)]
                    return harness.run_child(__file__, args, timeout=seconds + 60)

                return one

            return harness.interleave(
                {"simulator": side(base_url + path), "aiohttp floor": side(floor_url + path)},
                rounds,
            )
        finally:
            floor.terminate()
            floor.wait(10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--child-load")
    parser.add_argument("--child-floor-server")
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY)
    args = parser.parse_args()
    if args.child_load:
        child_load(args.child_load, args.concurrency, args.seconds)
        return 0
    if args.child_floor_server:
        child_floor_server(args.child_floor_server)
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-sim-") as tmp:
        render = render_sides(Path(tmp))
        polls = poll_sides(args.seconds, args.rounds, Path(tmp))
    render_ratio = harness.paired_ratios(render["ours"], render["ffmpeg"])
    sim_rate = [r["polls_per_s"] for r in polls["simulator"]]
    floor_rate = [r["polls_per_s"] for r in polls["aiohttp floor"]]
    poll_share = harness.paired_ratios(sim_rate, floor_rate)
    errors = sum(r["errors"] for rs in polls.values() for r in rs)
    ours_s, ffmpeg_s = harness.spread(render["ours"]), harness.spread(render["ffmpeg"])
    sim_p99 = harness.spread([r["p99_ms"] for r in polls["simulator"]])
    checks = [
        harness.Check(
            "render 5 s 720p + audio, ours / ffmpeg floor (time)",
            render_ratio["median"],
            "x",
            f"<= {TARGET_RENDER_RATIO:g}x ffmpeg CLI",
            render_ratio["median"] <= TARGET_RENDER_RATIO,
            f"{ours_s['median']:.2f} s vs {ffmpeg_s['median']:.2f} s; per-round "
            f"{render_ratio['min']:.2f}-{render_ratio['max']:.2f}x over {render_ratio['n']} rounds",
        ),
        harness.ratio_check(
            f"polls/s at {CONCURRENCY} connections, simulator / aiohttp floor",
            poll_share,
            at_least=TARGET_POLL_SHARE,
            absolute=(
                f"{statistics.median(sim_rate):,.0f} vs {statistics.median(floor_rate):,.0f}/s, "
                f"simulator p99 {sim_p99['median']:.1f} ms"
            ),
            peer="bare aiohttp",
        ),
        harness.Check("poll errors", errors, "", "= 0", errors == 0),
    ]
    cpu = harness.cpu_model()
    pictures = [
        charts.chart(
            "simulator-render",
            "Render 5 s 720p 24 fps + audio (5 interleaved rounds)",
            {"simulator render": render["ours"], "ffmpeg CLI floor": render["ffmpeg"]},
            unit="s",
            subtitle=cpu,
        ),
        charts.chart(
            "simulator-polls",
            f"Polls/s at {CONCURRENCY} keep-alive connections ({args.rounds} rounds)",
            {"simulator": sim_rate, "bare aiohttp floor": floor_rate},
            unit="/s",
            subtitle=cpu,
            lower_is_better=False,
        ),
    ]
    headline = (
        f"render {render_ratio['median']:.2f}x ffmpeg (<= {TARGET_RENDER_RATIO:g}x; "
        f"{ours_s['median']:.2f} s vs {ffmpeg_s['median']:.2f} s), polls "
        f"{poll_share['median']:.2f}x bare aiohttp (>= {TARGET_POLL_SHARE:g}x; "
        f"{statistics.median(sim_rate):,.0f}/s, p99 {sim_p99['median']:.1f} ms)"
    )
    return harness.finish(
        NAME,
        "Simulator: render time and poll rate against their floors",
        checks,
        {"render": render, "render_ratio": render_ratio, "polls": polls, "poll_share": poll_share},
        command=".venv/bin/python benchmarks/bench_simulator.py",
        headline=headline,
        charts=pictures,
        notes=(
            "Render: 1600x900 photo-like image -> 1280x720 24 fps H.264 + AAC in-process "
            "(push-in motion) vs `ffmpeg -loop 1 ... -vf scale=1280:720 -c:v libx264 "
            "-preset ultrafast -c:a aac` on the same image (no motion), 5 alternating rounds. "
            "Polls: `python -m seedance_simulator --fast` and a bare aiohttp server returning "
            "the same bytes, each its own process; load from a separate process (aiohttp, "
            f"{CONCURRENCY} keep-alive connections, {args.seconds:g} s after a 0.5 s warm-up), "
            f"{args.rounds} alternating rounds."
        ),
    )


if __name__ == "__main__":
    sys.exit(main())
