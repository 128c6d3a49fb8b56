"""Seedance 2.0 (WaveSpeedAI) video generation: typed models and sync/async clients.

The public surface is re-exported here; modules behind it are implementation detail::

    from shared_client import SeedanceClient, ImageToVideoRequest

    with SeedanceClient() as client:          # WAVESPEED_API_KEY, WAVESPEED_BASE_URL
        prediction = client.generate(ImageToVideoRequest(prompt="...", image="cat.png"))
        client.download(prediction, "out/")
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .client import AsyncSeedanceClient, SeedanceClient
from .errors import (
    APIError,
    AuthenticationError,
    DownloadError,
    GenerationFailedError,
    GenerationTimeoutError,
    InvalidRequestError,
    InvalidResponseError,
    RateLimitError,
    SeedanceError,
    ServiceUnreachableError,
    SubmissionUncertainError,
)
from .fingerprint import canonical_fingerprint
from .models import (
    ASPECT_RATIOS,
    DEFAULT_MODEL,
    IMAGE_TO_VIDEO_MODELS,
    MAX_DURATION,
    MIN_DURATION,
    RESOLUTIONS,
    ImageToVideoRequest,
    Prediction,
    PredictionStatus,
    failure_message,
)
from .polling import DEFAULT_POLL_INTERVAL, DEFAULT_TIMEOUT
from .protocol import DEFAULT_BASE_URL
from .retry import RetryPolicy

try:  # one version for every package of the distribution, from its metadata
    __version__ = version("seedance-workflows")
except PackageNotFoundError:  # a source tree that was never installed (ComfyUI clone route)
    __version__ = "0.0.0+unknown"

__all__ = [
    "ASPECT_RATIOS",
    "DEFAULT_BASE_URL",
    "DEFAULT_MODEL",
    "DEFAULT_POLL_INTERVAL",
    "DEFAULT_TIMEOUT",
    "IMAGE_TO_VIDEO_MODELS",
    "MAX_DURATION",
    "MIN_DURATION",
    "RESOLUTIONS",
    "APIError",
    "AsyncSeedanceClient",
    "AuthenticationError",
    "DownloadError",
    "GenerationFailedError",
    "GenerationTimeoutError",
    "ImageToVideoRequest",
    "InvalidRequestError",
    "InvalidResponseError",
    "Prediction",
    "PredictionStatus",
    "RateLimitError",
    "RetryPolicy",
    "SeedanceClient",
    "SeedanceError",
    "ServiceUnreachableError",
    "SubmissionUncertainError",
    "__version__",
    "canonical_fingerprint",
    "failure_message",
]
