"""``SeedanceStoryboard``: a storyboard as an Airflow task group (quote, shots, stitch).

::

    from airflow_provider_seedance import SeedanceStoryboard

    draft = SeedanceStoryboard("draft", board="ad.yaml", tier="mini", resolution="480p",
                               output_path="/data/films/{{ run_id }}/draft", max_cost_usd=5)

The group holds ``quote`` (validates and prices the whole board, refuses it over the cap
with nothing paid), one task per shot (``shot_01``...; a ``cut`` depends only on the
quote, so cuts run in parallel; ``continue``/``extend`` follow the previous shot, whose
XCom result brings the last frame or the footage) and ``stitch`` (the core's stitching,
an asset event for the film). The graph is built when the DAG is parsed, so the shape of
the board (how many shots, how each joins) must be known then: from the board itself
when it is a literal file or dict, else from ``layout``. Everything else (prompts,
media, settings, the source itself) may be templated and is read when the run starts.

``gate``: a task (e.g. an ``ApprovalOperator``) placed between the quote step and every
shot: the price is known before anybody decides, and nothing is paid unless it passes.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from airflow.providers.common.compat.sdk import ObjectStoragePath, TaskGroup

from airflow_provider_seedance.hooks.seedance import DEFAULT_CONN_ID
from airflow_provider_seedance.operators.story import (
    JOINS,
    SeedanceStoryQuoteOperator,
    SeedanceStoryShotOperator,
    check_layout,
    load_board,
    with_overrides,
)
from airflow_provider_seedance.operators.story_stitch import SeedanceStoryStitchOperator
from shared_client import InvalidRequestError, Storyboard

__all__ = ["SeedanceStoryboard", "StoryTasks", "story_review_body"]


@dataclass(frozen=True)
class StoryTasks:
    """The task group and its tasks; ``>>``/``<<`` act on the whole group."""

    group: TaskGroup
    quote: SeedanceStoryQuoteOperator
    shots: tuple[SeedanceStoryShotOperator, ...]
    stitch: SeedanceStoryStitchOperator

    def __rshift__(self, other: Any) -> Any:
        return self.group >> other

    def __lshift__(self, other: Any) -> Any:
        return self.group << other

    def __rrshift__(self, other: Any) -> StoryTasks:
        self.group.__rrshift__(other)
        return self

    def __rlshift__(self, other: Any) -> StoryTasks:
        self.group.__rlshift__(other)
        return self


def _templated(value: Any) -> bool:
    if isinstance(value, str):
        return "{{" in value or "{%" in value
    if isinstance(value, Mapping):
        return any(_templated(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_templated(v) for v in value)
    return False


def _parse_time_board(board: Any) -> Storyboard | None:
    """The board when it can be read now (a literal dict, a local file that exists)."""
    if isinstance(board, Storyboard):
        return board
    if _templated(board):
        return None
    if isinstance(board, Mapping):
        return load_board(board)
    if isinstance(board, ObjectStoragePath):
        return load_board(board) if board.protocol in ("file", "local", "") else None
    text = str(board)
    local = text[len("file://") :] if text.startswith("file://") else text
    if "://" not in local and os.path.isfile(local):
        return load_board(local)
    return None


def _source(board: Any) -> Any:
    """What the quote step renders: a board object travels as its plain data."""
    if isinstance(board, Storyboard):
        return board.to_dict()
    if isinstance(board, Path):
        return str(board.resolve())
    if isinstance(board, str) and "://" not in board and not _templated(board):
        return str(Path(board).resolve()) if os.path.exists(board) else board
    return board


def SeedanceStoryboard(
    group_id: str,
    *,
    board: Any,
    output_path: Any,
    tier: str | None = None,
    resolution: str | None = None,
    max_cost_usd: float | str | None = None,
    layout: Sequence[str] | None = None,
    gate: Any = None,
    outlets: Sequence[Any] | None = None,
    review_urls: bool = True,
    wavespeed_conn_id: str = DEFAULT_CONN_ID,
    tooltip: str = "",
    **shot_kwargs: Any,
) -> StoryTasks:
    """Build the task group of a storyboard; see the module docstring.

    :param board: A storyboard file (path, ``file://`` or ``ObjectStoragePath``/URI), a
        dict in the file's shape, or a ``Storyboard``. Templated.
    :param output_path: Folder for the shots (``<output_path>/shots``) and the film.
        Templated; use a value every run has (``{{ run_id }}``), not ``{{ ds }}``.
    :param tier: Override of the board's tier (``mini`` for a cheap draft). Templated.
    :param resolution: Override of the board's resolution. Templated.
    :param max_cost_usd: Cap for the whole board, checked on its quote before any shot.
    :param layout: The shots' joins (``["cut", "continue", ...]``) when the board cannot
        be read at parse time (a templated source, a file only the workers see).
    :param gate: A task between the quote step and every shot, or an approval step from
        ``seedance_approval()`` (its ask follows the quote, every shot follows its
        decision).
    :param outlets: Assets the film's event goes to (with cost, shot ids, contact sheet).
    :param review_urls: Upload the film and contact sheet for browser links.
    :param shot_kwargs: Passed to every shot task (``poll_interval``, ``timeout``,
        ``retries``, ``deferrable``, ``settle_window``, ``pool``, ...).
    """
    known = _parse_time_board(board)
    if known is not None:  # checked now: a bad board fails the DAG file, not a run
        known = with_overrides(
            known,
            tier=None if _templated(tier) else tier,
            resolution=None if _templated(resolution) else resolution,
        )
        check_layout(known, layout)
        joins = [shot.join for shot in known.shots]
    elif layout is not None:
        joins = list(layout)
        for index, join in enumerate(joins):
            if join not in JOINS:
                raise InvalidRequestError(f"layout[{index}]", join, ", ".join(JOINS))
        if not joins or joins[0] != "cut":
            raise InvalidRequestError("layout[0]", joins[:1], "cut (the first shot)")
    else:
        raise InvalidRequestError(
            "layout",
            None,
            "the shots' joins (e.g. ['cut', 'continue']) when the board is not readable "
            "when the DAG is parsed",
        )
    shots_folder = f"{output_path}/shots" if isinstance(output_path, str) else output_path / "shots"
    with TaskGroup(group_id, tooltip=tooltip or "Seedance storyboard") as group:
        quote = SeedanceStoryQuoteOperator(
            task_id="quote",
            board=_source(board),
            tier=tier,
            resolution=resolution,
            max_cost_usd=max_cost_usd,
            layout=joins,
            wavespeed_conn_id=wavespeed_conn_id,
        )
        shots: list[SeedanceStoryShotOperator] = []
        for index, join in enumerate(joins):
            previous = shots[-1] if join != "cut" else None
            shot = SeedanceStoryShotOperator(
                task_id=f"shot_{index + 1:02d}",
                quote_task_id=quote.task_id,
                index=index,
                previous_task_id=shots[-1].task_id if join != "cut" else None,
                output_path=shots_folder,
                wavespeed_conn_id=wavespeed_conn_id,
                doc_md=_shot_doc(known, index, join),
                **shot_kwargs,
            )
            quote >> shot
            if gate is not None:
                _gate_exits(gate) >> shot  # nothing is paid unless the gate passes
            if previous is not None:
                previous >> shot
            shots.append(shot)
        stitch = SeedanceStoryStitchOperator(
            task_id="stitch",
            quote_task_id=quote.task_id,
            shot_task_ids=[s.task_id for s in shots],
            output_path=output_path,
            review_urls=review_urls,
            wavespeed_conn_id=wavespeed_conn_id,
            outlets=list(outlets or []),
        )
        shots >> stitch
    if gate is not None:
        quote >> _gate_entries(gate)
    return StoryTasks(group, quote, tuple(shots), stitch)


def _gate_entries(gate: Any) -> Any:
    """What follows the quote: the gate, or an approval step's ask."""
    return list(gate.roots) if hasattr(gate, "roots") and hasattr(gate, "leaves") else gate


def _gate_exits(gate: Any) -> Any:
    """What every shot follows: the gate, or an approval step's decision."""
    return list(gate.leaves) if hasattr(gate, "roots") and hasattr(gate, "leaves") else gate


def _shot_doc(board: Storyboard | None, index: int, join: str) -> str:
    """What the shot is, on its task's page (when the board is known at parse time)."""
    if board is None:
        return f"Shot {index + 1} (`{join}`); the board is read when the run starts."
    shot = board.shots[index]
    return f"Shot {index + 1} of *{board.title}* (`{join}`, {shot.duration} s): {shot.full_prompt}"


def story_review_body(draft: StoryTasks | str, final: StoryTasks | str) -> str:
    """The approval screen (Markdown, templated): the draft's film link and contact sheet,
    and the final's quoted price with its source, read from XCom when the task runs.
    Takes the two groups or their group ids (the approval task exists before the final
    group that it gates)."""
    draft_id = draft if isinstance(draft, str) else draft.group.group_id
    final_id = final if isinstance(final, str) else final.group.group_id
    film = f"ti.xcom_pull(task_ids='{draft_id}.stitch')"
    price = f"ti.xcom_pull(task_ids='{final_id}.quote')"
    return (
        f"{{% set d = {film} %}}{{% set f = {price} %}}"
        "### Draft: {{ d.title }} ({{ d.tier }}, {{ d.resolution }}, {{ d.seconds }} s, "
        "{{ d.shots | length }} shots)\n\n"
        "**Draft film**: {% if d.film_url %}[{{ d.film_url }}]({{ d.film_url }}){% else %}"
        "`{{ d.film }}`{% endif %}  \n"
        "Saved at `{{ d.film }}`; the draft cost "
        "**${{ '%.4f' | format(d.cost_usd or 0) }}** ({{ d.cost_says }}).\n\n"
        "**Contact sheet** (one frame per shot):\n\n"
        "{% if d.contact_sheet_url %}![contact sheet]({{ d.contact_sheet_url }})\n\n"
        "[open the contact sheet]({{ d.contact_sheet_url }}){% else %}"
        "`{{ d.contact_sheet }}`{% endif %}\n\n"
        "### Final: {{ f.shots }} shots at {{ f.tier }}, {{ f.resolution }}\n\n"
        "Quoted **${{ '%.4f' | format(f.total_usd) }} {{ f.currency }}** "
        "({{ f.described }}). **Approve** renders and pays for the final with the same "
        "shots and references; **Reject** ends the run: only the draft was paid."
    )
