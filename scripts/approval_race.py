"""Approve the story's final the moment it asks, many times in a row: is the race gone?

Airflow 3.3 can fail an approval task answered at once (docs/design-notes.md, "A fast
approval"). This loop runs the example ``seedance_story_ad`` DAG on a real deployment
against the simulator, answers each approval as soon as the task waits (REST API, or a
click in headless Chromium within a second of the page showing), and checks every run:
it succeeded, its final film exists, and it paid exactly the draft's and the final's
shots, once each. It also counts how often Airflow's race still failed the ask (the
decision task then applied the recorded answer): that number shows the race was there to
be survived.

    .venv/bin/python scripts/approval_race.py --executor local --runs 20
    .venv/bin/python scripts/approval_race.py --executor celery --runs 20 --answer browser

``make approval-race`` runs both executors (``RUNS=20`` by default); it is not part of
``make test``. Results: ``out/approval-race-<executor>-<answer>.json`` and the summary
printed last; docs/reliability.md records the runs we made.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from seedance_simulator import Simulator  # noqa: E402
from tests.support.airflow_deployment import Deployment, wait_for  # noqa: E402
from tests.support.story_approval import (  # noqa: E402
    APPROVAL_TASK,
    DECISION_TASK,
    AirflowAPI,
    answer_approval,
    approval_url,
    created_tasks,
    install_story_dag,
    run_state,
    run_to_approval,
    story_ad_deployment,
    story_env,
    task_states,
    wait_until_parsed,
)

API_KEY = "approval-race-key-31415"
SHOTS_PER_RUN = 8  # four draft shots, four final shots


@contextlib.contextmanager
def deployment(
    executor: str, root: Path, sim: Simulator
) -> Iterator[tuple[Deployment, AirflowAPI]]:
    if executor == "local":
        with story_ad_deployment(root, sim, API_KEY) as (dep, api):
            yield dep, api
        return
    from tests.support.celery_deployment import running_celery_deployment

    install_story_dag(root / "airflow" / "dags")
    extra = story_env(sim.base_url, API_KEY, root / "out", PYTHONPATH=str(ROOT))
    with running_celery_deployment(root, extra, worker_concurrency=4) as dep:
        api = AirflowAPI(f"http://127.0.0.1:{dep.env['AIRFLOW__API__PORT']}")
        api.wait_ready()
        wait_until_parsed(dep)
        yield dep, api


def click_approve(browser: Any, api: AirflowAPI, detail: dict[str, Any]) -> float:
    """Open the approval page and click Approve as soon as it shows; seconds to the click."""
    page = browser.new_page()
    try:
        page.goto(approval_url(api, detail), wait_until="domcontentloaded")
        button = page.get_by_role("button", name="Approve")
        button.wait_for()
        shown = time.monotonic()
        button.click()
        return time.monotonic() - shown
    finally:
        page.close()


def race(executor: str, runs: int, answer: str, root: Path) -> dict[str, Any]:
    outcomes: list[dict[str, Any]] = []
    with contextlib.ExitStack() as stack:
        sim = stack.enter_context(Simulator(api_key=API_KEY, generation_time=1.0, fast=True))
        dep, api = stack.enter_context(deployment(executor, root, sim))
        browser = None
        if answer == "browser":
            from tests.support.browser import chromium, require_chromium

            require_chromium()
            browser = stack.enter_context(chromium())
        for i in range(runs):
            before = {t["id"] for t in created_tasks(sim, API_KEY)}
            run_id, detail = run_to_approval(dep, api)
            paused = time.monotonic()
            if browser is not None:
                click_s = click_approve(browser, api, detail)
            else:
                answer_approval(api, detail, approve=True)
                click_s = 0.0
            answered_s = time.monotonic() - paused
            state = wait_for(lambda r=run_id: run_state(dep, r), 300, "the run to end", dep)
            states = task_states(dep, run_id)
            new = [t for t in created_tasks(sim, API_KEY) if t["id"] not in before]
            finals = list((root / "out" / "story-ad").glob("*/final/*.mp4"))
            outcome = {
                "run": i + 1,
                "state": state,
                "ask": states.get(APPROVAL_TASK),
                "decision": states.get(DECISION_TASK),
                "answered_after_pause_s": round(answered_s, 2),
                "click_after_page_s": round(click_s, 2),
                "tasks_paid": len(new),
                "finals_so_far": len(finals),
            }
            outcomes.append(outcome)
            print(json.dumps(outcome), flush=True)
            if state != "success":
                print(dep.diagnose(), flush=True)
    ok = [o for o in outcomes if o["state"] == "success" and o["tasks_paid"] == SHOTS_PER_RUN]
    return {
        "executor": executor,
        "answer": answer,
        "runs": runs,
        "succeeded_paid_once": len(ok),
        "race_failed_the_ask": sum(o["ask"] == "failed" for o in outcomes),
        "films": outcomes[-1]["finals_so_far"] if outcomes else 0,
        "outcomes": outcomes,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--executor", choices=("local", "celery"), default="local")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--answer", choices=("api", "browser"), default="api")
    parser.add_argument("--work", type=Path, default=None, help="folder for the deployment")
    args = parser.parse_args()
    import tempfile

    with tempfile.TemporaryDirectory(prefix="approval-race-") as tmp:
        root = args.work or Path(tmp)
        started = time.monotonic()
        summary = race(args.executor, args.runs, args.answer, root)
        summary["wall_s"] = round(time.monotonic() - started, 1)
    out = ROOT / "out" / f"approval-race-{args.executor}-{args.answer}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(summary, indent=2))
    brief = {k: v for k, v in summary.items() if k != "outcomes"}
    print(json.dumps(brief), flush=True)
    return 0 if summary["succeeded_paid_once"] == args.runs == summary["films"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
