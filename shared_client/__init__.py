"""Seedance 2.0 (WaveSpeedAI) video generation: typed models and sync/async clients.

The public surface is re-exported here; modules behind it are implementation detail::

    from shared_client import SeedanceClient, ImageToVideoRequest

    with SeedanceClient() as client:          # WAVESPEED_API_KEY, WAVESPEED_BASE_URL
        prediction = client.generate(ImageToVideoRequest(prompt="...", image="cat.png"))
        client.download(prediction, "out/")
"""

from __future__ import annotations

from ._version import __version__
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
from .models import ImageToVideoRequest, Prediction, PredictionStatus
from .outcomes import failure_message
from .protocol import body_fingerprint
from .retry import RetryPolicy

__all__ = [
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
    "body_fingerprint",
    "canonical_fingerprint",
    "failure_message",
]
