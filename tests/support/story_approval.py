"""Bring a ``seedance_story_ad`` run to its approval point, and answer it, over Airflow's API.

For the story e2e (``airflow dags test`` beside an ``api-server`` on the same metadata DB)
and for any later test of the approval screen on a running deployment
(:mod:`tests.support.airflow_deployment`)::

    api = AirflowAPI(f"http://127.0.0.1:{port}")          # SimpleAuthManager, all admins
    run_id = trigger_story_ad(api)                          # or let `dags test` start one
    detail = wait_for_approval(api, run_id=run_id)          # the draft is rendered by now
    detail["body"]        # Markdown: draft film link, contact sheet image URL, final price
    approval_url(api, detail)   # the page a browser opens to approve
    answer_approval(api, detail, approve=True)

The deployment's processes need :func:`story_env` (the connection to the simulator, the
output folder, a short poll interval) in their environment; :func:`story_ad_deployment`
starts one with the example DAG and yields it with its API, and :func:`run_to_approval`
triggers a run and returns it at the approval point::

    with Simulator(api_key=KEY, generation_time=1.0, fast=True) as sim, \
            story_ad_deployment(tmp_path, sim, KEY) as (dep, api):
        run_id, detail = run_to_approval(dep, api)
        ...  # open approval_url(api, detail) in a browser, check the body, press a button
"""

from __future__ import annotations

import contextlib
import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from tests.support.airflow_deployment import (
    Deployment,
    deployment_env,
    running_deployment,
    wait_for,
)
from tests.support.net import free_port
from tests.support.paths import REPO_ROOT

DAG_ID = "seedance_story_ad"
APPROVAL_TASK = "approve_final"
#: The task that applies the answer (``seedance_approval``'s decision): it succeeds on
#: Approve even when Airflow's race failed the ask, and is skipped on Reject.
DECISION_TASK = "approve_final_decision"
#: How often the helpers look for the approval: a test answers "at once", within this.
POLL_SECONDS = 0.2
#: The task really waits: parked (Airflow 3.3+) or deferred to its trigger (3.1-3.2). The
#: request is visible a moment before the task parks; an answer sent in that moment is
#: recorded but, under ``airflow dags test``, never wakes the task (seen under load).
WAITING_STATES = ("awaiting_input", "deferred")


def story_env(base_url: str, api_key: str, output: Path, **extra: str) -> dict[str, str]:
    """What a process running the example needs: the simulator, the folder, fast polling."""
    return {
        "AIRFLOW_CONN_WAVESPEED_DEFAULT": json.dumps(
            {"conn_type": "wavespeed", "password": api_key, "host": base_url}
        ),
        "SEEDANCE_OUTPUT_URI": output.resolve().as_uri(),
        "SEEDANCE_POLL_INTERVAL": "0.5",
        **extra,
    }


class AirflowAPI:
    """Airflow 3's public REST API with a token from the simple auth manager (all admins)."""

    def __init__(self, base_url: str, timeout: float = 30) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = httpx.Client(base_url=self.base_url, timeout=timeout, trust_env=False)
        self._token: str | None = None

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.http.get("/api/v2/monitor/health").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise TimeoutError(f"the api-server at {self.base_url} did not answer")

    def _headers(self) -> dict[str, str]:
        if self._token is None:
            answer = self.http.get("/auth/token")
            answer.raise_for_status()
            self._token = answer.json()["access_token"]
        return {"Authorization": f"Bearer {self._token}"}

    def get(self, path: str, **params: Any) -> Any:
        answer = self.http.get(path, params=params, headers=self._headers())
        answer.raise_for_status()
        return answer.json()

    def send(self, method: str, path: str, body: Any) -> Any:
        answer = self.http.request(method, path, json=body, headers=self._headers())
        answer.raise_for_status()
        return answer.json()


def created_tasks(sim: Any, api_key: str) -> list[dict[str, Any]]:
    """Every task the simulator created (its model and input), oldest first."""
    answer = httpx.post(
        f"{sim.base_url}/api/v3/predictions",
        json={"page_size": 100},
        headers={"Authorization": f"Bearer {api_key}"},
        trust_env=False,
    )
    answer.raise_for_status()
    return list(reversed(answer.json()["data"]["items"]))


def trigger_story_ad(api: AirflowAPI, conf: dict[str, Any] | None = None) -> str:
    """Start a run with no logical date (as the UI's trigger does); return its run id."""
    run = api.send(
        "POST", f"/api/v2/dags/{DAG_ID}/dagRuns", {"logical_date": None, "conf": conf or {}}
    )
    return str(run["dag_run_id"])


def pending_approvals(api: AirflowAPI, run_id: str | None = None) -> list[dict[str, Any]]:
    """The story DAG's approvals nobody has answered yet (optionally of one run)."""
    run = quote(run_id, safe="") if run_id is not None else "~"  # "~": every run
    path = f"/api/v2/dags/{DAG_ID}/dagRuns/{run}/hitlDetails"
    details = api.get(path, response_received=False, task_id=APPROVAL_TASK)["hitl_details"]
    return [
        d
        for d in details
        if d["task_instance"]["task_id"] == APPROVAL_TASK
        and not d.get("response_received")
        and d["task_instance"]["state"] in WAITING_STATES
    ]


