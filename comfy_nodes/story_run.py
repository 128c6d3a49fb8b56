"""The three story nodes' work, free of ComfyUI: last frame, concatenation, storyboard.

Why here and not in the core: the core (``shared_client``: ``Storyboard``,
``generate_story``, ``stitch_videos``, ``last_frame_png``, ``contact_sheet``) does the
film; this module only adds what a ComfyUI session needs around it:

* the board is text in a widget (YAML or JSON), its reference images are IMAGE sockets,
  relative paths in it are ComfyUI's input folder, and ``tier`` / ``resolution`` widgets
  may override it (they drive the price badge, see :mod:`.story_badge`);
* the whole board is validated (every shot, as the request it becomes) before the key is
  even looked up, then priced (the pricing API, every shot), and the price of the shots
  still to be paid is reserved against the session cap (:mod:`.budget`) before anything
  is uploaded; afterwards only the shots that were submitted count as spent;
* each distinct board + references + seed has its own folder under the node's cache, so
  the core's story ledger there makes a re-queue (after a failure, an interrupt or a
  restart) reuse finished shots and never pay for one twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared_client import (
    Clip,
    InvalidRequestError,
    Quote,
    QuoteUnavailableError,
    SeedanceError,
    ShotUpdate,
    Storyboard,
    StoryResult,
    canonical_fingerprint,
    last_frame_png,
    paid_shots,
    stitch_videos,
)

from .budget import SessionCapError, ledger_for
from .conversions import first_image_as_png
from .errors import GenerationError, NodeInputError
from .inputs import MAX_SEED
from .media_inputs import media_digest, video_source
from .runner import ClientFactory, _explain, default_client_factory
from .settings import NodeSettings, default_cache_dir
from .story_badge import BOARD
from .waiting import HostHooks, sliced

__all__ = ["StoryJob", "StoryOutcome", "concat_videos", "last_frame", "parse_story", "run_story"]

logger = logging.getLogger(__name__)


def film_seconds(path: Path) -> float:
    """The file's length as its container states it (a remuxed stream's own duration
    field may stop at its last packet's start, a frame or two short)."""
    import av

    with av.open(str(path)) as container:
        return float(container.duration or 0) / 1e6


def comfy_input_directory() -> Path | None:
    """ComfyUI's input folder (where LoadImage's uploads live), else ``None``."""
    try:
        import folder_paths  # type: ignore[import-not-found, unused-ignore]

        return Path(folder_paths.get_input_directory())
    except Exception:  # no ComfyUI, or an odd build
        return None


# -- SeedanceLastFrame / SeedanceConcatVideos -------------------------------------------


def _video_file(video: Any, field_name: str, scratch: Path) -> Path:
    source = video_source(video, field=field_name, scratch=scratch)
    if isinstance(source, bytes):
        path = scratch / f"{field_name}.mp4"
        scratch.mkdir(parents=True, exist_ok=True)
        path.write_bytes(source)
        return path
    return Path(source)


def last_frame(video: Any, scratch: Path) -> bytes:
    """PNG bytes of the VIDEO's decoded final frame (the core's ``last_frame_png``)."""
    path = _video_file(video, "video", scratch)
    try:
        return last_frame_png(path)
    except Exception as exc:  # PyAV's errors name the file, not the socket
        raise NodeInputError(f"video: cannot decode its last frame ({exc})") from None


@dataclass(frozen=True)
class Stitched:
    path: Path
    reencoded: bool
    seconds: float
    inputs: int

    def info_json(self) -> str:
        return json.dumps(
            {"seconds": round(self.seconds, 3), "reencoded": self.reencoded, "inputs": self.inputs},
            sort_keys=True,
        )


def concat_videos(values: dict[str, Any], scratch: Path, out_dir: Path | None = None) -> Stitched:
    """Connected ``video_N`` sockets, in socket order, joined by the core's stitcher.

    The output is named by the inputs' content, so the same inputs give the same file.
    """
    connected = sorted(
        ((k, v) for k, v in values.items() if k.startswith("video_") and v is not None),
        key=lambda item: int(item[0].rsplit("_", 1)[1]),
    )
    if len(connected) < 2:
        raise NodeInputError(
            f"video_1, video_2: connect at least two VIDEO inputs (got {len(connected)})"
        )
    files = [_video_file(v, k, scratch) for k, v in connected]
    key = canonical_fingerprint([media_digest(str(p)) for p in files])
    folder = (out_dir or default_cache_dir()) / "stitched"
    dest = folder / f"concat-{key[:20]}.mp4"
    if dest.is_file():
        return Stitched(dest, False, film_seconds(dest), len(files))
    try:
        path, reencoded = stitch_videos([Clip(p) for p in files], dest)
    except Exception as exc:
        raise NodeInputError(f"video_N: the inputs cannot be joined ({exc})") from None
    return Stitched(path, reencoded, film_seconds(path), len(files))


