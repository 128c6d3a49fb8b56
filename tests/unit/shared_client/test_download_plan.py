"""Download planning and the partial file: names stay inside the folder, resumes are exact."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from shared_client import DownloadError, Prediction, PredictionStatus, ServiceUnreachableError
from shared_client.download import PartialFile, plan_download, plan_downloads, safe_filename

DONE = Prediction(
    id="pred-9",
    status=PredictionStatus.COMPLETED,
    outputs=["https://cdn/a/video.mp4", "https://cdn/b.webm"],
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("video.mp4", "video.mp4"),
        ("../../etc/passwd", "passwd"),
        ("..", "output.mp4"),
        ("%2e%2e%2fx.mp4", "x.mp4"),
        (".hidden.mp4", "hidden.mp4"),
        ("a b?.mp4", "a_b_.mp4"),
        ("C:\\\\win\\\\x.mp4", "x.mp4"),
        ("", "output.mp4"),
    ],
)
def test_safe_filenames_never_leave_the_folder(name: str, expected: str) -> None:
    assert safe_filename(name) == expected


def test_prediction_outputs_are_named_after_the_prediction(tmp_path: Path) -> None:
    targets = plan_downloads(DONE, tmp_path)
    assert [t.path for t in targets] == [tmp_path / "pred-9.mp4", tmp_path / "pred-9-1.webm"]
    assert all(t.prediction_id == "pred-9" for t in targets)


def test_a_url_into_a_folder_uses_its_sanitised_last_segment(tmp_path: Path) -> None:
    target = plan_download("https://cdn/x/..%2F..%2Fevil.mp4?sig=1", tmp_path)
    assert target.path.parent == tmp_path
    assert target.path.name == "evil.mp4"


def test_a_file_destination_is_used_as_is(tmp_path: Path) -> None:
    assert plan_download(DONE, tmp_path / "clip.mp4").path == tmp_path / "clip.mp4"


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://x/y.mp4", "javascript:alert(1)", "/local.mp4"]
)
def test_only_http_urls_are_followed(tmp_path: Path, url: str) -> None:
    with pytest.raises(DownloadError, match="only http"):
        plan_download(url, tmp_path)


def test_a_prediction_without_outputs_cannot_be_downloaded(tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="no outputs"):
        plan_download(Prediction(id="p", status=PredictionStatus.PROCESSING), tmp_path)
    with pytest.raises(DownloadError, match="out of range"):
        plan_download(DONE, tmp_path, index=5)


def test_partial_file_resumes_with_range_and_commits_atomically(tmp_path: Path) -> None:
    part = PartialFile(plan_download(DONE, tmp_path))
    part.begin(200, httpx.Headers({"content-length": "10"}))
    part.write(b"01234")
    with pytest.raises(ServiceUnreachableError, match="cut after 5 of 10"):
        part.end_of_body()
    assert part.request_headers()["Range"] == "bytes=5-"
    part.begin(206, httpx.Headers({"content-range": "bytes 5-9/10"}))
    part.write(b"56789")
    part.end_of_body()
    assert not (tmp_path / "pred-9.mp4").exists()
    assert part.commit().read_bytes() == b"0123456789"
    assert [p.name for p in tmp_path.iterdir()] == ["pred-9.mp4"]


def test_a_server_ignoring_range_restarts_from_zero(tmp_path: Path) -> None:
    part = PartialFile(plan_download(DONE, tmp_path))
    part.begin(200, httpx.Headers({"content-length": "4"}))
    part.write(b"ab")
    part.begin(200, httpx.Headers({"content-length": "4"}))
    part.write(b"abcd")
    part.end_of_body()
    assert part.commit().read_bytes() == b"abcd"


def test_abort_leaves_an_existing_file_untouched(tmp_path: Path) -> None:
    existing = tmp_path / "pred-9.mp4"
    existing.write_bytes(b"good video")
    part = PartialFile(plan_download(DONE, tmp_path))
    part.begin(200, httpx.Headers())
    part.write(b"half")
    part.abort()
    assert existing.read_bytes() == b"good video"
    assert list(tmp_path.iterdir()) == [existing]


def test_http_errors_on_download_are_typed(tmp_path: Path) -> None:
    part = PartialFile(plan_download(DONE, tmp_path))
    with pytest.raises(Exception) as info:
        part.begin(404, httpx.Headers(), b"not found")
    assert "HTTP 404" in str(info.value)
    part.abort()


def test_an_unwritable_folder_is_reported_before_any_transfer(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(DownloadError, match="cannot write the download"):
        PartialFile(plan_download(DONE, blocker / "sub" / "v.mp4"))
