"""The Airflow 3 UI as a user meets it: headless Chromium against a real deployment.

One deployment for the module (``api-server``, ``scheduler``, ``dag-processor``,
``triggerer`` on loopback; ``tests/support/browser.py``) runs the example
``seedance_daily_production`` DAG against the simulator, and Debian's Chromium, driven by
Playwright, logs in through the UI's login form and checks what issue 15 lists:

* the ``wavespeed`` connection form: the API key is a password field, the Base URL is
  there, saving works, and the row's Test button succeeds (Airflow 3.3's button posts
  ``port: 0`` for a connection stored without a port and the server refuses that test,
  so the form asks for the port);
* a run triggered through the REST API with ``logical_date: null`` succeeds (the example
  DAG used ``{{ ds }}``, undefined there);
* while a task is deferred its "Seedance video" link already points at the prediction's
  result URL; once done it opens the video, which Chromium decodes;
* mapped tasks are labelled by their prompts; the asset event shows cost and prediction id.

Screenshots land in ``out/screenshots/`` (ignored); a few are copied to ``docs/images/``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.timeout(600)]

airflow = pytest.importorskip("airflow")
if int(airflow.__version__.split(".")[0]) < 3:
    pytest.skip("the browser tests drive the Airflow 3 UI", allow_module_level=True)

from seedance_simulator import Simulator  # noqa: E402
from tests.support.airflow import connection_env  # noqa: E402
from tests.support.airflow_deployment import Deployment, wait_for  # noqa: E402
from tests.support.browser import (  # noqa: E402
    AirflowUI,
    airflow_ui_deployment,
    chromium,
    require_chromium,
    shoot,
)
from tests.support.media import count_frames, save_png  # noqa: E402
from tests.support.paths import REPO_ROOT  # noqa: E402

API_KEY = "browser-e2e-secret-key-8642"
DAG_ID = "seedance_daily_production"
TASK_ID = "generate_product_video"
EXAMPLE = REPO_ROOT / "airflow_provider_seedance" / "example_dags" / f"example_{DAG_ID}.py"
PRODUCTS = {
    "sneaker": "A red sneaker turns slowly on a white pedestal, soft studio light",
    "bottle": "A steel bottle with condensation drops, the camera dollies in",
}


class Stack:
    """What the tests share: the deployment, its UI, the simulator, the output folder."""

    def __init__(self, dep: Deployment, ui: AirflowUI, sim: Simulator, out: Path) -> None:
        self.dep, self.ui, self.sim, self.out = dep, ui, sim, out
        self.run_id: str | None = None

    def task_path(self, map_index: int | None = None) -> str:
        assert self.run_id is not None
        path = f"/dags/{DAG_ID}/runs/{quote(self.run_id)}/tasks/{TASK_ID}/mapped"
        return path if map_index is None else f"{path}/{map_index}"

    def states(self) -> dict[int, str | None]:
        assert self.run_id is not None
        answer = self.ui.api("GET", f"/dags/{DAG_ID}/dagRuns/{quote(self.run_id)}/taskInstances")
        return {ti["map_index"]: ti["state"] for ti in answer["task_instances"]}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    require_chromium()
    tmp = tmp_path_factory.mktemp("airflow-ui")
    products = []
    for (name, prompt), colour in zip(
        PRODUCTS.items(), ((200, 30, 30), (40, 120, 200)), strict=True
    ):
        image = save_png(tmp / f"{name}.png", (128, 96), colour)
        products.append({"image": str(image), "prompt": prompt})
    (tmp / "products.json").write_text(json.dumps(products))
    out = tmp / "out"
    # Long enough generations to see the tasks deferred, short enough for CI.
    with Simulator(api_key=API_KEY, generation_time=12.0, fast=True) as sim:
        env = {
            **connection_env("wavespeed_default", password=API_KEY, host=sim.base_url),
            "SEEDANCE_PRODUCTS": str(tmp / "products.json"),
            "SEEDANCE_OUTPUT_URI": out.as_uri(),
            "SEEDANCE_POOL": "default_pool",
            "SEEDANCE_POLL_INTERVAL": "1",
        }
        with airflow_ui_deployment(tmp / "airflow", [EXAMPLE], env) as (dep, ui):
            yield Stack(dep, ui, sim, out)


@pytest.fixture(scope="module")
def browser(stack: Stack) -> Iterator[Any]:
    """One logged-in Chromium for the module's tests."""
    with chromium() as context:
        stack.ui.login(context.new_page())
        yield context


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    page = browser.new_page()
    yield page
    page.close()


