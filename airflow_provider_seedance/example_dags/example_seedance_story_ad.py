"""A multi-shot ad: a cheap draft of the whole story, a person approves, then the final.

* ``draft`` (a :func:`~airflow_provider_seedance.SeedanceStoryboard` task group) renders
  every shot of ``story_ad/story_ad.yaml`` at the mini tier in 480p, stitches the film and
  its contact sheet (under a cap: Variable ``seedance_story_draft_cap_usd``, default $5).
* ``final.quote`` prices the final (the board's own tier, 1080p, the same shots and
  references) while the draft renders; nothing is paid for it yet.
* ``approve_final`` (Airflow's own human-in-the-loop approval screen, Airflow 3.1+, asked
  by ``seedance_approval``; its ``approve_final_decision`` applies the answer even when
  Airflow fails the ask after a fast answer, see docs/airflow.md "Approvals") shows the
  draft's film link, its contact sheet and the final's quoted price (pricing
  API or offline table). **Approve** renders the final (cap: Variable
  ``seedance_story_final_cap_usd``, default $20); **Reject** skips every final shot: the
  run has paid only for the draft.
* On Airflow 2.11 (no ``ApprovalOperator``) the draft still renders, and
  ``final_needs_airflow_3_1`` ends the run skipped, saying why; nothing of the final runs.

Paths use ``run_id`` (every run has one; manual and asset-triggered runs have no logical
date). ``SEEDANCE_STORY_BOARD`` and ``SEEDANCE_OUTPUT_URI`` let the demo and tests use
their own board and folder.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

from airflow.providers.common.compat.sdk import DAG, AirflowSkipException, Asset, task

from airflow_provider_seedance import SeedanceStoryboard
from airflow_provider_seedance.storyboard_group import story_review_body
from shared_client import DEFAULT_POLL_INTERVAL

try:  # Airflow 3.1+: the standard provider's human-in-the-loop approval
    from airflow_provider_seedance.operators.approval import seedance_approval
except ImportError:  # Airflow 2.11: no human-in-the-loop operators
    seedance_approval = None  # type: ignore[assignment]

_SHIPPED = Path(__file__).parent / "story_ad" / "story_ad.yaml"
BOARD = os.environ.get("SEEDANCE_STORY_BOARD", str(_SHIPPED))
_OUTPUT = os.environ.get("SEEDANCE_OUTPUT_URI", (Path.cwd() / "out").resolve().as_uri())
#: One folder per run: ``run_id`` exists for every run, with or without a logical date.
RUN_FOLDER = _OUTPUT + "/story-ad/{{ run_id | replace(':', '-') | replace('+', '_') }}"
_POLL = float(os.environ.get("SEEDANCE_POLL_INTERVAL", DEFAULT_POLL_INTERVAL))
#: A shot's retry reattaches to the prediction its first try paid for (it pays nothing), so
#: it can come soon: Airflow 3.3 can fail a try that resumed from its trigger ("Task
#: instance not found" when it reports success) and the default 5 min delay would hold
#: the film that long (docs/airflow.md, "Approvals that survive a fast answer").
_RETRY_DELAY = timedelta(seconds=15)
FILM = Asset("seedance://films/story-ad")

with DAG(
    dag_id="seedance_story_ad",
    description="A storyboard rendered as a cheap draft, approved by a person, then final",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["seedance", "video", "story", "example"],
) as dag:
    draft = SeedanceStoryboard(
        "draft",
        board=BOARD,
        tier="mini",
        resolution="480p",
        max_cost_usd="{{ var.value.get('seedance_story_draft_cap_usd', '5') }}",
        output_path=RUN_FOLDER + "/draft",
        poll_interval=_POLL,
        retries=1,
        retry_delay=_RETRY_DELAY,
    )
    if seedance_approval is not None:
        approve = seedance_approval(
            "approve_final",
            subject="Render the final of '{{ ti.xcom_pull(task_ids='draft.stitch').title }}'?",
            body=story_review_body("draft", "final"),  # film link, contact sheet, price
        )
        final = SeedanceStoryboard(
            "final",
            board=BOARD,
            resolution="1080p",  # the board's own tier: its choice for the final
            max_cost_usd="{{ var.value.get('seedance_story_final_cap_usd', '20') }}",
            output_path=RUN_FOLDER + "/final",
            gate=approve,
            outlets=[FILM],
            poll_interval=_POLL,
            retries=1,
            retry_delay=_RETRY_DELAY,
        )
        draft >> approve.ask
    else:

        @task
        def final_needs_airflow_3_1() -> None:
            """Say why the final is not rendered here, and end the run without paying."""
            raise AirflowSkipException(
                "The draft is rendered; the final needs a person's approval, which needs "
                "Airflow 3.1+ (human-in-the-loop ApprovalOperator). On Airflow 2.11, review "
                "the draft, then render the final with a SeedanceStoryboard(resolution="
                "'1080p') DAG of its own. Nothing of the final was submitted."
            )

        draft >> final_needs_airflow_3_1()
