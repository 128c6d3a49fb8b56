"""A story's wall time against its critical path, on the simulator with a fixed generation time.

A board whose longest chain is three dependent shots (``continue``: each waits for the
previous one's last frame), plus two independent ``cut`` shots, against the same
three-shot chain alone, interleaved (story, chain, story, chain, ...) over ``ROUNDS``
rounds on one simulator whose generation time is fixed. Target: story / chain <= 1.10 on
the medians (the independent shots run beside the chain, not after it). The chain alone
is the critical path as actually executed (generation, download, last-frame extraction
and upload of each link); its ideal, ``3 x GENERATION_TIME``, is reported beside it.

The stitching benchmark (ours against ``ffmpeg``) is ``bench_stitch.py``.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import harness

NAME = "bench_story"
ROUNDS = 5
GENERATION_TIME = 4.0
TARGET_CRITICAL_PATH = 1.10


def story_rounds(folder: Path) -> tuple[list[float], list[float]]:
    from seedance_simulator import Simulator
    from shared_client import AsyncSeedanceClient, Storyboard

    chain = [{"prompt": "a door opens", "duration": 4},
             {"prompt": "she steps out", "duration": 4, "join": "continue"},
             {"prompt": "she looks up", "duration": 4, "join": "continue"}]  # fmt: skip
    extra = [{"prompt": "city at dawn", "duration": 4}, {"prompt": "a red car", "duration": 4}]
    story_times, chain_times = [], []
    with Simulator(
        api_key=harness.BENCH_API_KEY, fast=True, generation_time=GENERATION_TIME
    ) as sim:

        async def run(shots: list[dict[str, Any]], title: str) -> float:
            board = Storyboard.from_dict({"title": title, "tier": "mini",
                                          "resolution": "480p", "shots": shots})  # fmt: skip
            async with AsyncSeedanceClient(api_key=harness.BENCH_API_KEY,
                                           base_url=sim.base_url) as client:  # fmt: skip
                started = time.perf_counter()
                await client.generate_story(board, folder / title, poll_interval=0.25)
                return time.perf_counter() - started

        for i in range(ROUNDS):
            story_times.append(asyncio.run(run(chain + extra, f"story-{i}")))
            chain_times.append(asyncio.run(run(chain, f"chain-{i}")))
    return story_times, chain_times


def spread(values: list[float]) -> str:
    return (
        f"median {statistics.median(values):.2f} s (min {min(values):.2f}, max {max(values):.2f})"
    )


def main() -> int:
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        story, chain = story_rounds(Path(tmp))
    ratio = statistics.median(story) / statistics.median(chain)
    ideal = 3 * GENERATION_TIME
    checks = [
        harness.Check("story wall time / its critical path alone (medians)", ratio, "x",
                      f"<= {TARGET_CRITICAL_PATH:g}x", ratio <= TARGET_CRITICAL_PATH,
                      f"5-shot story {spread(story)} vs its 3-shot chain {spread(chain)}, "
                      f"{ROUNDS} interleaved rounds"),
        harness.Check("story wall time / ideal critical path (3 x generation time)",
                      statistics.median(story) / ideal, "x", "(reported)", True,
                      f"{statistics.median(story):.2f} s vs {ideal:.1f} s"),
    ]  # fmt: skip
    return harness.finish(
        NAME,
        "Stories: wall time vs critical path",
        checks,
        {"story_seconds": story, "chain_seconds": chain, "generation_time": GENERATION_TIME},
        command=".venv/bin/python benchmarks/bench_story.py",
        notes=(
            f"CPU: {harness.machine()['cpu']} (load average {load_before:.1f} before, "
            f"{os.getloadavg()[0]:.1f} after). Simulator in fast mode, generation time "
            f"{GENERATION_TIME:g} s per shot, poll interval 0.25 s; mini tier, 480p, 4 s shots. "
            "The story: three continue-shots plus two independent cut shots; the chain: the "
            "three continue-shots alone. Both include downloading, last-frame extraction and "
            "stitching; each round uses a new folder, so nothing is reused."
        ),
    )


if __name__ == "__main__":
    sys.exit(main())
