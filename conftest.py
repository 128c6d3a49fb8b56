"""Rules every test follows, set once: its markers come from the folder it lives in.

A test's folder says what it needs, so the fast loop (``make check``: ``-m "not e2e"``)
and the full run (``make test``) select by folder, and no test can claim to be a unit
test while starting a server:

========================  ===========================================================
``tests/unit/``           ``unit``: pure code; opening a listening socket fails the test
``tests/integration/``    ``integration``: loopback servers (the simulator), no Airflow
                          deployment, browser or cluster
``tests/reliability/``    ``reliability``: faults, fuzzing, hostile servers on loopback
``tests/e2e/<kind>/``     ``e2e`` plus the kind's own: ``airflow``, ``browser``,
                          ``distributed`` (Redis, PostgreSQL), ``comfy``
========================  ===========================================================

Also here: a failed test that ran a real Airflow gets an "airflow diagnosis" section (its
failing tasks' states and log tails, the components' error lines:
``tests/support/diagnosis.py``), and soak tests
(``@pytest.mark.soak``, minutes each, wherever they live) are skipped unless the run asks
for them: ``make soak`` (``-m soak``) or ``SEEDANCE_SOAK=1``.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Generator
from pathlib import Path

import pytest

_TESTS = Path(__file__).resolve().parent / "tests"

#: Markers by folder (relative to ``tests/``); the longest matching folder wins.
FOLDER_MARKERS: dict[str, tuple[str, ...]] = {
    "unit": ("unit",),
    "integration": ("integration",),
    "reliability": ("reliability",),
    "e2e/airflow": ("e2e", "airflow"),
    "e2e/airflow2": ("e2e", "airflow"),
    "e2e/crashes": ("e2e", "airflow"),
    "e2e/reliability": ("e2e", "airflow"),
    "e2e/browser": ("e2e", "airflow", "browser"),
    "e2e/distributed": ("e2e", "airflow", "distributed"),
    "e2e/comfy_nodes": ("e2e", "comfy"),
}


def folder_markers(path: Path) -> tuple[str, ...]:
    """The markers of a test file, from its folder under ``tests/`` (none outside it)."""
    try:
        relative = path.resolve().relative_to(_TESTS).parent.as_posix()
    except ValueError:
        return ()
    best = ""
    for folder in FOLDER_MARKERS:
        if (relative == folder or relative.startswith(folder + "/")) and len(folder) > len(best):
            best = folder
    return FOLDER_MARKERS.get(best, ())


def soak_enabled(config: pytest.Config) -> bool:
    """True when the run asked for soak tests: ``-m soak`` (or an expression naming it)."""
    markexpr = str(config.getoption("-m") or "")
    asked = "soak" in markexpr and "not soak" not in markexpr
    return asked or os.environ.get("SEEDANCE_SOAK") == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_soak = pytest.mark.skip(reason="soak run: use `make soak` (-m soak) or SEEDANCE_SOAK=1")
    soak = soak_enabled(config)
    for item in items:
        marks = folder_markers(Path(str(item.path)))
        for name in marks:
            item.add_marker(name)
        if not soak and item.get_closest_marker("soak") is not None:
            item.add_marker(skip_soak)


class ServerInUnitTest(AssertionError):
    """A test under ``tests/unit/`` opened a listening socket."""


@pytest.fixture(autouse=True)
def _unit_tests_start_no_server(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    if request.node.get_closest_marker("unit") is None:
        return

    def refuse(self: socket.socket, *args: object) -> None:
        raise ServerInUnitTest(
            f"{request.node.nodeid} opened a listening socket: a test that starts a "
            "server belongs in tests/integration/ (or tests/e2e/)"
        )

    monkeypatch.setattr(socket.socket, "listen", refuse)


_started: dict[str, float] = {}


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    _started[item.nodeid] = time.time() - 1.0  # logs touched since then are this test's


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed and item.get_closest_marker("e2e") is not None:
        from tests.support.diagnosis import failure_report

        factory = getattr(item.config, "_tmp_path_factory", None)
        basetemp = factory.getbasetemp() if factory is not None else None
        text = failure_report(basetemp, _started.get(item.nodeid, 0.0))
        if text:
            report.sections.append(("airflow diagnosis", text))
    return report
