"""Stitching shots into a film: ``shared_client``'s stitcher against Debian's ``ffmpeg``.

1. Without re-encoding: three 5 s 1080p 24 fps H.264 + AAC shots sharing their codec
   parameters (what one model at one resolution returns). Ours (``stitch_videos``, a PyAV
   remux) against ``ffmpeg -f concat -safe 0 -c copy`` on the same files, interleaved
   (ours, ffmpeg, ours, ffmpeg, ...) over ``COPY_ROUNDS`` rounds. Targets: ours <= 2x
   ffmpeg's median, and <= 64 MiB extra memory (peak RSS growth of the stitching process:
   ``VmHWM`` after the stitch minus ``VmRSS`` before it, the peak reset first).
2. With re-encoding: the same first shot, a 720p second shot and a third with 48 kHz
   audio, so the parameters differ and both sides must decode, scale and encode (libx264
   and AAC at their defaults on both sides; ffmpeg with the ``concat`` filter, scaling to
   1080p and resampling to 44.1 kHz as ours does). Reported the same way, no target.

Ours is timed around the library call in a fresh child process (what a worker or ComfyUI
does: the interpreter and PyAV are already loaded), ffmpeg as its whole process (it is
used as one); ours as a whole process (interpreter start and imports included) is
reported beside it. Both outputs are decoded to check they hold the 15 s.

Debian's ``ffmpeg`` is the reference; it is installed when ``command -v ffmpeg`` fails.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import harness

NAME = "bench_stitch"
COPY_ROUNDS = 7
REENCODE_ROUNDS = 5
TARGET_COPY_RATIO = 2.0
TARGET_EXTRA_MIB = 64.0


def ensure_ffmpeg() -> str:
    """Debian's ffmpeg, installed (apt-get) only when it is missing."""
    path = shutil.which("ffmpeg")
    if path:
        return path
    install = ["apt-get", "install", "-y", "-q", "ffmpeg"]
    if subprocess.run(install, capture_output=True, check=False).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], capture_output=True, check=True)
        subprocess.run(install, capture_output=True, check=True)
    path = shutil.which("ffmpeg")
    if not path:
        raise SystemExit("ffmpeg could not be installed")
    return path


def make_shot(
    path: Path, shade: int, size: tuple[int, int] = (1920, 1080), rate: int = 44_100
) -> None:
    """A 5 s 24 fps H.264 shot with an AAC tone (what a generation returns)."""
    import av
    import numpy as np

    width, height = size
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=24, options={"preset": "ultrafast"})
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        audio = out.add_stream("aac", rate=rate, layout="stereo")
        base = np.zeros((height, width, 3), np.uint8)
        for i in range(5 * 24):
            base[:, :, 0] = (shade + i) % 256
            base[::8, :, 1] = (i * 3) % 256
            for packet in video.encode(av.VideoFrame.from_ndarray(base, format="rgb24")):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
        t = np.arange(5 * rate, dtype=np.float32) / rate
        tone = np.stack([np.sin(2 * np.pi * 330 * t)] * 2).astype(np.float32) * 0.3
        frame = av.AudioFrame.from_ndarray(tone, format="fltp", layout="stereo")
        frame.sample_rate, frame.time_base, frame.pts = rate, Fraction(1, rate), 0
        for packet in [*audio.encode(frame), *audio.encode()]:
            out.mux(packet)


def child_stitch(dest: str, shots: list[str]) -> None:
    """In a fresh process: RSS before, time and peak RSS of one stitch call."""
    from shared_client import Clip, stitch_videos

    baseline = harness.proc_status_kib()["VmRSS"]
    harness.reset_peak_rss()
    started = time.perf_counter()
    _, reencoded = stitch_videos([Clip(Path(p)) for p in shots], Path(dest))
    seconds = time.perf_counter() - started
    peak = harness.proc_status_kib()["VmHWM"]
    harness.emit_child_result(
        {"seconds": seconds, "extra_mib": (peak - baseline) / 1024, "reencoded": reencoded}
    )