def wait_for_approval(
    api: AirflowAPI, run_id: str | None = None, timeout: float = 600, alive: Any = None
) -> dict[str, Any]:
    """Wait until the run asks for approval (the draft is stitched, the final quoted);
    return its HITL detail (``subject``, ``body``, ``task_instance``...). ``alive`` is
    an optional callable that raises if the process running the DAG has died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if alive is not None:
            alive()
        found = pending_approvals(api, run_id)
        if found:
            return found[0]
        time.sleep(POLL_SECONDS)
    raise TimeoutError(f"no pending {APPROVAL_TASK} for {DAG_ID} within {timeout:g} s")


def _path(detail: dict[str, Any]) -> str:
    ti = detail["task_instance"]
    run = quote(ti["dag_run_id"], safe="")
    return f"/api/v2/dags/{DAG_ID}/dagRuns/{run}/taskInstances/{APPROVAL_TASK}/{ti['map_index']}"


def approval_url(api: AirflowAPI, detail: dict[str, Any]) -> str:
    """The UI page of the approval task (where a person sees the body and the buttons)."""
    ti = detail["task_instance"]
    run = quote(ti["dag_run_id"], safe="")
    return f"{api.base_url}/dags/{DAG_ID}/runs/{run}/tasks/{APPROVAL_TASK}/required_actions"


def answer_approval(api: AirflowAPI, detail: dict[str, Any], *, approve: bool) -> dict[str, Any]:
    """Press Approve or Reject through the REST API, as the UI's buttons do."""
    choice = "Approve" if approve else "Reject"
    return dict(
        api.send(
            "PATCH",
            _path(detail) + "/hitlDetails",
            {"chosen_options": [choice], "params_input": {}},
        )
    )


def install_story_dag(dags: Path) -> None:
    """Copy the example DAG and its shipped board into a deployment's DAGs folder."""
    examples = REPO_ROOT / "airflow_provider_seedance" / "example_dags"
    dags.mkdir(parents=True, exist_ok=True)
    shutil.copy(examples / "example_seedance_story_ad.py", dags)
    shutil.copytree(examples / "story_ad", dags / "story_ad", dirs_exist_ok=True)


def wait_until_parsed(dep: Deployment, timeout: float = 180) -> None:
    """Wait until the dag-processor has parsed the story DAG into the metadata DB."""

    def parsed() -> bool:
        try:
            return bool(dep.query("SELECT 1 FROM dag WHERE dag_id=?", DAG_ID))
        except Exception:  # the table may not be readable yet (SQLite lock, PostgreSQL)
            return False

    wait_for(parsed, timeout, f"the dag-processor to parse {DAG_ID}", dep)


def run_state(dep: Deployment, run_id: str) -> str | None:
    """The run's final state (``success``/``failed``), or None while it runs."""
    rows = dep.query("SELECT state FROM dag_run WHERE dag_id=? AND run_id=?", DAG_ID, run_id)
    return rows[0][0] if rows and rows[0][0] in ("success", "failed") else None


def task_states(dep: Deployment, run_id: str) -> dict[str, str | None]:
    """Every task instance's state in one run, by task id."""
    rows = dep.query(
        "SELECT task_id, state FROM task_instance WHERE dag_id=? AND run_id=?", DAG_ID, run_id
    )
    return {str(task): state for task, state in rows}


@contextlib.contextmanager
def story_ad_deployment(
    tmp_path: Path, sim: Any, api_key: str
) -> Iterator[tuple[Deployment, AirflowAPI]]:
    """A running deployment (api-server, scheduler, dag-processor, triggerer) whose only
    DAG is the example ``seedance_story_ad`` with its shipped board, on ``sim``."""
    home = tmp_path / "airflow"
    install_story_dag(home / "dags")
    port = free_port()
    env = deployment_env(
        home, port, story_env(sim.base_url, api_key, tmp_path / "out"),
        jwt_secret="story-ad-jwt-secret-for-tests-only",
    )  # fmt: skip
    env["PYTHONPATH"] = str(REPO_ROOT)
    with running_deployment(home, env, port) as dep:
        api = AirflowAPI(f"http://127.0.0.1:{port}")
        api.wait_ready()
        wait_until_parsed(dep)
        yield dep, api


def run_to_approval(
    dep: Deployment, api: AirflowAPI, timeout: float = 600
) -> tuple[str, dict[str, Any]]:
    """Trigger ``seedance_story_ad`` and wait until it asks for approval: the draft is
    stitched and uploaded, the final quoted. Returns the run id and the HITL detail."""
    run_id = trigger_story_ad(api)

    def alive() -> None:
        failed = dep.query(
            "SELECT task_id FROM task_instance WHERE dag_id=? AND run_id=? AND state IN "
            "('failed', 'upstream_failed')", DAG_ID, run_id,
        )  # fmt: skip
        if failed:
            raise AssertionError(f"{failed} failed before the approval\n{dep.logs()}")

    return run_id, wait_for_approval(api, run_id=run_id, timeout=timeout, alive=alive)
