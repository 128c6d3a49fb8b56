"""The pay-once path is the base's, so every mode has it: a short proof per new mode.

A try dies (``Died``, standing in for SIGKILL) right after the submit's answer arrived and
before the id was stored; the next try must find the task in the history and adopt it,
not pay again. ``test_pay_once.py`` covers every instant on the image-to-video operator.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import TaskDeferred

from airflow_provider_seedance.operators.seedance import (
    SeedanceTextToVideoOperator,
    SeedanceVideoEditOperator,
    SeedanceVideoExtendOperator,
)
from shared_client import SeedanceClient


class Died(BaseException):
    """Stands in for SIGKILL: not an Exception, so no handler of the provider catches it."""


def crashing(operator: type) -> type:
    class Crashing(operator):  # type: ignore[misc, valid-type]
        crash = True

        def _store_prediction(self, context: Any, ledger: Any, prediction: Any) -> None:
            if self.crash:
                raise Died
            super()._store_prediction(context, ledger, prediction)

    return Crashing


@pytest.mark.parametrize(
    "operator",
    [SeedanceTextToVideoOperator, SeedanceVideoExtendOperator, SeedanceVideoEditOperator],
)
def test_a_try_that_died_after_the_answer_is_adopted_by_the_retry_for_every_mode(
    sim: Any, wavespeed_conn: str, context: dict[str, Any], clip: Path, operator: type
) -> None:
    with SeedanceClient(api_key=sim.api_key, base_url=sim.base_url) as client:
        media = {} if operator is SeedanceTextToVideoOperator else {"video": client.upload(clip)}
    sim.reset_stats()
    sim.set_generation_time(30.0)
    kwargs = {
        "task_id": "generate",
        "prompt": f"pay once {uuid.uuid4()}",
        "settle_window": 8.0,
        "max_cost_usd": 10.0,
        **media,
    }
    first = crashing(operator)(**kwargs)
    with pytest.raises(Died):
        first.execute(context)
    assert sim.stats()["submissions"] == 1
    retry = crashing(operator)(**kwargs)
    retry.crash = False
    with pytest.raises(TaskDeferred):
        retry.execute(context)
    assert sim.stats()["submissions"] == 1
    assert sim.task(context["ti"].xcom["prediction_id"]) is not None