def _run(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MiB, from wait4) and stdout of one child process."""
    started = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    out = proc.stdout.read().decode() if proc.stdout else ""
    err = proc.stderr.read().decode() if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{args[0]} failed: {err[-2000:]}")
    return seconds, usage.ru_maxrss / 1024, out


def ours(shots: list[Path], dest: Path) -> dict[str, Any]:
    args = [sys.executable, __file__, "--child", dest.as_posix(), *(p.as_posix() for p in shots)]
    wall, peak, out = _run(args, env=harness.child_env())
    return {**json.loads(out.strip().splitlines()[-1]), "process_seconds": wall, "peak_mib": peak}


def ffmpeg(binary: str, shots: list[Path], dest: Path, reencode: bool) -> dict[str, Any]:
    if reencode:
        inputs = [arg for p in shots for arg in ("-i", str(p))]
        chains = "".join(
            f"[{i}:v]scale=1920:1080,setsar=1,format=yuv420p[v{i}];"
            f"[{i}:a]aresample=44100,aformat=channel_layouts=stereo[a{i}];"
            for i in range(len(shots))
        )
        pairs = "".join(f"[v{i}][a{i}]" for i in range(len(shots)))
        graph = f"{chains}{pairs}concat=n={len(shots)}:v=1:a=1[v][a]"
        codec = ["-filter_complex", graph, "-map", "[v]", "-map", "[a]",
                 "-c:v", "libx264", "-c:a", "aac"]  # fmt: skip
    else:
        listing = dest.with_suffix(".txt")
        listing.write_text("".join(f"file '{p.as_posix()}'\n" for p in shots))
        inputs = ["-f", "concat", "-safe", "0", "-i", str(listing)]
        codec = ["-c", "copy"]
    seconds, peak, _ = _run([binary, "-v", "error", "-y", *inputs, *codec, str(dest)])
    return {"process_seconds": seconds, "peak_mib": peak}


def decoded_seconds(path: Path) -> float:
    """Every frame decoded: the last frame's time plus one frame."""
    import av

    with av.open(str(path)) as container:
        rate = float(container.streams.video[0].average_rate)
        times = [float(f.time) for f in container.decode(video=0)]
    return max(times) + 1 / rate


def spread(values: list[float]) -> str:
    return (
        f"median {statistics.median(values):.3f} s (min {min(values):.3f}, max {max(values):.3f})"
    )


