"""The fast PNG writer is lossless for every channel layout and decodes with Pillow."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from comfy_nodes.png import encode_png


@pytest.mark.parametrize(("channels", "mode"), [(1, "L"), (3, "RGB"), (4, "RGBA")])
def test_round_trip_is_exact(channels: int, mode: str) -> None:
    rng = np.random.default_rng(channels)
    pixels = rng.integers(0, 256, size=(37, 53, channels), dtype=np.uint8)
    with Image.open(io.BytesIO(encode_png(pixels))) as decoded:
        assert decoded.mode == mode
        back = np.asarray(decoded)
    assert np.array_equal(back.reshape(pixels.shape), pixels)


def test_output_is_deterministic_and_compresses_smooth_images() -> None:
    y, x = np.mgrid[0:256, 0:256]
    pixels = np.stack([x, y, (x + y) // 2], -1).astype(np.uint8)
    first, second = encode_png(pixels), encode_png(pixels)
    assert first == second
    assert len(first) < pixels.nbytes / 10


@pytest.mark.parametrize(
    "bad",
    [np.zeros((4, 4, 3), np.float32), np.zeros((0, 4, 3), np.uint8), np.zeros((4, 4, 2), np.uint8)],
)
def test_refuses_what_it_cannot_encode(bad: np.ndarray) -> None:
    with pytest.raises((TypeError, ValueError)):
        encode_png(bad)


def test_large_frames_compressed_in_parallel_pieces_still_decode_exactly() -> None:
    rng = np.random.default_rng(3)
    y, x = np.mgrid[0:720, 0:1280]
    base = np.stack([x % 256, y % 256, (x * y) % 256], -1)
    pixels = np.clip(base + rng.normal(0, 8, base.shape), 0, 255).astype(np.uint8)
    data = encode_png(pixels)
    with Image.open(io.BytesIO(data)) as decoded:
        assert np.array_equal(np.asarray(decoded), pixels)
    assert data == encode_png(pixels)
