"""The request fingerprint and the on-disk index behind "never pay twice"."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from comfy_nodes.result_cache import CacheEntry, ResultCache
from comfy_nodes.runner import GenerationInputs, NodeInputError
from tests.support.media import MP4_HEADER, pil_png


def _inputs(**overrides: object) -> GenerationInputs:
    values: dict[str, object] = {
        "prompt": "a lighthouse at dusk",
        "image_png": pil_png(),
        "model": "bytedance/seedance-2.0-mini/image-to-video",
        "resolution": "720p",
        "aspect_ratio": "auto",
        "duration": 5,
        "generate_audio": True,
        "enable_web_search": False,
        "seed": 0,
    }
    values.update(overrides)
    return GenerationInputs(**values)  # type: ignore[arg-type]


def test_fingerprint_changes_with_every_paid_parameter_and_the_seed() -> None:
    base = _inputs()
    changes = {
        "prompt": "a lighthouse at dawn",
        "image_png": pil_png(rgb=(1, 2, 3)),
        "last_image_png": pil_png(),
        "model": "bytedance/seedance-2.0/image-to-video",
        "resolution": "1080p",
        "aspect_ratio": "16:9",
        "duration": 6,
        "generate_audio": False,
        "enable_web_search": True,
        "seed": 1,
    }
    seen = {base.fingerprint(None)}
    for name, value in changes.items():
        changed = dataclasses.replace(base, **{name: value}).fingerprint(None)
        assert changed not in seen, name
        seen.add(changed)
    assert base.fingerprint("http://127.0.0.1:1") != base.fingerprint(None)


def test_fingerprint_is_stable_and_independent_of_the_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WAVESPEED_API_KEY", "key-one")
    first = _inputs().fingerprint("https://api.wavespeed.ai/")
    monkeypatch.setenv("WAVESPEED_API_KEY", "key-two")
    assert _inputs().fingerprint("https://api.wavespeed.ai") == first


def test_auto_aspect_ratio_is_sent_as_absent_and_bad_values_name_the_field() -> None:
    assert _inputs().to_request().aspect_ratio is None
    with pytest.raises(NodeInputError, match="duration"):
        _inputs(duration=16).to_request()
    with pytest.raises(NodeInputError, match="resolution"):
        _inputs(resolution="4k").to_request()


def test_index_round_trip_and_finished_video_needs_the_file(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    assert cache.get("f" * 64) is None
    cache.put(CacheEntry(fingerprint="f" * 64, prediction_id="p1"))
    pending = cache.get("f" * 64)
    assert pending is not None and not pending.is_finished
    video = cache.video_path("p1")
    cache.put(CacheEntry("f" * 64, "p1", video_file=video.name, url="http://x/v.mp4"))
    entry = cache.get("f" * 64)
    assert entry is not None and entry.is_finished
    assert cache.finished_video(entry) is None  # the file is not there (yet)
    video.write_bytes(MP4_HEADER)
    assert cache.finished_video(entry) == video
    cache.forget("f" * 64)
    assert cache.get("f" * 64) is None


def test_a_corrupt_entry_is_ignored_not_fatal(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    (tmp_path / "index").mkdir()
    (tmp_path / "index" / ("a" * 64 + ".json")).write_text('{"fingerprint": ')
    assert cache.get("a" * 64) is None


def test_prediction_ids_cannot_escape_the_cache_folder(tmp_path: Path) -> None:
    path = ResultCache(tmp_path).video_path("../../etc/passwd")
    assert path.parent == tmp_path and "/" not in path.name