def side_by_side(
    binary: str, shots: list[Path], folder: Path, rounds: int, reencode: bool
) -> dict[str, Any]:
    mine: list[dict[str, Any]] = []
    theirs: list[dict[str, Any]] = []
    tag = "enc" if reencode else "copy"
    for i in range(rounds):  # interleaved: drift on a shared machine hits both sides
        mine.append(ours(shots, folder / f"ours-{tag}-{i}.mp4"))
        assert mine[-1]["reencoded"] is reencode, mine[-1]
        theirs.append(ffmpeg(binary, shots, folder / f"ff-{tag}-{i}.mp4", reencode))
    lengths = [decoded_seconds(folder / f"{who}-{tag}-0.mp4") for who in ("ours", "ff")]
    return {
        "ours_call_seconds": [r["seconds"] for r in mine],
        "ours_process_seconds": [r["process_seconds"] for r in mine],
        "ours_extra_mib": [r["extra_mib"] for r in mine],
        "ffmpeg_seconds": [r["process_seconds"] for r in theirs],
        # wait4's peak RSS of a forked child starts at the launcher's own RSS (~136 MiB
        # here), so it says something only when ffmpeg goes above that (re-encoding)
        "ffmpeg_peak_mib": [r["peak_mib"] for r in theirs] if reencode else None,
        "decoded_seconds_ours_ffmpeg": lengths,
    }


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child_stitch(sys.argv[2], sys.argv[3:])
        return 0
    binary = ensure_ffmpeg()
    load_before = os.getloadavg()[0]
    version = subprocess.run([binary, "-version"], capture_output=True, text=True).stdout.split()[2]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        same = [folder / f"shot{i}.mp4" for i in range(3)]
        for i, shot in enumerate(same):
            make_shot(shot, 60 * i)
        mixed = [same[0], folder / "shot1-720p.mp4", folder / "shot2-48k.mp4"]
        make_shot(mixed[1], 60, size=(1280, 720))
        make_shot(mixed[2], 120, rate=48_000)
        copy = side_by_side(binary, same, folder, COPY_ROUNDS, reencode=False)
        enc = side_by_side(binary, mixed, folder, REENCODE_ROUNDS, reencode=True)
    med = statistics.median
    copy_ratio = med(copy["ours_call_seconds"]) / med(copy["ffmpeg_seconds"])
    enc_ratio = med(enc["ours_call_seconds"]) / med(enc["ffmpeg_seconds"])
    extra = max(copy["ours_extra_mib"])
    lengths = [*copy["decoded_seconds_ours_ffmpeg"], *enc["decoded_seconds_ours_ffmpeg"]]
    lengths_ok = all(abs(s - 15.0) < 0.1 for s in lengths)
    checks = [
        harness.Check("stitch without re-encoding, ours / ffmpeg -c copy", copy_ratio, "x",
                      f"<= {TARGET_COPY_RATIO:g}x", copy_ratio <= TARGET_COPY_RATIO,
                      f"ours {spread(copy['ours_call_seconds'])} vs ffmpeg "
                      f"{spread(copy['ffmpeg_seconds'])}, {COPY_ROUNDS} interleaved rounds"),
        harness.Check("stitch without re-encoding, extra memory (worst round)", extra, " MiB",
                      f"<= {TARGET_EXTRA_MIB:g} MiB", extra <= TARGET_EXTRA_MIB,
                      "peak RSS growth of the stitching process (VmHWM - VmRSS before)"),
        harness.Check("stitch with re-encoding, ours / ffmpeg", enc_ratio, "x",
                      "(reported)", True,
                      f"ours {spread(enc['ours_call_seconds'])} vs ffmpeg "
                      f"{spread(enc['ffmpeg_seconds'])}, {REENCODE_ROUNDS} interleaved rounds"),
        harness.Check("both outputs decode to the shots' 15 s", float(lengths_ok), "",
                      "1 (yes)", lengths_ok,
                      f"copy {copy['decoded_seconds_ours_ffmpeg']}, "
                      f"re-encode {enc['decoded_seconds_ours_ffmpeg']} (ours, ffmpeg)"),
    ]  # fmt: skip
    cpu = harness.machine()["cpu"]
    load = f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
    notes = (
        f"CPU: {cpu} ({load}). ffmpeg {version} (Debian). "
        "Shots: 5 s 1080p 24 fps H.264 (ultrafast) + AAC 44.1 kHz stereo; "
        "re-encode case: shot 2 at 720p, shot 3 with 48 kHz audio. "
        f"Without re-encoding, ours as a whole process (interpreter + imports): "
        f"{spread(copy['ours_process_seconds'])}. With re-encoding: ours as a whole process "
        f"{spread(enc['ours_process_seconds'])}; extra memory of the stitching process "
        f"{max(enc['ours_extra_mib']):.0f} MiB (decoders, scaler, libx264's look-ahead); "
        f"ffmpeg's peak RSS {statistics.median(enc['ffmpeg_peak_mib']):.0f} MiB (from wait4; "
        "not given for the copy case, where it only shows the launching process's own "
        "RSS, which a forked child's peak starts from)."
    )
    return harness.finish(
        NAME,
        "Stitching shots: ours vs ffmpeg (copy and re-encode)",
        checks,
        {"copy": copy, "reencode": enc, "ffmpeg": version, "cpu": cpu},
        command=".venv/bin/python benchmarks/bench_stitch.py",
        notes=notes,
    )


if __name__ == "__main__":
    sys.exit(main())
