"""The example DAGs parse with no import errors, on every supported Airflow."""

from __future__ import annotations

from pathlib import Path

import airflow_provider_seedance.example_dags as examples

EXAMPLES = Path(examples.__file__).parent


def test_example_dags_import_without_errors() -> None:
    from airflow.models import DagBag

    try:
        bag = DagBag(dag_folder=str(EXAMPLES), include_examples=False)
    except TypeError:  # Airflow 3.3 dropped include_examples (examples load via config)
        bag = DagBag(dag_folder=str(EXAMPLES))
    assert bag.import_errors == {}
    assert {
        "seedance_daily_production",
        "seedance_wait_for_external_predictions",
        "seedance_character_product_line",
        "seedance_image_then_extend",
        "seedance_story_ad",
    } <= set(bag.dag_ids)
    production = bag.dags["seedance_daily_production"]
    task = production.get_task("generate_product_video")
    assert task.pool == "seedance"
    assert task.outlets


def test_the_product_line_is_quoted_before_it_is_generated_and_extend_follows_animate() -> None:
    from airflow.models import DagBag

    bag = DagBag(dag_folder=str(EXAMPLES))
    line = bag.dags["seedance_character_product_line"]
    assert "quote_product_line" in line.get_task("generate_clip").upstream_task_ids
    assert line.get_task("quote_product_line").mode == "text-to-video"
    chain = bag.dags["seedance_image_then_extend"]
    assert chain.get_task("extend").upstream_task_ids == {"animate"}


def test_the_story_ad_pays_for_its_final_only_after_approval_where_airflow_can_ask() -> None:
    from airflow.models import DagBag

    story = DagBag(dag_folder=str(EXAMPLES)).dags["seedance_story_ad"]
    draft_shots = [t for t in story.tasks if t.task_id.startswith("draft.shot_")]
    assert len(draft_shots) == 4
    assert story.get_task("draft.shot_02").upstream_task_ids == {"draft.quote", "draft.shot_01"}
    try:
        from airflow.providers.standard.operators.hitl import ApprovalOperator
    except ImportError:  # Airflow 2.11: the draft, then a task that says why no final
        assert not [t for t in story.tasks if t.task_id.startswith("final.")]
        assert story.get_task("final_needs_airflow_3_1").upstream_task_ids == {"draft.stitch"}
        return
    approve = story.get_task("approve_final")
    assert isinstance(approve, ApprovalOperator)
    assert approve.upstream_task_ids == {"draft.stitch", "final.quote"}
    for task in story.tasks:
        if task.task_id.startswith("final.shot_"):
            # nothing final is paid unasked: every shot waits for the approval's decision
            assert "approve_final_decision" in task.upstream_task_ids
    decision = story.get_task("approve_final_decision")
    assert decision.upstream_task_ids == {"approve_final"}
    assert decision.trigger_rule == "all_done"  # it runs when Airflow fails the ask too
    assert "draft.stitch" in approve.body and "final.quote" in approve.body
