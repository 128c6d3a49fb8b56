"""Every bad-input case, through the client, the operator and the node, for real.

A case passes when the user gets a typed error whose message names the field (or says
what went wrong), nothing was submitted when the input could be checked before paying,
a previous video at the destination is untouched, no ``.part`` file is left, and the
key appears nowhere in the message. Untyped Python errors (``AttributeError``, a bare
``ValueError``, an ``OSError``) or no error at all are failures: they are bugs.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .bad_inputs import CLIENT_CASES, KEY, WRONG_KEY, Case, Env, environment, run_case

try:
    from .bad_inputs_hosts import NODE_CASES, OPERATOR_CASES
except ImportError:  # pragma: no cover - a slimmer install
    NODE_CASES, OPERATOR_CASES = [], []

#: Python's own exceptions: reaching the user as-is means nobody handled the case.
UNTYPED = {
    "(no error)",
    "AttributeError",
    "TypeError",
    "ValueError",
    "KeyError",
    "OSError",
    "NotADirectoryError",
    "PermissionError",
    "FileNotFoundError",
}
ALL_CASES = CLIENT_CASES + OPERATOR_CASES + NODE_CASES


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    home = tmp_path_factory.mktemp("airflow-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AIRFLOW_HOME", str(home))
        mp.setenv("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
        with environment(tmp_path_factory.mktemp("bad-input")) as built:
            yield built


def test_the_table_has_at_least_30_cases_on_each_of_the_client_and_all_layers() -> None:
    assert len(CLIENT_CASES) >= 30
    assert len(ALL_CASES) >= 60
    assert len({(c.layer, c.key) for c in ALL_CASES}) == len(ALL_CASES)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("case", ALL_CASES, ids=lambda c: f"{c.layer}-{c.key}")
def test_bad_input_fails_typed_named_and_before_paying(case: Case, env: Env) -> None:
    if case.layer == "operator":
        pytest.importorskip("airflow")
    if case.layer == "node":
        pytest.importorskip("torch")
    outcome = run_case(case, env)
    assert outcome.error_type not in UNTYPED, (
        f"{case.what}: untyped {outcome.error_type}: {outcome.message}"
    )
    assert case.names in outcome.message, f"{case.names!r} not in: {outcome.message}"
    assert KEY not in outcome.message and WRONG_KEY not in outcome.message
    if case.before_paying:
        assert outcome.submits == 0, f"{case.what}: {outcome.submits} submit(s) before failing"
    else:
        assert outcome.submits <= 1
    assert outcome.previous_intact
    assert outcome.leftovers == []
    if case.keeps_previous:
        dest = Path(env.work) / f"dest-{case.layer}-{case.key}"
        assert [p.name for p in dest.iterdir()] == ["previous.mp4"]
