"""The pool of a WaveSpeed account: its name from the connection, its size from the level."""

from __future__ import annotations

import pytest

from airflow_provider_seedance.pools import (
    main,
    seedance_pool,
    seedance_pool_name,
    seedance_pool_slots,
)
from shared_client import ACCOUNT_LEVELS, InvalidRequestError
from tests.support.airflow import set_connection
from tests.support.provider import API_KEY


def test_one_pool_per_connection_named_after_it() -> None:
    assert seedance_pool_name() == "seedance"
    assert seedance_pool_name("wavespeed_default") == "seedance"
    assert seedance_pool_name("team b/7") == "seedance_team_b_7"


def test_the_size_is_the_level_s_concurrency_limit_from_the_core_table() -> None:
    assert seedance_pool_slots() == 2  # a new account is Bronze
    for name, level in ACCOUNT_LEVELS.items():
        assert seedance_pool_slots(name) == level.max_concurrent
    with pytest.raises(InvalidRequestError, match="account_level"):
        seedance_pool_slots("platinum")


def test_the_pool_follows_the_connection_s_account_level_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    set_connection(monkeypatch, "wavespeed_silver", password=API_KEY,
                   extra={"account_level": "Silver"})  # fmt: skip
    pool = seedance_pool("wavespeed_silver")
    assert (pool.name, pool.slots, pool.level) == ("seedance_wavespeed_silver", 300, "silver")
    command = pool.pools_set_command()
    assert command[:6] == ["airflow", "pools", "set", "seedance_wavespeed_silver", "300",
                           pool.description]  # fmt: skip
    assert command[-1] == "--include-deferred"  # a deferred generation runs at WaveSpeed
    assert API_KEY not in " ".join(command)
    set_connection(monkeypatch, "wavespeed_default", password=API_KEY)
    assert seedance_pool().slots == 2  # no extra: Bronze
    set_connection(monkeypatch, "wavespeed_bad", password=API_KEY,
                   extra={"account_level": "diamond"})  # fmt: skip
    with pytest.raises(InvalidRequestError, match="account_level"):
        seedance_pool("wavespeed_bad")


def test_the_command_prints_what_it_would_run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    set_connection(monkeypatch, "wavespeed_default", password=API_KEY,
                   extra={"account_level": "gold"})  # fmt: skip
    assert main(["--print", "--airflow", "airflow"]) == 0
    out = capsys.readouterr().out.strip().splitlines()[-1]  # Airflow 2 logs to stdout too
    assert out.startswith("airflow pools set seedance 3000 ")
    assert out.endswith("--include-deferred")
    assert main(["--print", "--level", "nope"]) == 2
    assert "account_level" in capsys.readouterr().err


def test_the_example_dags_use_the_account_s_pool() -> None:
    from airflow.models import DagBag

    import airflow_provider_seedance.example_dags as examples

    bag = DagBag(dag_folder=examples.__path__[0])
    generating = {
        ("seedance_daily_production", "generate_product_video"),
        ("seedance_character_product_line", "generate_clip"),
        ("seedance_image_then_extend", "animate"),
        ("seedance_image_then_extend", "extend"),
    }
    for dag_id, task_id in generating:
        assert bag.dags[dag_id].get_task(task_id).pool == "seedance", (dag_id, task_id)
