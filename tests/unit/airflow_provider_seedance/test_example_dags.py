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
    assert {"seedance_daily_production", "seedance_wait_for_external_predictions"} <= set(
        bag.dag_ids
    )
    production = bag.dags["seedance_daily_production"]
    task = production.get_task("generate_product_video")
    assert task.pool == "seedance"
    assert task.outlets