def test_the_connection_form_saves_a_key_as_a_password_and_its_test_button_works(
    stack: Stack, page: Any
) -> None:
    ui = stack.ui
    ui.goto(page, "/connections")
    page.get_by_role("button", name="Add Connection").click()
    page.get_by_label("Connection Type").fill("WaveSpeed")
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    key = dialog.get_by_label("API key")
    assert key.get_attribute("type") == "password"
    assert dialog.get_by_label("Base URL").is_visible()
    assert dialog.get_by_label("Port (for the Test button)").is_visible()
    assert dialog.get_by_label("Login").count() == 0  # fields the API does not use are hidden
    dialog.get_by_label("Connection ID").fill("wavespeed_ui")
    dialog.get_by_label("Base URL").fill(stack.sim.base_url)
    dialog.get_by_label("Port (for the Test button)").fill(stack.sim.base_url.rsplit(":", 1)[1])
    key.fill(API_KEY)
    shoot(page, "airflow-connection-form")
    with page.expect_response(lambda r: r.url.endswith("/api/v2/connections")) as saved:
        dialog.get_by_role("button", name="Save").click()
    assert saved.value.status == 201, saved.value.text()
    page.get_by_text("Connection has been successfully created").wait_for()
    row = page.get_by_role("row").filter(has_text="wavespeed_ui")
    row.wait_for()
    stored = ui.api("GET", "/connections/wavespeed_ui")
    assert stored["conn_type"] == "wavespeed" and stored["host"] == stack.sim.base_url
    assert stored["password"] != API_KEY  # the API masks it
    # Once the form has closed (the dialog's input held the typed key until then), the
    # page never shows it: not in the list, not in a toast, not in the DOM.
    dialog.wait_for(state="detached")
    content = page.content()
    assert API_KEY not in content, content[max(content.find(API_KEY) - 300, 0) :][:600]
    with page.expect_response(lambda r: r.url.endswith("/api/v2/connections/test")) as answer:
        row.get_by_label("Test Connection").click()
    assert answer.value.status == 200, answer.value.text()
    assert answer.value.json() == {
        "status": True,
        "message": "Connection successful: the API accepted the key.",
    }
    page.get_by_text("Connection successful").first.wait_for()
    shoot(page, "airflow-connection-test")


def test_a_run_without_a_logical_date_succeeds_and_its_link_works_while_deferred(
    stack: Stack, page: Any, browser: Any
) -> None:
    ui = stack.ui
    run = ui.api("POST", f"/dags/{DAG_ID}/dagRuns", {"logical_date": None})
    assert run["logical_date"] is None
    stack.run_id = run["dag_run_id"]

    def deferred() -> list[int]:
        return [m for m, state in stack.states().items() if state == "deferred"]

    index = wait_for(deferred, 240, "a generation to be deferred", stack.dep)[0]
    ui.goto(page, stack.task_path(index) + "/details")
    link = page.get_by_role("link", name="Seedance video")
    pending = link.get_attribute("href")
    assert pending is not None and pending.startswith(stack.sim.base_url)
    assert re.search(r"/api/v3/predictions/\w+/result$", pending), pending
    shoot(page, "airflow-link-while-deferred")

    def finished() -> str | None:
        state = ui.api("GET", f"/dags/{DAG_ID}/dagRuns/{quote(stack.run_id or '')}")["state"]
        return state if state in ("success", "failed") else None

    assert wait_for(finished, 240, "the run to finish", stack.dep) == "success", stack.dep.logs()
    videos = sorted(stack.out.rglob("*.mp4"))
    assert videos and all(count_frames(v) > 0 for v in videos)
    run_day = run["run_after"][:10]
    assert (stack.out / run_day).is_dir()  # the folder is the run's date, not ``ds``

    ui.goto(page, stack.task_path(index) + "/details")
    link = page.get_by_role("link", name="Seedance video")
    video_url = link.get_attribute("href")
    assert video_url is not None and video_url.endswith(".mp4")
    assert pending.split("/")[-2] in video_url  # the same prediction
    shoot(page, "airflow-task-details")
    with browser.expect_page() as opened:
        link.click()
    player = opened.value
    player.wait_for_load_state()
    assert player.url == video_url
    width = player.wait_for_function(
        "() => { const v = document.querySelector('video'); return v && v.videoWidth; }"
    ).json_value()
    assert width > 0  # Chromium decoded the video the link opened
    shoot(player, "airflow-video-link")
    player.close()


def test_mapped_generations_are_labelled_by_their_prompts(stack: Stack, page: Any) -> None:
    if stack.run_id is None:
        pytest.skip("needs the run of the previous test")
    stack.ui.goto(page, stack.task_path())
    for prompt in PRODUCTS.values():
        page.get_by_text(prompt[:40]).first.wait_for()
    labels = {
        ti["rendered_map_index"]
        for ti in stack.ui.api(
            "GET", f"/dags/{DAG_ID}/dagRuns/{quote(stack.run_id)}/taskInstances"
        )["task_instances"]
    }
    assert labels == set(PRODUCTS.values())
    shoot(page, "airflow-mapped-labels")


def test_the_asset_event_shows_the_cost_and_prediction_id(stack: Stack, page: Any) -> None:
    if stack.run_id is None:
        pytest.skip("needs the run of the previous test")
    ui = stack.ui
    (asset,) = ui.api("GET", "/assets")["assets"]
    events = ui.api("GET", f"/assets/events?asset_id={asset['id']}&order_by=-timestamp")
    newest = events["asset_events"][0]["extra"]
    assert newest["cost"] == f"${newest['cost_usd']:.4f} USD (pricing API)"
    assert newest["video_url"].endswith(".mp4") and newest["seconds"] == 5
    assert newest["prompt"] in PRODUCTS.values()
    ui.goto(page, f"/assets/{asset['id']}")
    page.locator(".codicon-folding-collapsed").first.click()  # unfold the newest event
    viewer = page.locator(".monaco-editor .view-lines").first
    text = re.sub(r"\s", "", viewer.inner_text())  # the viewer wraps long values
    assert f'"prediction_id":"{newest["prediction_id"]}"' in text
    assert '"cost":"{}"'.format(re.sub(r"\s", "", newest["cost"])) in text
    shoot(page, "airflow-asset-event")
    for table in ("xcom", "asset_event", "trigger", "rendered_task_instance_fields"):
        for row in stack.dep.query(f"SELECT * FROM {table}"):
            assert API_KEY not in repr(row), table  # the key is in no stored UI data
