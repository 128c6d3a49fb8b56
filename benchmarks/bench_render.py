"""Time the simulator's renderer: `.venv/bin/python benchmarks/bench_render.py`.

Why: the issue sets a budget (a 5 s 720p render with audio in a few seconds on 2 cores);
this prints the figure that goes into docs/benchmarks.md so anyone can re-measure it.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import av
import numpy as np
from PIL import Image

from seedance_simulator.render import RenderParams, render_mp4

CASES: list[tuple[str, RenderParams, bool]] = [
    ("720p 16:9 5 s, audio, push-in", RenderParams("720p", "16:9", 5, True, "push_in"), False),
    ("720p 16:9 5 s, audio, cross-fade", RenderParams("720p", "16:9", 5, True, "zoom_in"), True),
    ("1080p 16:9 5 s, audio, pan", RenderParams("1080p", "16:9", 5, True, "pan_left"), False),
    ("480p 9:16 5 s, audio, tracking", RenderParams("480p", "9:16", 5, True, "tracking"), False),
    ("fast mode 5 s, audio", RenderParams("720p", "16:9", 5, True, "push_in", fast=True), False),
]


def _photo_like(seed: int) -> Image.Image:
    """A 1600x900 image with gradients and noise: compresses like a photo, not flat colour."""
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:900, 0:1600].astype(np.float32)
    base = np.stack([xs / 1600 * 255, ys / 900 * 255, (xs + ys) / 2500 * 255], axis=-1)
    noise = rng.normal(0, 12, base.shape)
    return Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8), "RGB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    image, last = _photo_like(1), _photo_like(2)
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"PyAV {av.__version__}, python {platform.python_version()}"
    )
    print("| case | output | median s | min s | size MB |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for label, params, fade in CASES:
            times = []
            for i in range(args.repeat):
                dest = Path(tmp) / f"{i}.mp4"
                start = time.perf_counter()
                render_mp4(image, params, dest, last_image=last if fade else None)
                times.append(time.perf_counter() - start)
            with av.open(str(dest)) as c:
                v = c.streams.video[0].codec_context
                shape = f"{v.width}x{v.height}@{c.streams.video[0].average_rate}"
            size = dest.stat().st_size / 1e6
            print(
                f"| {label} | {shape} | {statistics.median(times):.2f} | {min(times):.2f} "
                f"| {size:.1f} |"
            )


if __name__ == "__main__":
    main()
