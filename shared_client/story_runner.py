"""Generate a storyboard: quote it whole, pay each shot once, stitch the film.

The runner is written once, over the async client; the sync client runs it on a private
event loop. Its order is the money order:

1. every shot is priced (dependent shots with a placeholder for the media they wait for)
   and the board is refused over ``max_cost_usd`` with nothing paid;
2. independent shots (each ``cut`` starts a chain) run concurrently, dependent ones
   (``continue``, ``extend``) in order;
3. each shot pays at most once, across crashes and retries: a small ledger per shot in
   ``dest/.story/`` holds the submit intent (written before the POST), the prediction id
   and the downloaded file. A re-run reuses finished shots, follows submitted ones, and
   searches the history for a shot whose submit was cut short (``settle_submission``);
4. the shots are stitched (:mod:`.stitch`) and a contact sheet is drawn for review.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import BudgetExceededError, InvalidRequestError, SubmissionUncertainError
from .fingerprint import canonical_fingerprint
from .preconditions import check_run
from .story_client import StoryClient
from .storyboard import Storyboard
from .submit_intent import DEFAULT_SETTLE_WINDOW, SubmitIntent
from .values import Quote

#: What a storyboard run needs installed (stitching, frames, the contact sheet).
STORY_EXTRAS = ("stories",)

__all__ = [
    "STORY_EXTRAS",
    "ShotResult",
    "ShotUpdate",
    "StoryResult",
    "paid_shots",
    "run_story",
    "stitch_story",
    "story_slug",
]


@dataclass(frozen=True)
class ShotUpdate:
    """What ``on_update`` receives: one shot's progress."""

    index: int
    total: int
    status: str
    prediction_id: str | None = None

    def __str__(self) -> str:
        pid = f" ({self.prediction_id})" if self.prediction_id else ""
        return f"shot {self.index + 1}/{self.total}: {self.status}{pid}"


@dataclass(frozen=True)
class ShotResult:
    """One shot as paid and downloaded (``reused``: taken from an earlier run, not paid)."""

    index: int
    prediction_id: str
    model: str
    cost_usd: float | None
    cost_source: str | None
    file: Path
    reused: bool = False


@dataclass(frozen=True)
class StoryResult:
    """The film, its contact sheet, and what each shot was and cost."""

    title: str
    film: Path
    contact_sheet: Path
    shots: tuple[ShotResult, ...]
    reencoded: bool

    @property
    def cost_usd(self) -> float:
        return round(sum(s.cost_usd or 0.0 for s in self.shots if not s.reused), 4)


class _Ledger:
    """One JSON file per shot: key, intent, prediction id, file. Written atomically."""

    def __init__(self, folder: Path, index: int, key: str) -> None:
        self.path = folder / f"shot-{index:02d}.json"
        self.key = key

    def read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) and data.get("key") == self.key else {}

    @staticmethod
    def finished(record: dict[str, Any]) -> bool:
        """The shot's video is on disk from an earlier run: reuse it, pay nothing."""
        return bool(record.get("file")) and os.path.isfile(record["file"])

    def write(self, **fields: Any) -> None:
        data = {**self.read(), **fields, "key": self.key}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, self.path)


async def run_story(
    client: StoryClient,
    board: Storyboard,
    dest: str | os.PathLike[str],
    *,
    max_cost_usd: float | None = None,
    on_update: Callable[[ShotUpdate], Any] | None = None,
    poll_interval: float = 5.0,
    timeout: float = 1800.0,
    settle_window: float = DEFAULT_SETTLE_WINDOW,
) -> StoryResult:
    """See the module docstring; returns when the film is on disk."""
    from . import stitch

    # Before any quote or payment: the stitch needs the stories extra, the film needs
    # its folder, and every shot needs its input files (a shot 3 image that cannot be
    # read must not be found after shots 1 and 2 were paid).
    requests = [board.request_for(i) for i in range(len(board.shots))]
    folder = check_run(requests, dest=dest, extras=STORY_EXTRAS) or Path(dest)
    board_key = canonical_fingerprint(_board_identity(board))
    work = _work_folder(folder, board_key)
    slug = story_slug(board)
    quotes = await asyncio.gather(*(client.quote(r) for r in requests))
    if max_cost_usd is not None:
        total = round(sum(q.usd for q in quotes), 4)
        if total > max_cost_usd:
            offline = any(q.source == "table" for q in quotes)
            raise BudgetExceededError(
                Quote(total, "USD", "table" if offline else "api", f"storyboard {board.title!r}"),
                max_cost_usd,
            )
    results: dict[int, ShotResult] = {}

    def say(index: int, status: str, pid: str | None = None) -> None:
        if on_update is not None:
            on_update(ShotUpdate(index, len(board.shots), status, pid))

    async def shot(index: int, previous: ShotResult | None) -> ShotResult:
        dependency = previous.prediction_id if previous else None
        ledger = _Ledger(work, index, _shot_key(board_key, index, dependency))
        target = folder / f"{slug}-shot-{index + 1:02d}.mp4"
        record = ledger.read()
        quote = quotes[index]
        if ledger.finished(record):
            say(index, "reused (no new charge)", record.get("prediction_id"))
            return ShotResult(index, record["prediction_id"], record["model"],
                              record.get("cost_usd"), record.get("cost_source"),
                              Path(record["file"]), reused=True)  # fmt: skip
        frame = (
            await asyncio.to_thread(stitch.last_frame_png, previous.file)
            if previous and board.shots[index].join == "continue"
            else None
        )
        request = board.request_for(
            index,
            previous_frame=frame,
            previous_video=previous.file if previous and board.shots[index].join == "extend"
            else None,
        )  # fmt: skip
        pid = record.get("prediction_id")
        if not pid and record.get("intent"):
            intent = SubmitIntent.from_json(record["intent"])
            say(index, "confirming whether the request was received")
            found = await client.settle_submission(intent, settle_window=settle_window)
            if found is None and intent.answer_lost:
                raise SubmissionUncertainError(
                    f"shot {index + 1}: an earlier run's submit was sent but its answer was "
                    f"lost, and no task appeared within {settle_window:g} s; not resubmitted",
                    model=intent.model,
                    fingerprint=intent.fingerprint,
                    submitted_at=intent.not_before,
                )
            pid = found.id if found else None
        if not pid:
            say(index, "submitting")
            owner = f"story/{board_key[:16]}/shot-{index}"
            try:
                submitted = await client.submit(
                    request,
                    owner=owner,
                    quote=quote,
                    on_intent=lambda intent: ledger.write(intent=intent.to_json()),
                )
            except SubmissionUncertainError as exc:
                if exc.intent is not None:
                    ledger.write(intent=exc.intent.lost().to_json())
                raise
            pid = submitted.id
        ledger.write(prediction_id=pid, model=request.model, cost_usd=quote.usd,
                     cost_source=quote.source)  # fmt: skip
        say(index, "generating", pid)
        done = await client.wait(
            pid,
            poll_interval=poll_interval,
            timeout=timeout,
            on_update=lambda p: say(index, p.status.value, pid),
        )
        path = await client.download(done, target)
        ledger.write(file=str(path))
        say(index, "downloaded", pid)
        return ShotResult(index, pid, request.model, quote.usd, quote.source, Path(path))

    async def chain(indexes: list[int]) -> None:
        previous = None
        for index in indexes:
            previous = results[index] = await shot(index, previous)

    await asyncio.gather(*(chain(c) for c in board.chains()))
    ordered = tuple(results[i] for i in range(len(board.shots)))
    film, sheet, reencoded = await asyncio.to_thread(
        stitch_story, board, [s.file for s in ordered], folder
    )
    return StoryResult(board.title, film, sheet, ordered, reencoded)


