"""Where images come from and videos go (``storage.py``): output folders proven usable
before paying, ``ObjectStoragePath`` images read and videos written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import ObjectStoragePath, TaskDeferred

from shared_client.errors import InvalidRequestError
from tests.support.provider import make_op, success_event


def test_unusable_output_path_fails_before_anything_is_paid(
    sim: Any, wavespeed_conn: str, context: dict[str, Any], product_image: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    op = make_op(image=str(product_image), output_path=str(blocker / "videos"))
    with pytest.raises(InvalidRequestError) as info:
        op.execute(context)
    assert info.value.field == "output_path"
    assert "allowed:" in str(info.value)
    stats = sim.stats()
    assert stats["submissions"] == 0 and stats.get("uploads", 0) == 0


def test_output_path_is_created_before_submitting(
    sim: Any, wavespeed_conn: str, context: dict[str, Any], product_image: Path, tmp_path: Path
) -> None:
    sim.set_generation_time(30.0)
    folder = tmp_path / "new" / "videos"
    with pytest.raises(TaskDeferred):
        make_op(image=str(product_image), output_path=str(folder)).execute(context)
    assert folder.is_dir()


def test_execute_complete_writes_to_object_storage(
    sim: Any, wavespeed_conn: str, context: dict[str, Any], product_image: Path, memory_store: str
) -> None:
    op = make_op(image=str(product_image), output_path="memory://videos/daily")
    result = op.execute_complete(context, success_event(sim, product_image))
    (uri,) = result["video_paths"]
    assert uri.startswith("memory://videos/daily/") or "/videos/daily/" in uri
    data = ObjectStoragePath(uri).read_bytes()
    assert data[4:8] == b"ftyp"  # an MP4 header, streamed through ObjectStoragePath


def test_object_storage_image_is_read_and_uploaded(
    sim: Any, wavespeed_conn: str, context: dict[str, Any], png_bytes: bytes, memory_store: str
) -> None:
    source = ObjectStoragePath("memory://inputs/product.png")
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_bytes(png_bytes)
    sim.set_generation_time(30.0)
    with pytest.raises(TaskDeferred):
        make_op(image=source).execute(context)
    assert sim.stats()["uploads"] == 1


def test_an_upstream_result_gives_its_local_video_else_its_url_else_its_stored_copy(
    tmp_path: Path, memory_store: str
) -> None:
    from airflow_provider_seedance.storage import resolve_media

    local = tmp_path / "v.mp4"
    local.write_bytes(b"\x00\x00\x00\x18ftypisom")
    url = "https://outputs.example/v.mp4"
    assert resolve_media({"video_paths": [str(local)], "video_urls": [url]}, "video") == local
    assert resolve_media({"video_paths": [local.as_uri()], "video_urls": [url]}, "video") == local
    gone = {"video_paths": [str(tmp_path / "gone.mp4")], "video_urls": [url]}
    assert resolve_media(gone, "video") == url
    stored = ObjectStoragePath("memory://outputs/v.mp4")
    stored.parent.mkdir(parents=True, exist_ok=True)
    stored.write_bytes(b"mp4 bytes")
    assert resolve_media({"video_paths": [str(stored)]}, "video") == b"mp4 bytes"
    assert resolve_media([{"video_urls": [url]}], "video") == url  # an XCom pulled as a list


def test_a_media_field_refuses_several_values_naming_the_field() -> None:
    from airflow_provider_seedance.storage import resolve_media

    with pytest.raises(InvalidRequestError) as info:
        resolve_media(["https://a.example/1.png", "https://a.example/2.png"], "image")
    assert info.value.field == "image" and "2 values" in str(info.value)


def test_a_reference_list_resolves_each_item_and_one_result_is_a_list_of_one() -> None:
    from airflow_provider_seedance.storage import resolve_media_list

    url = "https://a.example/1.mp4"
    assert resolve_media_list(None, "reference_videos") == ()
    assert resolve_media_list({"video_urls": [url]}, "reference_videos") == (url,)
    assert resolve_media_list([url, {"video_urls": [url]}], "reference_videos") == (url, url)
    assert resolve_media_list("not-a-list.png", "reference_images") == "not-a-list.png"
