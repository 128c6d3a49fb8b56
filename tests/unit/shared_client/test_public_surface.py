"""The package face: one source per fact (version, fingerprint, failure wording, limits)."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json

import pytest

import shared_client
from shared_client import (
    DEFAULT_MODEL,
    Prediction,
    PredictionStatus,
    _version,
    body_fingerprint,
    canonical_fingerprint,
    failure_message,
)
from shared_client import protocol as p
from shared_client.media import looks_like_image, sniff

#: Names the Airflow provider and the ComfyUI nodes import from submodules today.
INTEGRATION_NAMES = [
    "APIError",
    "AuthenticationError",
    "GenerationFailedError",
    "GenerationTimeoutError",
    "InvalidRequestError",
    "SeedanceError",
    "ServiceUnreachableError",
    "SubmissionUncertainError",
    "ASPECT_RATIOS",
    "DEFAULT_MODEL",
    "IMAGE_TO_VIDEO_MODELS",
    "MAX_DURATION",
    "MIN_DURATION",
    "RESOLUTIONS",
    "RetryPolicy",
]


def test_everything_in_all_exists_and_integrations_need_no_submodule() -> None:
    for name in shared_client.__all__:
        assert hasattr(shared_client, name), name
    assert set(INTEGRATION_NAMES) <= set(shared_client.__all__)
    for name in ("DEFAULT_BASE_URL", "DEFAULT_POLL_INTERVAL", "DEFAULT_TIMEOUT", "ImageSource"):
        assert name in shared_client.__all__
    assert shared_client.DEFAULT_BASE_URL == "https://api.wavespeed.ai"
    assert DEFAULT_MODEL in shared_client.IMAGE_TO_VIDEO_MODELS


def test_the_version_comes_from_the_package_metadata() -> None:
    try:
        installed = importlib.metadata.version("seedance-workflows")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover
        pytest.skip("not installed")
    assert shared_client.__version__ == installed
    assert f"seedance-workflows/{installed}" == _version.USER_AGENT


def _comfy_recipe(fields: dict[str, object]) -> str:
    """The ComfyUI cache's recipe as it was written, to prove its keys stay valid."""
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _protocol_recipe(model: str, body: dict[str, object]) -> str:
    """``body_fingerprint`` as it was written (default ``ensure_ascii``)."""
    canonical = json.dumps({"model": model, "body": body}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@pytest.mark.parametrize(
    "body", [{}, {"prompt": "café ☕ 日本", "b": [1, 2.5, None, True]}, {"z": {"y": "\u2028"}}]
)
def test_one_fingerprint_recipe_keeps_existing_keys_valid(body: dict[str, object]) -> None:
    assert canonical_fingerprint(body) == _comfy_recipe(body)
    assert body_fingerprint("m", body) == _protocol_recipe("m", body)
    assert body_fingerprint("m", body) == canonical_fingerprint({"model": "m", "body": body})
    assert p.body_fingerprint is body_fingerprint


def test_the_fingerprint_recipe_is_pinned() -> None:
    value = {"model": "m", "body": {"prompt": "café", "duration": 5}}
    expected = "2d98d94fc042c44ddd5e51bcc153bcdfd0a235f029dd691cb0d15b5e9a75939a"
    assert canonical_fingerprint(value) == expected


def test_a_failed_prediction_is_worded_once() -> None:
    failed = Prediction(
        id="p1", status=PredictionStatus.FAILED, error="content flagged", error_code=1200
    )
    assert failure_message(failed) == "prediction p1 failed (code 1200): content flagged"
    silent = Prediction(id="p2", status=PredictionStatus.TIMEOUT)
    assert failure_message(silent) == "prediction p2 timeout: the API gave no reason"
    with pytest.raises(shared_client.GenerationFailedError) as info:
        p.check_outcome(failed)
    assert str(info.value) == failure_message(failed)


@pytest.mark.parametrize(
    ("head", "image"),
    [
        (b"\x89PNG\r\n\x1a\n0000", True),
        (b"\xff\xd8\xff\xe0", True),
        (b"GIF87a", True),
        (b"GIF89a", True),
        (b"GIF8", False),
        (b"BM00", True),
        (b"RIFF0000WEBP", True),
        (b"RIFF0000WAVE", False),
        (b"0000ftypisom", False),
        (b"ID3", False),
    ],
)
def test_one_magic_number_table_for_validation_and_uploads(head: bytes, image: bool) -> None:
    assert looks_like_image(head) is image
    sniffed = sniff(head)
    assert (sniffed is not None and sniffed[0].startswith("image/")) is image
