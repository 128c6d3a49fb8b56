"""``make bench``: run every benchmark, then render ``docs/benchmarks.md`` from the results.

Why one runner: the figures in the docs must be the ones the scripts just measured, on
this machine, today; each script writes ``benchmarks/results/<name>.json`` and this
turns them into one table (figure, comparison, target, pass/fail, machine, date,
command) plus per-benchmark notes. Exits non-zero if any target was missed.

    .venv/bin/python benchmarks/run_all.py                 # all (about 10 minutes on 2 cores)
    .venv/bin/python benchmarks/run_all.py --only bench_download
    .venv/bin/python benchmarks/run_all.py --render-only   # rebuild the doc from results/
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from typing import Any

import harness

#: Cheap ones first; the triggerer density run (about 4 minutes) last.
BENCHMARKS: tuple[tuple[str, str, float], ...] = (
    # (script name, issue number, time limit in seconds)
    ("bench_simulator", "5", 180),
    ("bench_comfy_node", "6", 180),
    ("bench_story", "16", 900),
    ("bench_stitch", "16", 900),
    ("bench_download", "4", 300),
    ("bench_sdk_vs_client", "2", 420),
    ("bench_worker_slot", "3", 420),
    ("bench_triggerer_density", "1", 900),
    ("bench_full_stack", "1b", 700),
    ("bench_distributed", "13", 2700),
)
#: Run only when named (``make bench-distributed``): a Celery cluster with Redis and
#: PostgreSQL, two workers and two triggerers, about 30 minutes against a provider-less
#: baseline. ``make bench`` is the single-machine comparisons; both render into one page.
SEPARATE = frozenset({"bench_distributed"})
DOC = harness.REPO_ROOT / "docs" / "benchmarks.md"
SIMULATOR_NOTES = harness.BENCH_DIR / "simulator_notes.md"


def run(names: list[str]) -> dict[str, int]:
    codes: dict[str, int] = {}
    for name, _, limit in BENCHMARKS:
        if (names and name not in names) or (not names and name in SEPARATE):
            continue
        started = time.monotonic()
        try:
            proc = subprocess.run(
                [sys.executable, str(harness.BENCH_DIR / f"{name}.py")],
                env=harness.child_env(),
                cwd=harness.REPO_ROOT,
                timeout=limit,
                capture_output=True,
                text=True,
                check=False,
            )
            summary = proc.stdout.strip().splitlines()[-1:] or [f"FAIL {name}: no summary"]
            codes[name] = proc.returncode
            if proc.returncode not in (0, 1):
                sys.stderr.write(proc.stderr[-3000:])
        except subprocess.TimeoutExpired:
            summary, codes[name] = [f"FAIL {name}: exceeded its {limit} s limit"], 124
        print(f"{summary[0]}  [{time.monotonic() - started:.0f} s]", flush=True)
    return codes


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _value(check: dict[str, Any]) -> str:
    value = check["value"]
    if isinstance(value, float) and value != value:
        return "n/a"
    if isinstance(value, float) and abs(value) < 10:
        text = f"{value:.3g}"
    elif isinstance(value, float):
        text = f"{value:,.1f}"
    else:
        text = f"{value:,}"
    return f"{text}{check['unit']}"


def _machine_text(record: dict[str, Any]) -> str:
    m = record["machine"]
    load = record.get("load_at_start") or []
    load_text = f", load {load[0]:.1f}" if load else ""
    return f"{m['cpu']} x{m['nproc']}{load_text}"


def render() -> str:
    records = []
    for name, issue, _ in BENCHMARKS:
        path = harness.RESULTS_DIR / f"{name}.json"
        if path.exists():
            records.append((issue, json.loads(path.read_text())))
    records.sort(key=lambda r: r[0])
    lines = [
        "# Benchmarks",
        "",
        "Every target below is a **ratio against a named peer measured in the same run** "
        "(what a user would use instead: the library's raw loop, the common Airflow "
        "pattern, ComfyUI's own path, the encoder's or framework's floor). The sides "
        "alternate in rounds (A, B, B, A ...) or share the same time windows, and the "
        "figure is the median of the per-round ratios, so load drifting on a shared "
        "machine hits both sides alike. Absolute figures, their spread and the machine "
        "(CPU model from `/proc/cpuinfo`, load average when the script started) stand "
        "beside each ratio: they depend on the processor, the ratios much less. "
        "`make bench` (`.venv/bin/python benchmarks/run_all.py`) reruns the single-machine "
        "comparisons (about 25 minutes) and rewrites this file and the charts in "
        "`docs/images/`; `make bench-distributed` runs the Celery cluster benchmark (Redis, "
        "PostgreSQL, about 30 minutes) into the same page. Each script alone prints one "
        "summary line and exits non-zero when a target is missed; a row marked "
        "\"reported\" is a figure shown beside the targets and held to none (the reason "
        "is in its target cell).",
        "",
    ]
    machines = {json.dumps(r["machine"], sort_keys=True) for _, r in records}
    for machine_text in sorted(machines):
        m = json.loads(machine_text)
        lines.append(
            f"Machine: {m['nproc']} CPUs ({m['cpu']}), {m['ram_gib']} GiB RAM, "
            f"Linux {m['kernel']}, Python {m['python']}."
        )
    lines += [
        "",
        "Reproduce a row with `.venv/bin/python <script>` from the repository root.",
        "",
        "| # | figure | **measured** | target | absolute figures, spread | result | machine "
        "| date |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for issue, record in records:
        for check in record["checks"]:
            lines.append(
                "| "
                + " | ".join(
                    _cell(x)
                    for x in (
                        issue,
                        check["name"],
                        f"**{_value(check)}**",
                        check["target"],
                        check.get("comparison", ""),
                        "reported"
                        if check.get("reported_only")
                        else "PASS"
                        if check["passed"]
                        else "**MISS**",
                        _machine_text(record),
                        record["date"],
                    )
                )
                + " |"
            )
    lines += ["", "## Per-benchmark notes", ""]
    for issue, record in records:
        lines += [
            f"### {issue}. {record['title']} ({'PASS' if record['passed'] else 'MISS'})",
            "",
            f"Command: `{record['command']}` ({_machine_text(record)}, {record['date']})",
            "",
            record.get("notes", ""),
            "",
        ]
        for chart in record.get("charts", []):
            lines += [f"![{record['title']}]({chart})", ""]
        analysis = harness.BENCH_DIR / "notes" / f"{record['name']}.md"
        if analysis.exists():
            lines += [analysis.read_text().strip(), ""]
    if SIMULATOR_NOTES.exists():
        lines += ["## Simulator details", "", SIMULATOR_NOTES.read_text().split("\n", 1)[1].strip()]
    return "\n".join(lines).rstrip() + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", default=[], help="benchmark name (repeat)")
    parser.add_argument("--render-only", action="store_true")
    args = parser.parse_args()
    codes = {} if args.render_only else run(args.only)
    DOC.write_text(render())
    print(f"wrote {DOC.relative_to(harness.REPO_ROOT)}")
    failed = [name for name, code in codes.items() if code != 0]
    if failed:
        print(f"targets missed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
