"""The request fingerprint and the on-disk index behind "never pay twice", for every node."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch

from comfy_nodes.node_kinds import KINDS, NodeKind
from comfy_nodes.result_cache import CacheEntry, ResultCache
from tests.support.media import MP4_HEADER, write_mp4

from .conftest import FakeVideo, audio_value


def _media(tmp_path: Path) -> dict[str, Any]:
    clips = []
    for index in range(2):
        clip = tmp_path / f"clip{index}.mp4"
        write_mp4(clip, frames=24 + 8 * index, fps=8, with_audio=False)
        clips.append(FakeVideo(clip))
    return {
        "IMAGE": (torch.zeros(1, 8, 8, 3), torch.ones(1, 8, 8, 3)),
        "VIDEO": tuple(clips),
        "AUDIO": (audio_value(1.0), audio_value(1.5)),
    }


def _base(kind: NodeKind, media: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for spec in kind.inputs:
        if spec.is_widget:
            values[spec.name] = spec.default
        elif not spec.optional:
            values[spec.name] = media[spec.kind][0]
    values["prompt"] = "a lighthouse at dusk"
    if kind.node_id == "SeedanceTextToVideo":
        values["reference_image_1"] = media["IMAGE"][0]  # the audio variant needs a visual
    return values


def _variants(kind: NodeKind, media: dict[str, Any]) -> dict[str, Any]:
    """One changed value per input: every widget and every media socket."""
    changes: dict[str, Any] = {"prompt": "a lighthouse at dawn", "seed": 1}
    for spec in kind.inputs:
        others = [o for o in spec.options if o != spec.default]
        if spec.kind == "COMBO" and others:  # (a one-model combo has nothing to change)
            changes[spec.name] = others[0]
        elif spec.kind == "INT" and spec.name != "seed":
            changes[spec.name] = spec.default + 1
        elif spec.kind == "BOOLEAN":
            changes[spec.name] = not spec.default
        elif spec.kind in media:
            changes[spec.name] = media[spec.kind][1]
    return changes


@pytest.mark.parametrize("kind", KINDS, ids=[k.node_id for k in KINDS])
def test_fingerprint_changes_with_every_input_media_digest_and_the_seed(
    kind: NodeKind, tmp_path: Path
) -> None:
    media = _media(tmp_path)
    base = _base(kind, media)
    original = kind.job(base, tmp_path).fingerprint(None)
    # (Two empty sockets filled alike give one request, so each change is compared with
    # the base only: references are numbered in socket order, gaps skipped.)
    for name, value in _variants(kind, media).items():
        assert kind.job({**base, name: value}, tmp_path).fingerprint(None) != original, name
    assert kind.job(base, tmp_path).fingerprint("http://127.0.0.1:1") != original


def test_fingerprint_is_stable_and_independent_of_the_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    kind = KINDS[0]
    base = _base(kind, _media(tmp_path))
    monkeypatch.setenv("WAVESPEED_API_KEY", "key-one")
    first = kind.job(base, tmp_path).fingerprint("https://api.wavespeed.ai/")
    monkeypatch.setenv("WAVESPEED_API_KEY", "key-two")
    assert kind.job(base, tmp_path).fingerprint("https://api.wavespeed.ai") == first


def test_index_round_trip_and_finished_video_needs_the_file(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    assert cache.get("f" * 64) is None
    cache.put(CacheEntry(fingerprint="f" * 64, prediction_id="p1", cost_usd=0.6))
    pending = cache.get("f" * 64)
    assert pending is not None and not pending.is_finished and pending.cost_usd == 0.6
    video = cache.video_path("p1")
    cache.put(CacheEntry("f" * 64, "p1", video_file=video.name, url="http://x/v.mp4"))
    entry = cache.get("f" * 64)
    assert entry is not None and entry.is_finished
    assert cache.finished_video(entry) is None  # the file is not there (yet)
    video.write_bytes(MP4_HEADER)
    assert cache.finished_video(entry) == video
    cache.forget("f" * 64)
    assert cache.get("f" * 64) is None


def test_entries_of_the_first_version_and_of_later_ones_are_both_read(tmp_path: Path) -> None:
    index = tmp_path / "index"
    index.mkdir()
    old = {"fingerprint": "a" * 64, "prediction_id": "p", "video_file": None, "url": None,
           "updated_at": 1.0, "intent": None}  # fmt: skip
    (index / ("a" * 64 + ".json")).write_text(json.dumps(old))
    newer = {**old, "fingerprint": "b" * 64, "a_field_of_a_later_version": 1}
    (index / ("b" * 64 + ".json")).write_text(json.dumps(newer))
    cache = ResultCache(tmp_path)
    first, later = cache.get("a" * 64), cache.get("b" * 64)
    assert first is not None and first.cost_usd is None
    assert later is not None and later.prediction_id == "p"  # never re-paid after a downgrade


def test_a_corrupt_entry_is_ignored_not_fatal(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    (tmp_path / "index").mkdir()
    (tmp_path / "index" / ("a" * 64 + ".json")).write_text('{"fingerprint": ')
    assert cache.get("a" * 64) is None


def test_prediction_ids_cannot_escape_the_cache_folder(tmp_path: Path) -> None:
    path = ResultCache(tmp_path).video_path("../../etc/passwd")
    assert path.parent == tmp_path and "/" not in path.name
