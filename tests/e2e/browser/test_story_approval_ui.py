"""The story's approval screen as a reviewer meets it: headless Chromium, a real deployment.

A real api-server, scheduler, dag-processor and triggerer run the example
``seedance_story_ad`` DAG against the simulator (``tests/support/story_approval.py``). The
run renders the cheap draft and stops at Airflow's own ``ApprovalOperator``; Debian's
Chromium then opens the task's "Required actions" page and checks what issue 16 asks the
screen to show: the draft film's link, the contact sheet (an image that actually loads),
and the final's quoted price with its source. Clicking **Approve** in the browser, and
nothing else, lets the final render: its four shots are submitted at 1080p on the board's
tier, and the final film decodes with the board's length.

The rejection path (the final never submitted) is proven in
``tests/e2e/airflow/test_story_ad_e2e.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.timeout(900)]

airflow = pytest.importorskip("airflow")
if tuple(int(p) for p in airflow.__version__.split(".")[:2]) < (3, 1):
    pytest.skip("the approval screen is Airflow 3.1+'s HITL UI", allow_module_level=True)

from seedance_simulator import Simulator  # noqa: E402
from tests.support.airflow_deployment import wait_for  # noqa: E402
from tests.support.browser import chromium, require_chromium, shoot  # noqa: E402
from tests.support.media import probe_mp4  # noqa: E402
from tests.support.story_approval import (  # noqa: E402
    approval_url,
    run_to_approval,
    story_ad_deployment,
)

API_KEY = "story-approval-ui-key-97531"
FILM_SECONDS = 5 + 4 + 4 + 4
DRAFT_SHOTS, FINAL_SHOTS = 4, 4


def _created(sim: Simulator) -> list[dict[str, Any]]:
    """Every task the simulator created, oldest first (model and input)."""
    answer = httpx.post(
        f"{sim.base_url}/api/v3/predictions",
        json={"page_size": 100},
        headers={"Authorization": f"Bearer {API_KEY}"},
        trust_env=False,
    )
    answer.raise_for_status()
    return list(reversed(answer.json()["data"]["items"]))


def test_the_reviewer_sees_draft_sheet_and_price_and_approves_in_the_browser(
    tmp_path: Path,
) -> None:
    require_chromium()
    with (
        Simulator(api_key=API_KEY, generation_time=1.0, fast=True) as sim,
        story_ad_deployment(tmp_path, sim, API_KEY) as (dep, api),
    ):
        run_id, detail = run_to_approval(dep, api)
        assert len(_created(sim)) == DRAFT_SHOTS  # only the draft is paid so far

        with chromium() as browser:
            page = browser.new_page()
            page.goto(approval_url(api, detail), wait_until="domcontentloaded")
            # the body, rendered as the reviewer reads it
            page.get_by_text("Quoted", exact=False).first.wait_for()
            text = page.inner_text("body")
            assert "Sneaker launch" in text
            assert "(pricing API)" in text and "1080p" in text, text[:3000]
            film_link = page.locator("a[href*='http']", has_text="http").first
            film_href = film_link.get_attribute("href") or ""
            assert film_href.startswith(sim.base_url), film_href
            sheet = page.locator("img[alt='contact sheet']").first
            sheet.scroll_into_view_if_needed()
            page.wait_for_function(
                "img => img.complete && img.naturalWidth > 0", arg=sheet.element_handle()
            )
            shoot(page, "story-approval", full_page=True)
            # the draft film the link points at is a real video
            answer = httpx.get(film_href, trust_env=False)
            assert answer.status_code == 200 and answer.content[4:8] == b"ftyp"
            assert len(_created(sim)) == DRAFT_SHOTS  # looking costs nothing

            page.get_by_role("button", name="Approve").click()

            def finished() -> str | None:
                rows = dep.query("SELECT state FROM dag_run WHERE run_id=?", run_id)
                return rows[0][0] if rows and rows[0][0] in ("success", "failed") else None

            assert wait_for(finished, 300, "the approved run to end", dep) == "success"
            shoot(page, "story-approval-after", full_page=True)

        created = _created(sim)
        assert len(created) == DRAFT_SHOTS + FINAL_SHOTS
        final_tasks = created[DRAFT_SHOTS:]
        assert all("seedance-2.0-fast/" in t["model"] for t in final_tasks), final_tasks
        assert all(t["input"]["resolution"] == "1080p" for t in final_tasks)
        films = sorted(tmp_path.glob("out/story-ad/*/final/*.mp4"))
        assert len(films) == 1, sorted(tmp_path.glob("out/**/*"))
        assert probe_mp4(films[0])["duration"] == pytest.approx(FILM_SECONDS, abs=0.35)
