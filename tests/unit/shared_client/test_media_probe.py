"""Kind, type and seconds of local media, read from the container in pure Python."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared_client.media_probe import probe_media
from tests.support.media import container_mp4, make_png, mp3_bytes, wav_bytes


@pytest.mark.parametrize(
    ("data", "kind", "content_type", "seconds"),
    [
        (container_mp4(7.5), "video", "video/mp4", 7.5),
        (container_mp4(3.25, version=1), "video", "video/mp4", 3.25),
        (container_mp4(2.0, brand=b"qt  "), "video", "video/quicktime", 2.0),
        (wav_bytes(2.5), "audio", "audio/wav", 2.5),
        (mp3_bytes(4.0), "audio", "audio/mpeg", 4.0),
        (make_png(), "image", "image/png", None),
        (b"hello world, not media", None, None, None),
    ],
)
def test_probe_reads_kind_type_and_seconds(
    data: bytes, kind: str | None, content_type: str | None, seconds: float | None
) -> None:
    info = probe_media(data)
    assert info is not None
    assert (info.kind, info.content_type, info.size) == (kind, content_type, len(data))
    if seconds is None:
        assert info.seconds is None
    else:
        assert info.seconds == pytest.approx(seconds, abs=0.03)


def test_paths_and_open_files_are_probed_urls_are_not(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(container_mp4(6))
    assert probe_media(path).seconds == 6
    assert probe_media(str(path)).seconds == 6
    with path.open("rb") as handle:
        assert probe_media(handle).seconds == 6
        assert handle.tell() == 0
    assert probe_media("https://cdn/clip.mp4") is None
    assert probe_media(tmp_path / "missing.mp4") is None


def test_a_truncated_container_has_no_seconds_rather_than_an_error() -> None:
    assert probe_media(container_mp4(5)[:40]).seconds is None
    assert probe_media(wav_bytes(1)[:20]).seconds is None


def test_uploads_carry_the_right_content_type_for_every_media_kind() -> None:
    from shared_client.media import prepare_upload

    cases = {
        "video/mp4": container_mp4(1),
        "video/quicktime": container_mp4(1, brand=b"qt  "),
        "audio/wav": wav_bytes(1),
        "audio/mpeg": mp3_bytes(1),
        "image/png": make_png(),
    }
    for content_type, data in cases.items():
        assert prepare_upload(data).content_type == content_type
    assert prepare_upload(mp3_bytes(1)[10:]).content_type == "audio/mpeg"  # no ID3 tag
