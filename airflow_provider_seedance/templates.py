"""Jinja templates the provider and its example DAGs share, written once.

Airflow 3 runs without a logical date (a REST trigger with ``logical_date: null``, an
asset-triggered run): ``{{ ds }}`` is then undefined and the task fails before it does
anything. ``run_after`` is the date every Airflow 3 run has; Airflow 2.11 has no
``run_after`` but every 2.11 run has a logical date, so :data:`RUN_DATE` falls back to
``ds`` there. Both versions have the ``ds`` filter.
"""

from __future__ import annotations

#: The run's date as ``YYYY-MM-DD``: ``dag_run.run_after`` (Airflow 3, every run has it),
#: else ``ds`` (Airflow 2.11, where every run has a logical date). For output folders.
RUN_DATE = "{{ dag_run.run_after | ds if dag_run.run_after is defined else ds }}"

#: Characters of the prompt kept in a mapped task's label.
LABEL_CHARS = 60

#: The default ``map_index_template`` of the generation operators: a mapped task is
#: labelled by its (shortened) prompt instead of 0, 1, 2 in the grid and task list. It
#: renders empty for an unmapped task, which Airflow then leaves unlabelled.
PROMPT_LABEL = (
    "{{ (task.prompt or '') | replace('\\n', ' ') | truncate(" + str(LABEL_CHARS) + ", true)"
    " if ti.map_index is not none and ti.map_index >= 0 else '' }}"
)


def shorten(text: str | None, limit: int = 120) -> str | None:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis (asset events)."""
    if text is None:
        return None
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "\u2026"
