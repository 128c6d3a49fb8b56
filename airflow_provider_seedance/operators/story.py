"""A storyboard's quote step and its shots, as Airflow tasks (see :mod:`..storyboard_group`).

* :class:`SeedanceStoryQuoteOperator` renders the board source (a path, an
  ``ObjectStoragePath`` or its URI, a dict; templated), applies the tier/resolution
  overrides (a draft and a final of one board), validates every shot (errors name the
  shot and field), prices every shot and refuses the board over ``max_cost_usd``: nothing
  is uploaded or paid. It returns the resolved board as plain data, each shot's quote and
  the total, for the shot tasks and the approval screen.
* :class:`SeedanceStoryShotOperator` is one shot: the provider's generation operator
  (deferrable, reattach after a crash, pay once, capped at the shot's own quote) whose
  request is the core's ``Storyboard.request_for(index)``, with the previous shot's exact
  last frame (``continue``) or footage (``extend``) taken from that task's XCom result.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import httpx
from airflow.providers.common.compat.sdk import (
    AirflowFailException,
    BaseOperator,
    ObjectStoragePath,
)

from airflow_provider_seedance.hooks.seedance import DEFAULT_CONN_ID, SeedanceHook
from airflow_provider_seedance.operators.base import SeedanceGenerationOperator
from airflow_provider_seedance.operators.budget import parse_cap, quote_record
from airflow_provider_seedance.operators.fields import Field
from airflow_provider_seedance.pay_once import GenerationRequest
from airflow_provider_seedance.storage import resolve_image, resolve_media
from shared_client import InvalidRequestError, SeedanceError, Storyboard, last_frame_png

log = logging.getLogger(__name__)

JOINS = ("cut", "continue", "extend")
_SOURCE_ALLOWED = (
    "a storyboard file (path, file:// or ObjectStoragePath URI), a dict, or a Storyboard"
)


def _scheme(text: str) -> str:
    return text.split("://", 1)[0].lower() if "://" in text else ""


def load_board(source: Any) -> Storyboard:
    """A Storyboard from any source the task group takes; errors name the field."""
    if isinstance(source, Storyboard):
        return source
    if isinstance(source, Mapping):
        return Storyboard.from_dict(source)
    if isinstance(source, str) and source.lstrip().startswith("{"):
        return Storyboard.from_dict(json.loads(source))  # a rendered dict template
    if isinstance(source, ObjectStoragePath) and source.protocol not in ("file", "local", ""):
        return _remote_board(source)
    if isinstance(source, ObjectStoragePath):
        return Storyboard.from_file(source.path)
    if not isinstance(source, str | Path) or not str(source).strip():
        raise InvalidRequestError("board", source, _SOURCE_ALLOWED)
    text = str(source).strip()
    scheme = _scheme(text)
    if scheme == "file":
        return Storyboard.from_file(text[len("file://") :])
    if scheme:
        return _remote_board(ObjectStoragePath(text))
    try:
        return Storyboard.from_file(text)
    except FileNotFoundError:
        raise InvalidRequestError("board", text, _SOURCE_ALLOWED, reason="no such file:") from None


def _remote_board(path: Any) -> Storyboard:
    """A board file on object storage: relative media are relative to its folder there."""
    text = path.read_text(encoding="utf-8")
    if str(path).lower().endswith(".json"):
        data = json.loads(text)
    else:
        import yaml  # type: ignore[import-untyped,unused-ignore]

        data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise InvalidRequestError("board", str(path), "a mapping with title and shots")

    def absolute(value: Any) -> Any:
        relative = ("://", "/", "data:")
        local = isinstance(value, str) and not any(m in value[:8] for m in relative)
        return str(path.parent / value) if local else value

    refs = data.get("references")
    if isinstance(refs, dict):
        data["references"] = {k: [absolute(v) for v in (vs or [])] for k, vs in refs.items()}
    for shot in data.get("shots") or []:
        if isinstance(shot, dict) and shot.get("image") is not None:
            shot["image"] = absolute(shot["image"])
    return Storyboard.from_dict(data)


def with_overrides(board: Storyboard, *, tier: Any = None, resolution: Any = None) -> Storyboard:
    """The same shots and references at another tier/resolution (draft vs final); the
    board is validated again, so a shot the new settings cannot make is named."""
    changes = {k: v for k, v in (("tier", tier), ("resolution", resolution)) if _given(v)}
    return replace(board, **changes) if changes else board


def _given(value: Any) -> bool:
    return value is not None and str(value).strip().lower() not in ("", "none")


def check_layout(board: Storyboard, layout: Sequence[str] | None) -> None:
    """The rendered board must have the shape the task graph was built for."""
    if layout is None:
        return
    joins = [shot.join for shot in board.shots]
    if len(joins) != len(layout):
        raise InvalidRequestError(
            "shots", f"{len(joins)} shots", f"{len(layout)} shots (the task group's layout)"
        )
    for index, (join, expected) in enumerate(zip(joins, layout, strict=True)):
        if join != expected:
            raise InvalidRequestError(
                f"shots[{index}].join", join, f"{expected} (the task group's layout)"
            )


class SeedanceStoryQuoteOperator(BaseOperator):
    """Validate and price a whole storyboard before any shot is paid; refuse it over a cap.

    Returns ``{"board": <plain board>, "quotes": [{index, usd, currency, source, model}],
    "total_usd", "currency", "sources", "cost_source", "max_cost_usd", "shots"}``.

    :param board: The storyboard source (templated).
    :param tier: Override of the board's tier (``mini`` for a draft). Templated.
    :param resolution: Override of the board's resolution (``480p``/``1080p``). Templated.
    :param max_cost_usd: Cap for the whole board (templated); above it nothing runs.
    :param layout: The joins the task graph was built for (checked against the board).
    """

    template_fields: Sequence[str] = ("board", "tier", "resolution", "max_cost_usd")
    template_fields_renderers = {"board": "json"}
    ui_color = "#f5c542"

    def __init__(
        self,
        *,
        board: Any,
        tier: str | None = None,
        resolution: str | None = None,
        max_cost_usd: float | str | None = None,
        layout: Sequence[str] | None = None,
        wavespeed_conn_id: str = DEFAULT_CONN_ID,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.board = board
        self.tier = tier
        self.resolution = resolution
        self.max_cost_usd = max_cost_usd
        self.layout = list(layout) if layout is not None else None
        self.wavespeed_conn_id = wavespeed_conn_id

    def execute(self, context: Any) -> dict[str, Any]:
        try:
            board = with_overrides(
                load_board(self.board), tier=self.tier, resolution=self.resolution
            )
            check_layout(board, self.layout)
            cap = parse_cap(self.max_cost_usd)
            requests = [board.request_for(i) for i in range(len(board.shots))]
            data = board.to_dict()
        except InvalidRequestError as err:
            raise AirflowFailException(f"storyboard: {err}; nothing was submitted") from err
        with SeedanceHook(wavespeed_conn_id=self.wavespeed_conn_id).get_conn() as client:
            quotes = [client.quote(request) for request in requests]
        total = float(sum((Decimal(repr(q.usd)) for q in quotes), Decimal(0)))
        sources = sorted({q.source for q in quotes})
        for index, quote in enumerate(quotes):
            log.info("shots[%d] (%s): %s", index, board.shots[index].join, quote.describe())
        described = " and ".join(
            "pricing API" if s == "api" else "offline price table" for s in sources
        )
        summary = f"${total:.4f} for {len(quotes)} shots of {board.title!r} ({described})"
        log.info("Storyboard total %s at %s %s; cap %s", summary, board.tier,
                 board.resolution, "none" if cap is None else f"${cap:.4f}")  # fmt: skip
        if cap is not None and Decimal(repr(total)) > Decimal(repr(cap)):
            raise AirflowFailException(
                f"This storyboard costs {summary}, above the cap of ${cap:.4f}; nothing was "
                "submitted. Raise max_cost_usd, or shorten or cheapen the board."
            )
        return {
            "board": data,
            "quotes": [{"index": i, **quote_record(q, None)} for i, q in enumerate(quotes)],
            "total_usd": total,
            "currency": quotes[0].currency if quotes else "USD",
            "sources": sources,
            "cost_source": "+".join(sources),
            "described": summary,
            "max_cost_usd": cap,
            "tier": board.tier,
            "resolution": board.resolution,
            "shots": len(quotes),
        }


class SeedanceStoryShotOperator(SeedanceGenerationOperator):
    """One shot of a storyboard, paid once, capped at its own quote from the quote step.

    :param quote_task_id: The quote step (its return value holds the resolved board).
    :param index: The shot's index in the board.
    :param previous_task_id: The previous shot's task, for ``continue``/``extend``.

    Every other parameter is :class:`~.base.SeedanceGenerationOperator`'s; ``max_cost_usd``
    defaults to the shot's quote from the quote step (its allocation).
    """

    REQUEST: ClassVar[Any] = None
    FIELDS: ClassVar[Mapping[str, Field]] = {}
    template_fields: Sequence[str] = ("max_cost_usd", "output_path")
    ui_color = "#1f6feb"

    def __init__(
        self,
        *,
        quote_task_id: str,
        index: int,
        previous_task_id: str | None = None,
        max_cost_usd: float | str | None = None,
        **kwargs: Any,
    ) -> None:
        if max_cost_usd is None:
            max_cost_usd = (
                f"{{{{ ti.xcom_pull(task_ids='{quote_task_id}')['quotes'][{index}]['usd'] }}}}"
            )
        super().__init__(model="storyboard", max_cost_usd=max_cost_usd, **kwargs)
        self.quote_task_id = quote_task_id
        self.index = index
        self.previous_task_id = previous_task_id

    def _board(self, context: Any) -> Storyboard:
        quoted = context["ti"].xcom_pull(task_ids=self.quote_task_id)
        if not isinstance(quoted, Mapping) or "board" not in quoted:
            raise AirflowFailException(f"{self.quote_task_id!r} returned no storyboard")
        board = Storyboard.from_dict(quoted["board"])
        return replace(  # object-storage media become what the client accepts
            board,
            reference_images=tuple(resolve_image(m) for m in board.reference_images),
            reference_videos=tuple(resolve_image(m) for m in board.reference_videos),
            reference_audios=tuple(resolve_image(m) for m in board.reference_audios),
            shots=tuple(
                replace(s, image=resolve_image(s.image)) if s.image is not None else s
                for s in board.shots
            ),
        )

    def execute(self, context: Any) -> dict[str, Any]:
        self._context = context  # build_request needs the XComs of the board and the shots
        return super().execute(context)

    def execute_reconciled(self, context: Any, event: Any = None) -> Any:
        self._context = context  # a resubmit after the settle window builds the request anew
        return super().execute_reconciled(context, event)

    def build_request(self) -> GenerationRequest:
        """The core's request for this shot, with the previous shot's frame or footage."""
        context = self._context
        board = self._board(context)
        join = board.shots[self.index].join
        frame = video = None
        if join in ("continue", "extend"):
            previous = context["ti"].xcom_pull(task_ids=self.previous_task_id)
            if not isinstance(previous, Mapping):
                raise AirflowFailException(f"{self.previous_task_id!r} returned no video")
            media = resolve_media(previous, "video")
            if join == "extend":
                video = media
            else:
                with tempfile.TemporaryDirectory(prefix="seedance-shot-") as tmp:
                    frame = last_frame_png(_local_video(media, tmp))
                log.info("shots[%d] starts from the last frame of %s", self.index, media)
        request: GenerationRequest = board.request_for(  # type: ignore[assignment]
            self.index, previous_frame=frame, previous_video=video
        )
        return request


def _local_video(media: Any, folder: str | None = None) -> Path:
    """The previous shot's video on this machine: its local file, else a copy of its bytes
    or its URL in ``folder`` (a temporary folder the caller removes)."""
    if isinstance(media, Path):
        return media
    with tempfile.NamedTemporaryFile(suffix=".mp4", dir=folder, delete=False) as handle:
        if isinstance(media, bytes):
            handle.write(media)
            return Path(handle.name)
        try:
            with httpx.stream("GET", str(media), timeout=120, follow_redirects=True) as answer:
                answer.raise_for_status()
                for chunk in answer.iter_bytes():
                    handle.write(chunk)
        except httpx.HTTPError as exc:
            raise SeedanceError(f"the previous shot's video could not be read: {exc}") from exc
    return Path(handle.name)
