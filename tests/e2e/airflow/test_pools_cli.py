"""The pool helper creates a real pool: ``airflow pools set`` on a migrated metadata DB.

The connection (with ``account_level``) comes from the environment as in production; the
pool that results is read back with ``airflow pools get``: its slots are the level's
concurrency limit and it counts deferred tasks.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.airflow, pytest.mark.timeout(600)]

pytest.importorskip("airflow")

from tests.support.paths import REPO_ROOT as ROOT  # noqa: E402

AIRFLOW = str(Path(sys.executable).with_name("airflow"))
CONNECTION = {
    "conn_type": "wavespeed",
    "password": "pool-key-77",
    "extra": {"account_level": "silver"},
}


def test_the_pool_command_creates_the_account_s_pool(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(
        {
            "AIRFLOW_HOME": str(tmp_path),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{tmp_path / 'airflow.db'}",
            "AIRFLOW_CONN_WAVESPEED_DEFAULT": json.dumps(CONNECTION),
            "PYTHONPATH": str(ROOT),
        }
    )

    def run(*args: str) -> str:
        done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    run(AIRFLOW, "db", "migrate")
    out = run(sys.executable, "-m", "airflow_provider_seedance.pools", "--airflow", AIRFLOW)
    assert "pools set seedance 300" in out and "pool-key-77" not in out
    (pool,) = json.loads(run(AIRFLOW, "pools", "get", "seedance", "-o", "json"))
    assert int(pool["slots"]) == 300
    assert str(pool["include_deferred"]).lower() == "true"
    assert "silver" in pool["description"]
