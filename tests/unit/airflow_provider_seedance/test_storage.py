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
