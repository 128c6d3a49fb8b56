"""A small on-disk index: request fingerprint -> submit intent, prediction id and video.

Why, when ComfyUI already caches node outputs: ComfyUI's cache lives in memory and is
lost on restart or eviction, and an interrupted run leaves nothing in it even though the
remote job keeps running and is billed. This index is written *before the submit* (the
intent: what is about to be paid, from when), *as soon as the submit returns* (so a
re-queue after an interrupt or crash re-attaches to the running job instead of paying
again) and again when the video is on disk (so a restart reuses the file). See
:mod:`.pay_once` for what a run does when it finds an intent without an id.

The fingerprint covers everything that changes the paid request (model, prompt, every
parameter, the SHA-256 of each uploaded image, video and audio), the seed (the user's
re-run control) and the service URL (so simulator runs never answer for the real API).
It never covers the API key. One JSON file per fingerprint, written atomically, so a
crash mid-write cannot corrupt other entries.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import tempfile
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from shared_client import canonical_fingerprint

logger = logging.getLogger(__name__)

INDEX_FOLDER = "index"


def request_fingerprint(fields: dict[str, Any]) -> str:
    """Stable SHA-256 over canonical JSON of the request fields (order-independent).

    The client's ``canonical_fingerprint``, so the on-disk index keys
    never depend on a second copy of the canonical-JSON rules.
    """
    return canonical_fingerprint(fields)


@dataclass
class CacheEntry:
    """What is known about one fingerprint: a submitted job, or a finished video."""

    fingerprint: str
    #: None while only the intent is known: the submit was about to be sent (or in flight).
    prediction_id: str | None
    video_file: str | None = None
    url: str | None = None
    updated_at: float = 0.0
    #: The submit intent (``SubmitIntent.to_json()``), written before the POST.
    intent: str | None = None
    #: The quote taken before the submit (so a reuse can still say what the video cost).
    cost_usd: float | None = None
    cost_source: str | None = None
    currency: str | None = None

    @property
    def is_finished(self) -> bool:
        return self.video_file is not None


_FIELDS = frozenset(f.name for f in fields(CacheEntry))


class ResultCache:
    """Index of paid requests under ``folder/index/``; videos live in ``folder`` itself."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._locks: dict[str, asyncio.Lock] = {}

    def lock(self, fingerprint: str) -> asyncio.Lock:
        """One lock per fingerprint: two identical runs at once share one payment."""
        return self._locks.setdefault(fingerprint, asyncio.Lock())

    def _entry_path(self, fingerprint: str) -> Path:
        return self.folder / INDEX_FOLDER / f"{fingerprint}.json"

    def video_path(self, prediction_id: str) -> Path:
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in prediction_id)
        return self.folder / f"seedance_{safe}.mp4"

    def get(self, fingerprint: str) -> CacheEntry | None:
        path = self._entry_path(fingerprint)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            # Keys a later version may add are ignored, so a downgrade never re-pays.
            entry = CacheEntry(**{k: v for k, v in data.items() if k in _FIELDS})
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError):
            logger.warning("ignoring unreadable cache entry %s", path)
            return None
        return entry if entry.fingerprint == fingerprint else None

    def finished_video(self, entry: CacheEntry) -> Path | None:
        """The cached video if the entry is finished and its file is still on disk."""
        if entry.video_file is None:
            return None
        path = self.folder / entry.video_file
        return path if path.is_file() and path.stat().st_size > 0 else None

    def put(self, entry: CacheEntry) -> None:
        entry.updated_at = time.time()
        path = self._entry_path(entry.fingerprint)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(asdict(entry), handle)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def forget(self, fingerprint: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._entry_path(fingerprint).unlink()
