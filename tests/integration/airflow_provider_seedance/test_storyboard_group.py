"""``SeedanceStoryboard``: the task graph by join kind, XCom between its tasks, validation.

The graph tests build DAGs and read their edges. The run tests execute the group's tasks
in order in this process (``deferrable=False``) against the simulator, with one XCom
store shared by the tasks, so what one task returns is what the next one pulls.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import av
import pytest

from airflow_provider_seedance import SeedanceStoryboard
from airflow_provider_seedance.operators.story import SeedanceStoryShotOperator
from shared_client import InvalidRequestError
from tests.support.airflow import FakeStateStore, FakeTI, OutletEvents
from tests.support.media import save_png

DAG_KW = {"schedule": None, "start_date": datetime(2026, 1, 1)}


def _dag(dag_id: str, **kwargs: Any) -> Any:
    from airflow.providers.common.compat.sdk import DAG

    return DAG(dag_id, **DAG_KW, **kwargs)


def _board(tmp_path: Path, **changes: Any) -> dict[str, Any]:
    hero = save_png(tmp_path / "hero.png", (64, 80), (200, 40, 40))
    city = save_png(tmp_path / "city.png", (80, 45), (30, 60, 200))
    board: dict[str, Any] = {
        "title": "Unit story",
        "tier": "fast",
        "resolution": "720p",
        "references": {"images": [str(hero)]},
        "shots": [
            {"prompt": "@Image1 ties a shoe", "duration": 4},
            {"prompt": "she stands up", "duration": 4, "join": "continue"},
            {"prompt": "she walks away", "duration": 4, "join": "extend"},
            {"prompt": "the city", "duration": 4, "image": str(city)},
        ],
    }
    board.update(changes)
    return board


def _upstream(story: Any) -> dict[str, set[str]]:
    tasks = [story.quote, *story.shots, story.stitch]
    return {t.task_id.split(".", 1)[1]: {u.split(".", 1)[-1] for u in t.upstream_task_ids}
            for t in tasks}  # fmt: skip


def test_cuts_run_in_parallel_and_continue_extend_follow_the_previous_shot(
    tmp_path: Path,
) -> None:
    with _dag("story_graph"):
        story = SeedanceStoryboard("story", board=_board(tmp_path), output_path=str(tmp_path))
    edges = _upstream(story)
    assert edges["quote"] == set()
    assert edges["shot_01"] == {"quote"}
    assert edges["shot_02"] == {"quote", "shot_01"}  # continue: the last frame of shot 1
    assert edges["shot_03"] == {"quote", "shot_02"}  # extend: the footage of shot 2
    assert edges["shot_04"] == {"quote"}  # a cut: beside the chain
    assert edges["stitch"] == {"shot_01", "shot_02", "shot_03", "shot_04"}
    assert [s.previous_task_id for s in story.shots] == [
        None, "story.shot_01", "story.shot_02", None
    ]  # fmt: skip
    assert story.shots[0].max_cost_usd.startswith("{{ ti.xcom_pull(task_ids='story.quote')")


def test_a_gate_stands_between_the_quote_and_every_shot(tmp_path: Path) -> None:
    from airflow.providers.common.compat.sdk import BaseOperator

    class Gate(BaseOperator):
        def execute(self, context: Any) -> None:
            return None

    with _dag("story_gate"):
        gate = Gate(task_id="approve")
        story = SeedanceStoryboard(
            "final", board=_board(tmp_path), output_path=str(tmp_path), gate=gate,
            resolution="1080p",
        )  # fmt: skip
    assert gate.upstream_task_ids == {"final.quote"}
    assert all("approve" in shot.upstream_task_ids for shot in story.shots)


def test_a_templated_board_needs_its_layout_and_is_rendered_when_the_run_starts(
    tmp_path: Path,
) -> None:
    with pytest.raises(InvalidRequestError, match="layout"), _dag("story_templated_nolayout"):
        SeedanceStoryboard("s", board="{{ params.board }}", output_path=str(tmp_path))
    path = tmp_path / "board.json"
    path.write_text(json.dumps(_board(tmp_path)))
    with _dag("story_templated", params={"board": str(path)}) as dag:
        story = SeedanceStoryboard(
            "s", board="{{ params.board }}", output_path=str(tmp_path) + "/{{ run_id }}",
            layout=["cut", "continue", "extend", "cut"], tier="{{ params.get('tier', 'mini') }}",
        )  # fmt: skip
    assert "board" in story.quote.template_fields
    story.quote.render_template_fields({"params": dag.params, "run_id": "r1"})
    assert story.quote.board == str(path)
    assert story.quote.tier == "mini"
    ti = FakeTI()
    ti.xcom["return_value"] = {"quotes": [{"usd": 0.25}]}  # what the quote step returned
    story.shots[0].render_template_fields({"run_id": "r1", "ti": ti})
    assert story.shots[0].output_path == f"{tmp_path}/r1/shots"
    assert story.shots[0].max_cost_usd == "0.25"


def test_a_bad_board_is_refused_when_the_dag_is_parsed_naming_the_shot_and_field(
    tmp_path: Path,
) -> None:
    board = _board(tmp_path)
    board["shots"][2]["duration"] = 99
    with pytest.raises(InvalidRequestError, match=r"shots\[2\]\.duration"), _dag("story_bad"):
        SeedanceStoryboard("s", board=board, output_path=str(tmp_path))
    with (
        pytest.raises(InvalidRequestError, match=r"shots\[0\]\.resolution"),
        _dag("story_bad_override"),
    ):
        SeedanceStoryboard("s", board=_board(tmp_path), resolution="999p",
                               output_path=str(tmp_path))  # fmt: skip
    with pytest.raises(InvalidRequestError, match=r"shots\[1\]\.join"), _dag("story_layout"):
        SeedanceStoryboard("s", board=_board(tmp_path), output_path=str(tmp_path),
                               layout=["cut", "cut", "extend", "cut"])  # fmt: skip


class RunXCom:
    """One DAG run's XComs: every task pushes here, and pulls any task's values."""

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], Any] = {}

    def context(self, task: Any) -> dict[str, Any]:
        store = self

        class TI(FakeTI):
            def xcom_push(self, key: str, value: Any, **_: Any) -> None:
                store.values[(self.task_id, key)] = json.loads(json.dumps(value))

            def xcom_pull(self, task_ids: Any = None, key: str = "return_value", **_: Any) -> Any:
                return store.values.get((task_ids or self.task_id, key))

        ti = TI(task.task_id, dag_id="story_run", run_id="manual__unit")
        return {"ti": ti, "task_state_store": FakeStateStore(), "outlet_events": OutletEvents(),
                "run_id": "manual__unit"}  # fmt: skip

    def run(self, task: Any) -> Any:
        context = self.context(task)
        task.render_template_fields(context)
        result = task.execute(context)
        self.values[(task.task_id, "return_value")] = json.loads(json.dumps(result))
        return result, context


def _story(tmp_path: Path, board: Any, **kwargs: Any) -> Any:
    from airflow.providers.common.compat.sdk import Asset

    with _dag("story_run"):
        return SeedanceStoryboard(
            "story", board=board, output_path=str(tmp_path / "out"), deferrable=False,
            poll_interval=0.2, outlets=[Asset("seedance://films/unit")], **kwargs,
        )  # fmt: skip


def test_the_group_runs_quote_shots_stitch_passing_frames_and_footage_by_xcom(
    sim: Any, wavespeed_conn: str, tmp_path: Path
) -> None:
    story = _story(tmp_path, _board(tmp_path), tier="mini", resolution="480p")
    run = RunXCom()
    quoted, _ = run.run(story.quote)
    assert quoted["tier"] == "mini" and quoted["resolution"] == "480p"
    assert quoted["sources"] == ["api"] and len(quoted["quotes"]) == 4
    for shot in story.shots:
        result, context = run.run(shot)
        assert shot.max_cost_usd == str(quoted["quotes"][shot.index]["usd"])  # its allocation
        assert result["video_paths"]
    assert sim.stats()["submissions"] == 4
    film, context = run.run(story.stitch)
    with av.open(film["film"]) as container:
        assert float(container.duration) / 1e6 == pytest.approx(16, abs=0.35)
    assert Path(film["contact_sheet"]).is_file()
    assert film["cost_usd"] == pytest.approx(quoted["total_usd"], abs=1e-4)
    assert film["cost_source"] == "api" and film["cost_says"] == "pricing API"
    assert [m.rsplit("/", 1)[1] for m in film["models"]] == [
        "image-to-video", "text-to-video", "video-extend"
    ]  # fmt: skip
    assert film["film_url"].startswith(sim.base_url) and film["contact_sheet_url"]
    extra = next(iter(context["outlet_events"].values())).extra
    assert extra["prediction_ids"] == [s["prediction_id"] for s in film["shots"]]
    assert extra["cost_usd"] == film["cost_usd"] and extra["cost_source"] == "api"
    assert extra["contact_sheet"] == film["contact_sheet"]


def test_the_continue_shot_starts_from_the_exact_last_frame_of_the_previous_shot(
    sim: Any, wavespeed_conn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared_client import last_frame_png

    story = _story(tmp_path, _board(tmp_path), tier="mini", resolution="480p")
    run = RunXCom()
    run.run(story.quote)
    first, _ = run.run(story.shots[0])
    shot = story.shots[1]
    context = run.context(shot)
    shot.render_template_fields(context)
    shot._context = context
    request = shot.build_request()
    assert request.image == last_frame_png(Path(first["video_paths"][0]))
    assert sim.stats()["submissions"] == 1  # building the request pays nothing


def test_at_run_time_a_bad_board_or_one_over_the_cap_is_refused_with_nothing_paid(
    sim: Any, wavespeed_conn: str, tmp_path: Path
) -> None:
    from airflow.providers.common.compat.sdk import AirflowFailException

    bad = _board(tmp_path)
    bad["shots"][3]["duration"] = 99
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    with _dag("story_runtime_bad", params={"board": str(path)}):
        story = SeedanceStoryboard("s", board="{{ params.board }}", output_path=str(tmp_path),
                                   layout=["cut", "continue", "extend", "cut"])  # fmt: skip
    run = RunXCom()
    context = run.context(story.quote)
    context["params"] = {"board": str(path)}
    story.quote.render_template_fields(context)
    with pytest.raises(AirflowFailException, match=r"shots\[3\]\.duration.*nothing was submitted"):
        story.quote.execute(context)
    capped = _story(tmp_path, _board(tmp_path), max_cost_usd=0.5)
    with pytest.raises(AirflowFailException, match=r"\(pricing API\), above the cap of \$0\.5000"):
        RunXCom().run(capped.quote)
    assert sim.stats()["submissions"] == 0 and sim.stats()["uploads"] == 0


def test_a_shot_task_is_the_providers_paying_operator() -> None:
    from airflow_provider_seedance.operators.base import SeedanceGenerationOperator

    assert issubclass(SeedanceStoryShotOperator, SeedanceGenerationOperator)


def test_a_shot_defers_and_a_retry_after_a_crash_reattaches_instead_of_paying_again(
    sim: Any, wavespeed_conn: str, tmp_path: Path
) -> None:
    from airflow.providers.common.compat.sdk import TaskDeferred

    from airflow_provider_seedance.reattach import STATE_KEY

    with _dag("story_defer"):
        story = SeedanceStoryboard("story", board=_board(tmp_path), tier="mini",
                                   resolution="480p", output_path=str(tmp_path / "out"),
                                   poll_interval=0.2)  # fmt: skip
    run = RunXCom()
    run.run(story.quote)
    shot = story.shots[0]
    context = run.context(shot)
    shot.render_template_fields(context)
    with pytest.raises(TaskDeferred) as deferred:  # paid, then waits in the triggerer
        shot.execute(context)
    assert deferred.value.trigger.serialize()[1]["prediction_id"]
    paid = context["task_state_store"].get(STATE_KEY)
    assert paid and sim.stats()["submissions"] == 1
    retry = run.context(shot)  # the worker died; the next try finds the id in its store
    retry["task_state_store"] = context["task_state_store"]
    with pytest.raises(TaskDeferred) as again:
        shot.execute(retry)
    assert again.value.trigger.serialize()[1]["prediction_id"] == paid
    assert sim.stats()["submissions"] == 1  # followed, not paid again