# -- SeedanceStoryboard -------------------------------------------------------------------


@dataclass(frozen=True)
class StoryJob:
    """A validated board and what identifies its run (board, media, overrides, seed)."""

    board: Storyboard = field(repr=False)
    key: str
    seed: int


def _load_text(text: Any) -> dict[str, Any]:
    if not isinstance(text, str) or not text.strip():
        raise NodeInputError("storyboard: expected the board as YAML or JSON text, got nothing")
    try:
        if text.lstrip().startswith("{"):
            data = json.loads(text)
        else:
            import yaml  # type: ignore[import-untyped, unused-ignore]

            data = yaml.safe_load(text)
    except ImportError:
        raise NodeInputError(
            "storyboard: YAML needs PyYAML (pip install pyyaml), or write the board as JSON"
        ) from None
    except Exception as exc:  # json.JSONDecodeError, yaml.YAMLError
        raise NodeInputError(f"storyboard: not valid YAML or JSON ({exc})") from None
    if not isinstance(data, dict):
        raise NodeInputError(
            f"storyboard: expected a mapping with title and shots, got {type(data).__name__}"
        )
    return data


def _media_identity(value: Any) -> Any:
    """Content for local files and bytes, the value itself for URLs."""
    if isinstance(value, bytes | bytearray):
        return media_digest(bytes(value))
    if isinstance(value, str) and Path(value).is_file():
        return media_digest(value)
    return value


def parse_story(values: dict[str, Any], *, input_dir: Path | None = None) -> StoryJob:
    """Socket values -> a board validated whole; errors name the shot and field."""
    seed = values.get("seed")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise NodeInputError(f"seed: expected an integer from 0 to {MAX_SEED}, got {seed!r}")
    data = _load_text(values.get("storyboard"))
    for name in ("tier", "resolution"):
        chosen = values.get(name, BOARD)
        if chosen not in (None, BOARD):
            data[name] = chosen  # the board's own value is checked by the core just the same
    images = [
        first_image_as_png(v, field=k)
        for k, v in sorted(
            (
                (k, v)
                for k, v in values.items()
                if k.startswith("reference_image_") and v is not None
            ),
            key=lambda item: int(item[0].rsplit("_", 1)[1]),
        )
    ]
    if images:
        refs = data.get("references") or {}
        if not isinstance(refs, dict):
            raise NodeInputError("references: expected a mapping of images/videos/audios")
        if refs.get("images"):
            raise NodeInputError(
                "references.images: the board lists images and reference_image sockets are "
                "connected; use one or the other, so @Image1 means one thing"
            )
        data["references"] = {**refs, "images": images}
    try:
        board = Storyboard.from_dict(data, base_dir=input_dir or comfy_input_directory())
    except InvalidRequestError as exc:
        raise NodeInputError(str(exc)) from None
    identity = {
        # YAML may hold dates and the like: the identity is the JSON the board reads as
        "board": json.loads(
            json.dumps({k: v for k, v in data.items() if k != "references"}, default=str)
        ),
        "refs": {
            kind: [_media_identity(v) for v in getattr(board, f"reference_{kind}")]
            for kind in ("images", "videos", "audios")
        },
        "shot_images": [_media_identity(s.image) for s in board.shots],
        "seed": seed,
    }
    return StoryJob(board, canonical_fingerprint(identity), seed)


@dataclass(frozen=True)
class StoryOutcome:
    """The core's result plus what this execution paid (``new_charge_usd``)."""

    result: StoryResult
    quotes: dict[int, Quote]
    new_charge_usd: float
    seconds: float

    def info(self) -> dict[str, Any]:
        sources = {q.source for q in self.quotes.values()}
        return {
            "title": self.result.title,
            "film": self.result.film.name,
            "contact_sheet": self.result.contact_sheet.name,
            "seconds": round(self.seconds, 3),
            "reencoded": self.result.reencoded,
            "price_usd": round(sum(q.usd for q in self.quotes.values()), 4),
            "price_source": sources.pop() if len(sources) == 1 else "mixed",
            "new_charge_usd": round(self.new_charge_usd, 4),
            "shots": [
                {
                    "shot": s.index + 1,
                    "prediction_id": s.prediction_id,
                    "model": s.model,
                    "price_usd": s.cost_usd,
                    "price_source": s.cost_source,
                    "reused": s.reused,
                }
                for s in self.result.shots
            ],
        }

    def info_json(self) -> str:
        return json.dumps(self.info(), sort_keys=True)


