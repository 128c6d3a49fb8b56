"""``get_provider_info``: valid against Airflow's schema, registered as an entry point."""

from __future__ import annotations

import json
from importlib.metadata import entry_points
from pathlib import Path

from airflow_provider_seedance.get_provider_info import get_provider_info
from airflow_provider_seedance.hooks.seedance import SeedanceHook


def test_provider_info_is_valid_and_registered() -> None:
    import airflow
    from jsonschema import validate

    schema = json.loads((Path(airflow.__file__).parent / "provider_info.schema.json").read_text())
    info = get_provider_info()
    validate(info, schema)
    (conn,) = info["connection-types"]
    assert conn["connection-type"] == SeedanceHook.conn_type == "wavespeed"
    assert conn["hook-name"] == SeedanceHook.hook_name == "WaveSpeed (Seedance)"
    names = {ep.value for ep in entry_points(group="apache_airflow_provider")}
    assert "airflow_provider_seedance.get_provider_info:get_provider_info" in names


def test_every_operator_and_trigger_module_is_registered() -> None:
    info = get_provider_info()
    (operators,) = info["operators"]
    (triggers,) = info["triggers"]
    modules = {*operators["python-modules"], *triggers["python-modules"]}
    prefix = "airflow_provider_seedance"
    assert {
        f"{prefix}.operators.seedance",
        f"{prefix}.operators.modes",
        f"{prefix}.operators.quote",
        f"{prefix}.triggers.seedance",
        f"{prefix}.triggers.reconcile",
        f"{prefix}.triggers.rate_limit",
    } <= modules
