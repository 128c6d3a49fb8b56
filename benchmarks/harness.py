"""What every benchmark shares: OS accounting, child processes, checks and result files.

Why one module: each benchmark must measure the same way (memory from ``/proc``, CPU
from process times, counts from the simulator's own stats), print exactly one summary
line, exit non-zero on a missed target and leave its figures as JSON for ``run_all.py``
to render. Keeping that here keeps each ``bench_*.py`` about what it measures.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
#: Charts live with the docs that show them (``docs/benchmarks.md`` links them).
IMAGES_DIR = REPO_ROOT / "docs" / "images"
#: Every benchmark shares this key with the simulator it starts; it is not a real key.
BENCH_API_KEY = "bench-key-not-a-secret"
I2V_MODEL = "bytedance/seedance-2.0-mini/image-to-video"


@dataclass(frozen=True)
class Check:
    """One target: the figure, the comparison it is held to, and whether it held."""

    name: str
    value: float
    unit: str
    target: str
    passed: bool
    comparison: str = ""
    #: A figure reported beside the targets, held to none (the reason is in ``target``).
    reported_only: bool = False


def cpu_model() -> str:
    """The processor's model name from ``/proc/cpuinfo`` (what absolute figures depend on)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, Any]:
    """The machine a figure was measured on (ratios travel; absolute figures do not)."""
    cpu = cpu_model()
    ram_gib = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gib = int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": round(ram_gib, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def proc_status_kib(pid: int | str = "self") -> dict[str, int]:
    """VmRSS / VmHWM (peak RSS) of a process in KiB, from the kernel's own accounting."""
    values: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values


def reset_peak_rss(pid: int | str = "self") -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0: write 5 to clear_refs)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def cpu_seconds(*, children: bool = False) -> float:
    """User + system CPU time of this process (optionally of its waited-for children)."""
    t = os.times()
    total = t.user + t.system
    if children:
        total += t.children_user + t.children_system
    return total


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (no interpolation: it is a value that was measured)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, round(pct / 100 * len(ordered) + 0.4999))
    return ordered[min(rank, len(ordered)) - 1]


def summarise(values: Sequence[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50": statistics.median(values) if values else float("nan"),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
        "max": max(values) if values else float("nan"),
    }


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for a measured child: no proxies (loopback only), repo importable."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k.lower() not in ("http_proxy", "https_proxy", "all_proxy")
    }
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost,::1"
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO_ROOT), str(BENCH_DIR), env.get("PYTHONPATH", "")) if p
    )
    if extra:
        env.update(extra)
    return env


@contextlib.contextmanager
def simulator_process(generation_time: str) -> Iterator[str]:
    """A fast-mode simulator in its own process (its CPU is not the measured side's);
    yields its base URL and stops it afterwards."""
    sim = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "seedance_simulator",
            "--port",
            "0",
            "--fast",
            "--api-key",
            BENCH_API_KEY,
            "--generation-time",
            generation_time,
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=child_env(),
        cwd=REPO_ROOT,
    )
    try:
        assert sim.stdout is not None
        yield sim.stdout.readline().strip()
    finally:
        sim.terminate()
        sim.wait(10)


def run_child(
    script: str | Path, args: Sequence[str], *, timeout: float, env: dict[str, str] | None = None
) -> dict[str, Any]:
    """Run ``python script args`` in its own process; its last stdout line is JSON.

    Why a process per measured side: RSS and CPU time then belong to that side alone,
    not to the simulator or to the other side.
    """
    cmd = [sys.executable, str(script), *args]
    proc = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env or child_env(),
        cwd=REPO_ROOT,
        check=False,
    )
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(
            f"child {' '.join(args)} exited {proc.returncode}\n"
            f"stdout tail: {proc.stdout[-2000:]}\nstderr tail: {proc.stderr[-4000:]}"
        )
    return json.loads(lines[-1])  # type: ignore[no-any-return]


def emit_child_result(result: dict[str, Any]) -> None:
    """A child's answer to :func:`run_child`: one JSON line, last on stdout."""
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()


def finish(
    name: str,
    title: str,
    checks: Sequence[Check],
    figures: dict[str, Any],
    *,
    command: str,
    notes: str = "",
    headline: str = "",
    charts: Sequence[str] = (),
) -> int:
    """Write ``results/<name>.json``, print the one summary line, return the exit code."""
    passed = all(c.passed for c in checks if not c.reported_only)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    record = {
        "name": name,
        "title": title,
        "passed": passed,
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "machine": machine(),
        "load_at_start": load_average(),
        "charts": list(charts),
        "command": command,
        "checks": [asdict(c) for c in checks],
        "figures": figures,
        "notes": notes,
    }
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(record, indent=2, sort_keys=False, default=str) + "\n")
    parts = headline or ", ".join(
        f"{c.name} {fmt(c.value)}{c.unit} "
        f"({'reported' if c.reported_only else 'ok' if c.passed else 'MISS'} {c.target})"
        for c in checks
    )
    print(f"{'PASS' if passed else 'FAIL'} {name}: {parts} [{cpu_model()}]", flush=True)
    return 0 if passed else 1