async def _quotes(client: Any, board: Storyboard, shots: list[int]) -> dict[int, Quote]:
    prices = await asyncio.gather(*(client.quote(board.request_for(i)) for i in shots))
    return dict(zip(shots, prices, strict=True))


async def run_story(
    job: StoryJob,
    settings: NodeSettings,
    host: HostHooks,
    *,
    client_factory: ClientFactory = default_client_factory,
) -> StoryOutcome:
    """Price, reserve, generate (each shot paid once) and stitch; see the module doc."""
    board = job.board
    service = (settings.base_url or "").rstrip("/")
    dest = settings.cache_dir / "stories" / canonical_fingerprint([job.key, service])[:24]
    total = len(board.shots)
    status: dict[int, str] = dict.fromkeys(range(total), "waiting")
    submitted: set[int] = set()
    started = time.monotonic()
    try:
        async with client_factory(settings) as client:
            prepaid = paid_shots(board, dest)
            host.show_progress(f"Pricing {total} shots…", 0.0)
            try:
                quotes = await _quotes(client, board, list(range(total)))
            except QuoteUnavailableError as exc:
                if settings.max_cost_usd is not None:
                    raise SessionCapError(
                        f"max_cost_usd: the storyboard cannot be priced ({exc}); with a "
                        "session cap set nothing is submitted unpriced. Nothing was paid."
                    ) from None
                logger.warning("seedance: %s; the storyboard runs unpriced", exc)
                quotes = {}
            to_pay = [i for i in range(total) if i not in prepaid]
            due = round(sum(quotes[i].usd for i in to_pay if i in quotes), 4)
            reservation = None
            if quotes and to_pay:
                sources = {quotes[i].source for i in to_pay}
                held = Quote(due, "USD", "api" if sources == {"api"} else "table", "storyboard")
                reservation = ledger_for(settings.base_url).reserve(
                    held, settings.max_cost_usd, settings.config_path
                )
            price = _price_text(quotes, prepaid, due)
            session = ledger_for(settings.base_url)

            def on_update(update: ShotUpdate) -> None:
                status[update.index] = str(update)
                if update.status == "submitting":
                    submitted.add(update.index)

            def describe() -> tuple[str, float]:
                done = sum("downloaded" in s or "reused" in s for s in status.values())
                lines = (
                    status[i] if status[i] != "waiting" else f"shot {i + 1}/{total}: waiting"
                    for i in range(total)
                )
                text = "\n".join(lines)
                elapsed = int(time.monotonic() - started)
                summary = session.summary(settings.max_cost_usd)
                return f"{text}\nElapsed: {elapsed}s\n{price}\n{summary}", done / total * 0.95

            try:
                result = await sliced(
                    client.generate_story(
                        board,
                        dest,
                        on_update=on_update,
                        poll_interval=settings.poll_interval,
                        timeout=settings.timeout,
                        settle_window=settings.settle_window,
                    ),
                    host,
                    describe,
                    f"storyboard {board.title!r}",
                )
            finally:
                paid = sum(quotes[i].usd for i in submitted if i in quotes)
                if reservation is not None:
                    reservation.commit_part(paid)
    except (NodeInputError, GenerationError):
        raise
    except SeedanceError as exc:
        raise GenerationError(_explain(exc, settings)) from None
    seconds = await asyncio.to_thread(film_seconds, result.film)
    new_charge = sum(quotes[i].usd for i in submitted if i in quotes)
    host.show_progress(describe()[0], 1.0)
    return StoryOutcome(result, quotes, new_charge, seconds)


def _price_text(quotes: dict[int, Quote], prepaid: frozenset[int], due: float) -> str:
    if not quotes:
        return "Price: unknown (the board could not be priced)"
    whole = sum(q.usd for q in quotes.values())
    origin = {"api": "pricing API", "table": "offline price table"}
    sources = {origin[q.source] for q in quotes.values()}
    text = f"Price: ${whole:.4f} USD for the board ({', '.join(sorted(sources))})"
    if prepaid:
        text += f"; {len(prepaid)} shot(s) paid earlier, ${due:.4f} still to pay"
    return text
