"""The shared templates (``templates.py``) rendered by Airflow's own Jinja environment.

``RUN_DATE`` must render for a run without a logical date (Airflow 3: REST trigger with
``logical_date: null``, asset-triggered runs), where ``{{ ds }}`` is undefined and
Airflow's ``StrictUndefined`` fails the task; and on Airflow 2.11, which has no
``run_after`` but always a logical date. ``PROMPT_LABEL`` labels mapped tasks.
"""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import jinja2
import pytest
from airflow.providers.common.compat.sdk import DAG

from airflow_provider_seedance.operators.seedance import (
    SeedanceImageToVideoOperator,
    SeedanceTextToVideoOperator,
    SeedanceVideoEditOperator,
)
from airflow_provider_seedance.templates import LABEL_CHARS, PROMPT_LABEL, RUN_DATE, shorten
from tests.support.provider import make_op


def _render(template: str, **context: Any) -> str:
    dag = DAG("templates_unit", schedule=None, start_date=datetime(2026, 1, 1))
    env = dag.get_template_env()
    return str(env.from_string(template).render(**context))


def test_airflow_templates_fail_on_an_undefined_ds() -> None:
    """The defect: a run without a logical date has no ``ds``."""
    run = SimpleNamespace(run_after=datetime(2026, 3, 4, 5, 6, tzinfo=UTC), logical_date=None)
    with pytest.raises(jinja2.UndefinedError, match="'ds' is undefined"):
        _render("{{ ds }}", dag_run=run)


def test_run_date_renders_without_a_logical_date_from_run_after() -> None:
    run = SimpleNamespace(run_after=datetime(2026, 3, 4, 5, 6, tzinfo=UTC), logical_date=None)
    assert _render(RUN_DATE, dag_run=run) == "2026-03-04"


def test_run_date_prefers_run_after_when_both_exist() -> None:
    run = SimpleNamespace(run_after=datetime(2026, 3, 5, tzinfo=UTC))
    assert _render(RUN_DATE, dag_run=run, ds="2026-03-04") == "2026-03-05"


def test_run_date_falls_back_to_ds_where_runs_have_no_run_after() -> None:
    """Airflow 2.11: ``DagRun`` has no ``run_after``; every run has ``ds``."""
    assert _render(RUN_DATE, dag_run=SimpleNamespace(), ds="2026-03-04") == "2026-03-04"


def test_prompt_label_names_a_mapped_task_by_its_shortened_prompt() -> None:
    long_prompt = "A red sneaker rotates slowly on a white pedestal,\nsoft studio light " * 3
    label = _render(
        PROMPT_LABEL, task=SimpleNamespace(prompt=long_prompt), ti=SimpleNamespace(map_index=2)
    )
    assert label.startswith("A red sneaker rotates slowly on a white pedestal, soft")
    assert "\n" not in label and len(label) <= LABEL_CHARS
    short = _render(
        PROMPT_LABEL, task=SimpleNamespace(prompt="a lamp"), ti=SimpleNamespace(map_index=0)
    )
    assert short == "a lamp"


def test_prompt_label_is_empty_for_an_unmapped_task() -> None:
    task = SimpleNamespace(prompt="a lamp")
    assert _render(PROMPT_LABEL, task=task, ti=SimpleNamespace(map_index=-1)) == ""


@pytest.mark.parametrize(
    "cls", [SeedanceImageToVideoOperator, SeedanceTextToVideoOperator, SeedanceVideoEditOperator]
)
def test_generation_operators_label_mapped_tasks_by_default_and_keep_a_given_label(
    cls: Any,
) -> None:
    with DAG("labels_unit", schedule=None, start_date=datetime(2026, 1, 1)):
        mapped = cls.partial(task_id="gen").expand(prompt=["a", "b"])
        own = cls.partial(task_id="own", map_index_template="{{ task.image }}").expand(prompt=["a"])
    assert mapped.map_index_template == PROMPT_LABEL
    assert own.map_index_template == "{{ task.image }}"
    assert make_op(image="https://example.com/a.png").map_index_template is None  # unmapped


def test_shorten_keeps_one_line_and_marks_the_cut() -> None:
    assert shorten(None) is None
    assert shorten("a\n b") == "a b"
    cut = shorten("word " * 50, 20)
    assert cut is not None and len(cut) == 20 and cut.endswith("\u2026")
