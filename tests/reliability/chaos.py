"""The chaos harness: many generations through ``AsyncSeedanceClient`` under injected faults.

Why a harness and not a test: the same run, at two sizes (about 100 generations in
``make test``, 1,000 in ``make soak``), must prove the same properties, and its figures
go into ``docs/reliability.md``. Each generation uploads its image (bytes), submits,
waits and downloads; every outcome is then checked against the simulator's own state,
read directly as an oracle (the client is never trusted to grade itself):

* a completed generation's file is byte-identical to the simulator's rendered output;
* every error is a ``SeedanceError``; once a prediction exists its id is in the error;
* no request reached the server twice (per request-fingerprint and per unique prompt);
* every task the server created is accounted for by exactly one client outcome (a
  prediction id the client knew, or an uncertain submit whose fingerprint matches).
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from seedance_simulator import FaultConfig, Simulator
from seedance_simulator.state import fingerprint as server_fingerprint
from shared_client import (
    AsyncSeedanceClient,
    ImageToVideoRequest,
    Prediction,
    RetryPolicy,
    SeedanceError,
    SubmissionUncertainError,
)

logger = logging.getLogger(__name__)

#: 20% of every eligible request hits a transport fault, spread over every kind the
#: simulator has; 20% of tasks fail during generation; 20% of submits that create a task
#: answer 502 anyway (the "ambiguous submit" a gateway produces).
CHAOS_FAULTS = FaultConfig(
    rate_429=0.04,
    retry_after=0.2,
    rate_500=0.04,
    rate_502=0.03,
    rate_503=0.03,
    html_fraction=0.5,
    rate_reset=0.03,
    rate_slow=0.03,
    slow_seconds=0.5,
    failed_generation=0.2,
    ambiguous_submit=0.2,
)


@dataclass
class Outcome:
    """How one generation ended, as the caller saw it."""

    index: int
    prompt: str
    stage: str  # "done" | "submit" | "wait" | "download"
    prediction_id: str | None = None
    path: str | None = None
    error_type: str | None = None
    error: str | None = None
    error_prediction_id: str | None = None
    fingerprint: str | None = None


@dataclass
class ChaosReport:
    """Figures of one run plus every property violation found (empty when all hold)."""

    generations: int
    concurrency: int
    seconds: float
    outcomes: Counter[str] = field(default_factory=Counter)
    error_types: Counter[str] = field(default_factory=Counter)
    server_tasks: int = 0
    server_submissions: int = 0
    max_submissions_per_fingerprint: int = 0
    faults_injected: dict[str, int] = field(default_factory=dict)
    responses_by_status: dict[str, int] = field(default_factory=dict)
    requests: int = 0
    bytes_verified: int = 0
    violations: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        data = asdict(self)
        data["outcomes"] = dict(self.outcomes)
        data["error_types"] = dict(self.error_types)
        data["violations"] = self.violations[:50]
        data["violation_count"] = len(self.violations)
        return data


def make_images(count: int) -> list[bytes]:
    """Distinct small PNGs, so several different videos are rendered and compared."""
    images = []
    for i in range(count):
        img = Image.new("RGB", (96, 64), (40 + 50 * i % 200, 90, 160 - 30 * i % 150))
        for x in range(0, 96, 8):
            img.putpixel((x, (x * (i + 1)) % 64), (255, 255, 255))
        buffer = io.BytesIO()
        img.save(buffer, format="PNG")
        images.append(buffer.getvalue())
    return images


def prompt_for(index: int) -> str:
    """A unique prompt per generation: it identifies the request in the server's state."""
    return f"chaos generation #{index}: slow push-in on the product, soft light"


async def _one(
    client: AsyncSeedanceClient,
    index: int,
    image: bytes,
    out_dir: Path,
    gate: asyncio.Semaphore,
) -> Outcome:
    prompt = prompt_for(index)
    request = ImageToVideoRequest(
        prompt=prompt,
        image=image,
        resolution="480p",
        duration=4,
        generate_audio=index % 2 == 0,
    )
    outcome = Outcome(index=index, prompt=prompt, stage="submit")
    async with gate:
        try:
            prediction: Prediction = await client.submit(request)
            outcome.prediction_id, outcome.stage = prediction.id, "wait"
            done = await client.wait(
                prediction.id, result_url=prediction.result_url, timeout=120, poll_interval=0.25
            )
            outcome.stage = "download"
            path = await client.download(done, out_dir)
            outcome.stage, outcome.path = "done", str(path)
        except SeedanceError as exc:
            outcome.error_type = type(exc).__name__
            outcome.error = str(exc)
            outcome.error_prediction_id = exc.prediction_id
            if isinstance(exc, SubmissionUncertainError):
                outcome.fingerprint = exc.fingerprint
        except Exception as exc:  # anything else is itself a violation, recorded below
            outcome.error_type = f"UNTYPED:{type(exc).__name__}"
            outcome.error = repr(exc)
    return outcome


