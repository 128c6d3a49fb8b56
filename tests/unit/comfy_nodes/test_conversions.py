"""Tensor <-> image bytes and MP4 -> frames/audio, with real torch CPU tensors."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
import torch
from PIL import Image

from comfy_nodes.conversions import (
    ImageInputError,
    first_image_as_png,
    png_to_tensor,
    video_to_components,
)
from tests.support.media import write_mp4


def _random_image(batch: int, height: int = 24, width: int = 32, channels: int = 3) -> torch.Tensor:
    generator = torch.Generator().manual_seed(batch * 1000 + height)
    levels = torch.randint(0, 256, (batch, height, width, channels), generator=generator)
    return levels.float() / 255.0


def test_png_is_lossless_at_comfyui_8_bit_quantisation() -> None:
    image = _random_image(1)
    png = first_image_as_png(image)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    decoded = png_to_tensor(png)
    assert decoded.shape == image.shape
    assert torch.equal(torch.round(decoded * 255), torch.round(image * 255))


def test_png_bytes_are_deterministic_so_fingerprints_are_stable() -> None:
    image = _random_image(1)
    assert first_image_as_png(image) == first_image_as_png(image.clone())


def test_only_the_first_image_of_a_batch_is_used_and_a_warning_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    batch = _random_image(3)
    with caplog.at_level(logging.WARNING, logger="comfy_nodes.conversions"):
        png = first_image_as_png(batch)
    assert torch.equal(png_to_tensor(png), png_to_tensor(first_image_as_png(batch[:1])))
    assert not torch.equal(png_to_tensor(png), png_to_tensor(first_image_as_png(batch[1:2])))
    assert any("batch of 3 images" in r.getMessage() for r in caplog.records)


def test_rgba_and_single_image_without_batch_axis_are_accepted() -> None:
    rgba = _random_image(1, channels=4)
    with Image.open(io.BytesIO(first_image_as_png(rgba))) as pil:
        assert pil.mode == "RGBA"
    single = _random_image(1)[0]
    assert png_to_tensor(first_image_as_png(single)).shape == (1, 24, 32, 3)


def test_out_of_range_values_are_clipped_not_wrapped() -> None:
    image = torch.full((1, 4, 4, 3), 1.7)
    image[0, 0, 0] = -0.5
    decoded = png_to_tensor(first_image_as_png(image))
    assert decoded.max().item() == 1.0
    assert decoded[0, 0, 0].tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("shape", [(0, 8, 8, 3), (8, 8), (1, 8, 8, 2)])
def test_bad_shapes_raise_an_error_naming_the_field(shape: tuple[int, ...]) -> None:
    with pytest.raises(ImageInputError, match=r"^last_image:"):
        first_image_as_png(torch.zeros(shape), field="last_image")


def test_video_decodes_to_frames_audio_and_fps(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    write_mp4(path, frames=12, fps=12, with_audio=True)
    frames, audio, fps = video_to_components(path)
    assert frames.dtype == torch.float32 and frames.shape == (12, 48, 64, 3)
    assert frames.min().item() >= 0.0 and frames.max().item() <= 1.0
    assert fps == pytest.approx(12.0)
    assert audio["sample_rate"] == 44_100
    waveform = audio["waveform"]
    assert waveform.ndim == 3 and waveform.shape[0] == 1 and waveform.shape[1] == 1
    assert waveform.shape[2] >= 40_000  # about one second of the tone
    assert 0.3 < waveform.abs().max().item() <= 1.0  # real signal, float range


def test_video_without_audio_gets_a_silent_track_of_the_same_length(tmp_path: Path) -> None:
    path = tmp_path / "mute.mp4"
    write_mp4(path, frames=24, fps=12, with_audio=False)
    _, audio, fps = video_to_components(path)
    assert audio["waveform"].shape == (1, 1, 88_200)
    assert audio["waveform"].abs().sum().item() == 0.0
    assert fps == pytest.approx(12.0)
