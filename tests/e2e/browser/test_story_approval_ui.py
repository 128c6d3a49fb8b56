"""The story's approval as a reviewer meets it, answered the moment it asks: one deployment.

A real api-server, scheduler, dag-processor and triggerer (LocalExecutor) run the example
``seedance_story_ad`` DAG against the simulator (``tests/support/story_approval.py``). Each
run renders the cheap draft and stops at the approval (``seedance_approval``: Airflow's
own approval screen, and the decision task behind it). Two runs share the deployment:

* **Through the REST API, at once**: the answer is sent as soon as the task waits (the
  helpers look every 0.2 s), the moment Airflow's own race (docs/design-notes.md) is most
  likely to fail the ask. The run must still succeed: the final's four shots submitted
  once each at 1080p on the board's tier, the final film decoded with the board's length.
* **In the browser, within a second**: Debian's Chromium opens the task's "Required
  actions" page as soon as the task waits and clicks **Approve** within 1 s of the page
  showing its buttons; then the page is checked for what issue 16 asks it to show (the
  draft film's link, a contact sheet image that loads, the final's price and its source).

The rejection path (the final never submitted) is ``tests/e2e/airflow/test_story_ad_e2e.py``;
twenty fast answers in a row, on LocalExecutor and CeleryExecutor, are ``make approval-race``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = [pytest.mark.timeout(900)]

airflow = pytest.importorskip("airflow")
if tuple(int(p) for p in airflow.__version__.split(".")[:2]) < (3, 1):
    pytest.skip("the approval screen is Airflow 3.1+'s HITL UI", allow_module_level=True)

from seedance_simulator import Simulator  # noqa: E402
from tests.support.airflow_deployment import Deployment, wait_for  # noqa: E402
from tests.support.browser import chromium, require_chromium, shoot  # noqa: E402
from tests.support.media import probe_mp4  # noqa: E402
from tests.support.story_approval import (  # noqa: E402
    DECISION_TASK,
    AirflowAPI,
    answer_approval,
    approval_url,
    created_tasks,
    run_state,
    run_to_approval,
    story_ad_deployment,
    task_states,
)

API_KEY = "story-approval-ui-key-97531"
FILM_SECONDS = 5 + 4 + 4 + 4
DRAFT_SHOTS, FINAL_SHOTS = 4, 4
#: The reviewer's answer comes within this long of the page showing its buttons.
CLICK_WITHIN_S = 1.0


class Live:
    """The module's simulator and deployment, with what each run adds to the account."""

    def __init__(self, sim: Simulator, dep: Deployment, api: AirflowAPI, out: Path) -> None:
        self.sim, self.dep, self.api, self.out = sim, dep, api, out

    def created(self) -> list[dict[str, Any]]:
        return created_tasks(self.sim, API_KEY)

    def finish(self, run_id: str) -> str:
        return str(wait_for(lambda: run_state(self.dep, run_id), 300, "the run to end", self.dep))

    def check_final(self, run_id: str, before: int) -> None:
        """The run succeeded, the final was submitted once per shot and its film decodes."""
        states = task_states(self.dep, run_id)
        assert states[DECISION_TASK] == "success", states
        created = self.created()[before:]
        assert len(created) == DRAFT_SHOTS + FINAL_SHOTS, created
        final_tasks = created[DRAFT_SHOTS:]
        assert all("seedance-2.0-fast/" in t["model"] for t in final_tasks), final_tasks
        assert all(t["input"]["resolution"] == "1080p" for t in final_tasks)
        runs = [p for p in (self.out / "story-ad").iterdir() if p.is_dir()]
        folder = max(runs, key=lambda p: p.stat().st_mtime)
        films = sorted(folder.glob("final/*.mp4"))
        assert len(films) == 1, sorted(folder.rglob("*"))
        assert probe_mp4(films[0])["duration"] == pytest.approx(FILM_SECONDS, abs=0.35)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tmp_path = tmp_path_factory.mktemp("story-approval")
    with (
        Simulator(api_key=API_KEY, generation_time=1.0, fast=True) as sim,
        story_ad_deployment(tmp_path, sim, API_KEY) as (dep, api),
    ):
        yield Live(sim, dep, api, tmp_path / "out")


def test_an_answer_sent_through_the_api_the_moment_the_task_waits_renders_the_final(
    live: Live,
) -> None:
    before = len(live.created())
    run_id, detail = run_to_approval(live.dep, live.api)
    answer_approval(live.api, detail, approve=True)  # at once: within 0.2 s of the pause
    assert len(live.created()) == before + DRAFT_SHOTS  # only the draft was paid so far
    assert live.finish(run_id) == "success", live.dep.diagnose()
    live.check_final(run_id, before)


def test_the_reviewer_approves_in_the_browser_within_a_second_and_the_page_shows_it_all(
    live: Live,
) -> None:
    require_chromium()
    before = len(live.created())
    run_id, detail = run_to_approval(live.dep, live.api)
    with chromium() as browser:
        page = browser.new_page()
        page.goto(approval_url(live.api, detail), wait_until="domcontentloaded")
        approve = page.get_by_role("button", name="Approve")
        approve.wait_for()
        shown = time.monotonic()
        approve.click()
        clicked = time.monotonic() - shown
        assert clicked < CLICK_WITHIN_S, f"the click took {clicked:.2f} s"
        assert len(live.created()) == before + DRAFT_SHOTS  # looking and answering are free
        # what the reviewer saw: the body stays on the page after the answer
        page.get_by_text("Quoted", exact=False).first.wait_for()
        text = page.inner_text("body")
        assert "Sneaker launch" in text
        assert "(pricing API)" in text and "1080p" in text, text[:3000]
        film_href = page.locator("a[href*='http']", has_text="http").first.get_attribute("href")
        assert (film_href or "").startswith(live.sim.base_url), film_href
        sheet = page.locator("img[alt='contact sheet']").first
        sheet.scroll_into_view_if_needed()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=sheet.element_handle()
        )
        shoot(page, "story-approval", full_page=True)
        answer = httpx.get(film_href or "", trust_env=False)  # the draft film is a video
        assert answer.status_code == 200 and answer.content[4:8] == b"ftyp"
        assert live.finish(run_id) == "success", live.dep.diagnose()
        page.reload(wait_until="domcontentloaded")
        shoot(page, "story-approval-after", full_page=True)
    live.check_final(run_id, before)