def _server_view(sim: Simulator) -> dict[str, dict[str, Any]]:
    """The simulator's tasks, read on its loop: the oracle every outcome is checked against."""
    state = sim._ctx.state  # test oracle: the server's own record of what it created

    def snapshot() -> dict[str, dict[str, Any]]:
        return {
            tid: {
                "prompt": task.input.get("prompt"),
                "fingerprint": server_fingerprint(task.model, task.input),
                "status": task.status,
                "output_file": task.output_file,
            }
            for tid, task in state.tasks.items()
        }

    return sim._call(snapshot)  # type: ignore[no-any-return]


async def run_chaos(
    sim: Simulator,
    *,
    generations: int,
    concurrency: int,
    out_dir: Path,
    faults: FaultConfig = CHAOS_FAULTS,
    retry: RetryPolicy | None = None,
    image_count: int = 4,
) -> ChaosReport:
    """Run ``generations`` through one shared async client, then check every property."""
    sim.set_faults(faults, seed=sim._ctx.injector.seed)
    sim.reset_stats()
    images = make_images(image_count)
    out_dir.mkdir(parents=True, exist_ok=True)
    gate = asyncio.Semaphore(concurrency)
    started = time.monotonic()
    async with AsyncSeedanceClient(
        api_key=sim.api_key, base_url=sim.base_url, retry=retry or RetryPolicy()
    ) as client:
        outcomes = await asyncio.gather(
            *(_one(client, i, images[i % len(images)], out_dir, gate) for i in range(generations))
        )
    report = ChaosReport(generations, concurrency, round(time.monotonic() - started, 1))
    sim.set_faults(FaultConfig())  # stop injecting before reading state
    check(report, outcomes, _server_view(sim), sim.stats(), out_dir)
    return report


def check(
    report: ChaosReport,
    outcomes: list[Outcome],
    tasks: dict[str, dict[str, Any]],
    stats: dict[str, Any],
    out_dir: Path,
) -> None:
    """Fill ``report`` with figures and every violated property."""
    v = report.violations
    by_fp = stats["submissions_by_fingerprint"]
    report.server_tasks = len(tasks)
    report.server_submissions = stats["submissions"]
    report.max_submissions_per_fingerprint = max(by_fp.values(), default=0)
    report.faults_injected = stats["faults_injected"]
    report.responses_by_status = stats["responses_by_status"]
    report.requests = stats["requests"]
    for fp, count in by_fp.items():
        if count != 1:
            v.append(f"fingerprint {fp[:16]} submitted {count} times")
    tasks_by_prompt: dict[str, list[str]] = {}
    for tid, task in tasks.items():
        tasks_by_prompt.setdefault(str(task["prompt"]), []).append(tid)
    accounted: set[str] = set()
    for o in outcomes:
        label = o.stage if o.stage == "done" else f"failed at {o.stage}"
        report.outcomes[label] += 1
        if o.error_type:
            report.error_types[o.error_type] += 1
        mine = tasks_by_prompt.get(o.prompt, [])
        if len(mine) > 1:
            v.append(f"#{o.index}: {len(mine)} server tasks for one request: {mine}")
        if o.error_type and o.error_type.startswith("UNTYPED"):
            v.append(f"#{o.index}: untyped error {o.error}")
        if o.prediction_id is not None:
            accounted.add(o.prediction_id)
            if mine != [o.prediction_id]:
                v.append(f"#{o.index}: client id {o.prediction_id} but server tasks {mine}")
            if o.stage != "done" and o.prediction_id not in f"{o.error} {o.error_prediction_id}":
                v.append(
                    f"#{o.index}: {o.error_type} after submit does not name "
                    f"{o.prediction_id}: {o.error}"
                )
        elif o.fingerprint is not None:  # uncertain submit: created zero or one task
            for tid in mine:
                accounted.add(tid)
                if tasks[tid]["fingerprint"] != o.fingerprint:
                    v.append(f"#{o.index}: uncertain submit's fingerprint does not match {tid}")
        elif mine:
            v.append(f"#{o.index}: failed before submit ({o.error_type}) yet task {mine} exists")
        if o.stage == "done":
            _check_bytes(report, o, tasks)
    lost = set(tasks) - accounted
    if lost:
        v.append(f"{len(lost)} server tasks unaccounted for by any outcome: {sorted(lost)[:5]}")
    leftovers = [p.name for p in out_dir.iterdir() if p.name.endswith(".part")]
    if leftovers:
        v.append(f"partial files left behind: {leftovers[:5]}")
    logger.info("chaos report: %s", json.dumps(report.summary(), default=str))


def _check_bytes(report: ChaosReport, o: Outcome, tasks: dict[str, dict[str, Any]]) -> None:
    task = tasks.get(o.prediction_id or "")
    source = task and task["output_file"]
    if not source or not o.path:
        report.violations.append(f"#{o.index}: completed but the server has no output file")
        return
    got, want = Path(o.path).read_bytes(), Path(source).read_bytes()
    if got != want:
        report.violations.append(
            f"#{o.index}: downloaded {len(got)} bytes differ from the server's {len(want)}"
        )
    else:
        report.bytes_verified += len(got)