def story_slug(board: Storyboard) -> str:
    """The film's file stem: the title in lower-case words joined by dashes."""
    return re.sub(r"[^a-z0-9]+", "-", board.title.lower()).strip("-") or "story"


def stitch_story(
    board: Storyboard, files: Sequence[str | os.PathLike[str]], folder: str | os.PathLike[str]
) -> tuple[Path, Path, bool]:
    """Stitch the shots' files (one per shot, in board order) into ``folder/<slug>.mp4``
    and draw ``<slug>-contact-sheet.png``; returns (film, contact sheet, re-encoded).

    An ``extend`` shot's file holds the footage it extended followed by its new seconds;
    the film takes only the new seconds. Shared by the runner and the Airflow task group.
    """
    from . import stitch

    if len(files) != len(board.shots):
        raise InvalidRequestError("files", len(files), f"one file per shot ({len(board.shots)})")
    paths = [Path(f) for f in files]
    clips = [
        stitch.Clip(
            path,
            stitch.video_seconds(paths[i - 1]) if board.shots[i].join == "extend" else 0.0,
        )
        for i, path in enumerate(paths)
    ]
    out = Path(folder)
    slug = story_slug(board)
    film, reencoded = stitch.stitch(clips, out / f"{slug}.mp4")
    sheet = stitch.contact_sheet(paths, out / f"{slug}-contact-sheet.png")
    return film, sheet, reencoded


def _board_identity(board: Storyboard) -> dict[str, Any]:
    """What makes two boards the same film (media by identity, not by object)."""

    def media(values: Any) -> list[str]:
        return [
            canonical_fingerprint({"sha": hashlib.sha256(bytes(v)).hexdigest()})
            if isinstance(v, bytes | bytearray)
            else str(v)
            for v in values
        ]

    return {
        "title": board.title,
        "tier": board.tier,
        "resolution": board.resolution,
        "aspect_ratio": board.aspect_ratio,
        "audio": board.generate_audio,
        "refs": [
            media(board.reference_images),
            media(board.reference_videos),
            media(board.reference_audios),
        ],
        "shots": [
            [s.prompt, s.duration, s.join, media([s.image] if s.image else []), s.camera]
            for s in board.shots
        ],
    }


def _work_folder(folder: Path, board_key: str) -> Path:
    return folder / ".story" / board_key[:16]


def _shot_key(board_key: str, index: int, dependency: str | None) -> str:
    """A shot's ledger key: the board, its place, and the prediction it follows."""
    return canonical_fingerprint({"board": board_key, "shot": index, "after": dependency})


def paid_shots(board: Storyboard, dest: str | os.PathLike[str]) -> frozenset[int]:
    """The shots a run of ``board`` into ``dest`` would not pay for again: finished ones
    (reused) and submitted ones (followed by id, downloaded again if the file is gone).
    Read from the ledger only, so a caller can reserve money for the others. A shot after
    one that must be submitted anew is never in it (it would follow a new prediction)."""
    board_key = canonical_fingerprint(_board_identity(board))
    work = _work_folder(Path(dest), board_key)
    found: set[int] = set()
    for chain in board.chains():
        dependency = None
        for index in chain:
            record = _Ledger(work, index, _shot_key(board_key, index, dependency)).read()
            if not record.get("prediction_id"):
                break
            found.add(index)
            dependency = record["prediction_id"]
    return frozenset(found)
