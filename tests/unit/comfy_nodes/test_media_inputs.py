"""VIDEO and AUDIO sockets become uploads: a video file is sent as is (never decoded),
only what has no MP4/MOV file is written out; AUDIO becomes a deterministic WAV."""

from __future__ import annotations

import hashlib
import io
import wave
from pathlib import Path

import numpy as np
import pytest
import torch

from comfy_nodes.errors import NodeInputError
from comfy_nodes.media_inputs import audio_as_wav, media_digest, video_source
from tests.support.media import write_mp4

from .conftest import FakeVideo, audio_value


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    path = tmp_path / "clip.mp4"
    write_mp4(path, frames=16, fps=8, with_audio=True)
    return path


def test_a_video_file_is_uploaded_as_is_without_writing_anything(
    clip: Path, tmp_path: Path
) -> None:
    video = FakeVideo(clip)
    assert video_source(video, field="video", scratch=tmp_path / "s") == str(clip)
    assert video.saved_to == [] and not (tmp_path / "s").exists()


def test_in_memory_mp4_bytes_are_sent_as_bytes(clip: Path, tmp_path: Path) -> None:
    data = clip.read_bytes()
    assert video_source(FakeVideo(io.BytesIO(data)), field="video", scratch=tmp_path) == data


@pytest.mark.parametrize("case", ["trimmed", "not_mp4"])
def test_a_video_without_a_file_of_the_apis_kind_is_written_out_once(
    clip: Path, tmp_path: Path, case: str
) -> None:
    if case == "not_mp4":
        other = tmp_path / "clip.webm"
        other.write_bytes(b"\x1a\x45\xdf\xa3" + bytes(64))  # a Matroska/WebM header
        video = FakeVideo(other)
    else:
        video = FakeVideo(clip, trimmed=True)
    source = video_source(video, field="reference_video_2", scratch=tmp_path / "s")
    assert source == str(tmp_path / "s" / "reference_video_2.mp4")
    assert video.saved_to == [source]


def test_a_non_video_names_the_socket(tmp_path: Path) -> None:
    with pytest.raises(NodeInputError, match=r"^reference_video_1: expected a VIDEO"):
        video_source("clip.mp4", field="reference_video_1", scratch=tmp_path)


def test_audio_is_encoded_as_16_bit_wav_deterministically() -> None:
    audio = audio_value(0.5, rate=16000, channels=2)
    data = audio_as_wav(audio, field="reference_audio_1")
    assert data == audio_as_wav(audio_value(0.5, rate=16000, channels=2), field="x")
    with wave.open(io.BytesIO(data)) as decoded:
        assert (decoded.getnchannels(), decoded.getsampwidth(), decoded.getframerate()) == (
            2,
            2,
            16000,
        )
        assert decoded.getnframes() == 8000
        pcm = np.frombuffer(decoded.readframes(8000), dtype="<i2").reshape(-1, 2)
    expected = np.rint(audio["waveform"][0, 0].numpy() * 32767)
    assert np.abs(pcm[:, 0] - expected).max() <= 1


@pytest.mark.parametrize(
    "bad",
    [None, {"waveform": torch.zeros(1, 1, 0), "sample_rate": 8000}, {"sample_rate": 8000}],
)
def test_a_bad_audio_names_the_socket(bad: object) -> None:
    with pytest.raises(NodeInputError, match=r"^reference_audio_2:"):
        audio_as_wav(bad, field="reference_audio_2")


def test_digests_cover_bytes_files_urls_and_lists(clip: Path) -> None:
    data = clip.read_bytes()
    assert media_digest(data) == media_digest(str(clip)) == hashlib.sha256(data).hexdigest()
    assert media_digest("https://x.test/a.mp4") == "https://x.test/a.mp4"
    assert media_digest((data, None)) == [hashlib.sha256(data).hexdigest(), None]
    assert media_digest(()) == [] and media_digest(None) is None
