"""The storyboard's last task: stitch the shots into one film, publish it for review.

The stitching is the core's (``shared_client.stitch_story``: remux when the shots share
codec parameters, re-encode otherwise, ``extend`` shots trimmed to their new seconds),
so a film from Airflow is cut exactly like one from the client. The task then

* writes the film and the contact sheet to ``output_path`` (local or object storage);
* optionally uploads both through the connection's media upload (free) so a person can
  open them from a browser: the approval screen links the film and shows the contact
  sheet as an image from that URL (Airflow's UI drops ``data:`` images from Markdown);
* emits an asset event for the film: its cost (summed from the shots' price records,
  saying pricing API or offline table), shot ids, models, contact sheet, film.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from airflow.providers.common.compat.sdk import (
    AirflowFailException,
    BaseOperator,
    ObjectStoragePath,
)

from airflow_provider_seedance.hooks.seedance import DEFAULT_CONN_ID, SeedanceHook
from airflow_provider_seedance.operators.budget import QUOTE_XCOM_KEY
from airflow_provider_seedance.operators.story import _local_video
from airflow_provider_seedance.storage import resolve_media
from shared_client import Storyboard, stitch_story

log = logging.getLogger(__name__)


class SeedanceStoryStitchOperator(BaseOperator):
    """Stitch a storyboard's shots (their XCom results) into one film and a contact sheet.

    Returns ``{"title", "film", "contact_sheet", "film_url", "contact_sheet_url",
    "cost_usd", "cost_source", "shots": [{index, prediction_id, model, cost_usd,
    cost_source, file}], "models", "tier", "resolution", "seconds", "reencoded"}``.

    :param quote_task_id: The quote step (the resolved board).
    :param shot_task_ids: The shot tasks, in board order.
    :param output_path: Folder for the film and the sheet (local or object storage).
    :param review_urls: Upload the film and the sheet for a browser link (default True).
    """

    template_fields: Sequence[str] = ("output_path",)
    ui_color = "#8957e5"
    ui_fgcolor = "#ffffff"

    def __init__(
        self,
        *,
        quote_task_id: str,
        shot_task_ids: Sequence[str],
        output_path: Any,
        review_urls: bool = True,
        wavespeed_conn_id: str = DEFAULT_CONN_ID,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.quote_task_id = quote_task_id
        self.shot_task_ids = list(shot_task_ids)
        self.output_path = output_path
        self.review_urls = review_urls
        self.wavespeed_conn_id = wavespeed_conn_id

    def execute(self, context: Any) -> dict[str, Any]:
        ti = context["ti"]
        quoted = ti.xcom_pull(task_ids=self.quote_task_id)
        if not isinstance(quoted, Mapping):
            raise AirflowFailException(f"{self.quote_task_id!r} returned no storyboard")
        board = Storyboard.from_dict(quoted["board"])
        shots = []
        with tempfile.TemporaryDirectory(prefix="seedance-story-") as tmp:
            files = []
            for index, task_id in enumerate(self.shot_task_ids):
                result = ti.xcom_pull(task_ids=task_id)
                if not isinstance(result, Mapping):
                    raise AirflowFailException(f"{task_id!r} returned no video")
                record = ti.xcom_pull(task_ids=task_id, key=QUOTE_XCOM_KEY) or {}
                files.append(_local_video(resolve_media(result, f"shots[{index}]"), tmp))
                shots.append(
                    {
                        "index": index,
                        "task_id": task_id,
                        "prediction_id": result.get("prediction_id"),
                        "model": result.get("model"),
                        "cost_usd": record.get("cost_usd", record.get("usd")),
                        "cost_source": record.get("cost_source", record.get("source")),
                        "file": str(files[-1]),
                    }
                )
            film, sheet, reencoded = stitch_story(board, files, Path(tmp))
            log.info("Stitched %d shots into %s (%s)", len(files), film.name,
                     "re-encoded" if reencoded else "remuxed, no re-encode")  # fmt: skip
            film_url = sheet_url = None
            if self.review_urls:
                with SeedanceHook(wavespeed_conn_id=self.wavespeed_conn_id).get_conn() as client:
                    film_url, sheet_url = client.upload(film), client.upload(sheet)
                log.info("Review links: film %s, contact sheet %s", film_url, sheet_url)
            film_out, sheet_out = (
                _publish(film, self.output_path),
                _publish(sheet, self.output_path),
            )
        known = [s["cost_usd"] for s in shots if s["cost_usd"] is not None]
        sources = sorted({str(s["cost_source"]) for s in shots if s["cost_source"]})
        out = {
            "title": board.title,
            "film": film_out,
            "contact_sheet": sheet_out,
            "film_url": film_url,
            "contact_sheet_url": sheet_url,
            "cost_usd": round(sum(known), 4) if len(known) == len(shots) else None,
            "cost_source": "+".join(sources) or None,
            "cost_says": " and ".join(
                "pricing API" if s == "api" else "offline price table" for s in sources
            ),
            "shots": shots,
            "prediction_ids": [s["prediction_id"] for s in shots],
            "models": sorted({str(s["model"]) for s in shots}),
            "tier": board.tier,
            "resolution": board.resolution,
            "seconds": board.seconds,
            "reencoded": reencoded,
        }
        self._emit(context, out)
        return out

    def _emit(self, context: Any, out: dict[str, Any]) -> None:
        """The film's asset event: what it cost (and by whose figure), what made it."""
        outlet_events = context.get("outlet_events")
        if outlet_events is None:
            return
        keys = ("title", "film", "contact_sheet", "film_url", "cost_usd", "cost_source",
                "prediction_ids", "models", "tier", "resolution", "seconds")  # fmt: skip
        extra = {k: out[k] for k in keys}
        for outlet in self.outlets or []:
            try:
                outlet_events[outlet].extra = extra
            except (KeyError, TypeError, AttributeError):
                log.debug("Outlet %r takes no event extra", outlet, exc_info=True)


def _publish(local: Path, destination: Any) -> str:
    """Copy a finished file into ``destination`` (atomically: a partial name, renamed)."""
    text = str(destination)
    if isinstance(destination, ObjectStoragePath) or (
        "://" in text and not text.startswith("file://")
    ):
        target = (
            destination if isinstance(destination, ObjectStoragePath) else ObjectStoragePath(text)
        )
        target.mkdir(parents=True, exist_ok=True)
        partial, final = target / f".{local.name}.partial", target / local.name
        with local.open("rb") as src, partial.open("wb") as dst:
            shutil.copyfileobj(src, dst, 1024 * 1024)
        partial.rename(final)
        return str(final)
    folder = Path(text[len("file://") :] if text.startswith("file://") else text)
    folder.mkdir(parents=True, exist_ok=True)
    partial, final = folder / f".{local.name}.partial", folder / local.name
    shutil.copyfile(local, partial)
    partial.replace(final)
    return str(final.resolve())