def fmt(value: float) -> str:
    """A figure in three significant digits (thousands with separators, NaN as n/a)."""
    if value != value:  # NaN
        return "n/a"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def png_bytes(width: int = 320, height: int = 180) -> bytes:
    """A small gradient PNG: a real image the simulator will decode and render."""
    import io

    import numpy as np
    from PIL import Image

    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    rgb = np.stack([xs / width * 255, ys / height * 255, (xs + ys) / (width + height) * 255], -1)
    buf = io.BytesIO()
    Image.fromarray(rgb.astype(np.uint8), "RGB").save(buf, format="PNG")
    return buf.getvalue()


class stdout_to_stderr:
    """Send everything written to fd 1 to fd 2 while active (library logs, SDK prints).

    Why: a benchmark's stdout is its one summary line (and a child's is its JSON line);
    Airflow's and the SDK's log handlers hold their own reference to stdout, so only an
    fd-level redirect keeps them off it.
    """

    def __enter__(self) -> stdout_to_stderr:
        sys.stdout.flush()
        self._saved = os.dup(1)
        os.dup2(2, 1)
        return self

    def __exit__(self, *exc_info: object) -> None:
        sys.stdout.flush()
        os.dup2(self._saved, 1)
        os.close(self._saved)


def load_average() -> list[float]:
    """1/5/15-minute load averages: how busy the machine was (other processes included)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


# --- comparisons: interleaved rounds, medians and spread, ratios ----------------------


def interleave(
    sides: Mapping[str, Callable[[int], Any]],
    rounds: int,
    *,
    between: Callable[[], None] | None = None,
    warmup: int = 0,
) -> dict[str, list[Any]]:
    """Run every side once per round, alternating the order (A B, B A, A B ...).

    Why: on a shared machine the load drifts over minutes; running the sides back to back
    in each round (and flipping who goes first) makes that drift hit every side alike, so
    the per-round ratios stay meaningful when the absolute figures do not.
    Each side is called with the round number; its return values are collected in order.
    ``warmup`` untimed rounds first (round numbers -1, -2 ...) keep one-time costs (first
    imports, pools, caches) out of the figures.
    """
    if rounds < 1:
        raise ValueError("rounds must be >= 1")
    names = list(sides)
    for index in range(warmup):
        for name in names:
            sides[name](-1 - index)
    results: dict[str, list[Any]] = {name: [] for name in names}
    for index in range(rounds):
        order = names if index % 2 == 0 else names[::-1]
        for name in order:
            results[name].append(sides[name](index))
            if between is not None:
                between()
    return results


def spread(values: Sequence[float]) -> dict[str, float]:
    """Median and spread of per-round figures: min, max and the relative range."""
    if not values:
        return {"n": 0, "median": float("nan"), "min": float("nan"), "max": float("nan")}
    median = statistics.median(values)
    low, high = min(values), max(values)
    return {
        "n": len(values),
        "median": median,
        "min": low,
        "max": high,
        "rel_range": (high - low) / median if median else float("nan"),
    }


def paired_ratios(numerator: Sequence[float], denominator: Sequence[float]) -> dict[str, Any]:
    """Per-round ratios numerator/denominator (same round = same machine state) and their spread.

    The median of per-round ratios is the headline figure: a slow round slows both sides
    of that round, so it barely moves the ratio.
    """
    if len(numerator) != len(denominator):
        raise ValueError("paired ratios need the same number of rounds on both sides")
    ratios = [a / b if b else float("inf") for a, b in zip(numerator, denominator, strict=True)]
    return {**spread(ratios), "per_round": ratios}


def ratio_check(
    name: str,
    ratio: Mapping[str, Any],
    *,
    at_least: float,
    absolute: str,
    peer: str,
) -> Check:
    """A target held as ``median per-round ratio >= at_least`` against a named peer."""
    value = float(ratio["median"])
    return Check(
        name,
        value,
        "x",
        f">= {at_least:g}x {peer}",
        value >= at_least,
        f"{absolute}; per-round {ratio['min']:.2f}-{ratio['max']:.2f}x over {ratio['n']} rounds",
    )
