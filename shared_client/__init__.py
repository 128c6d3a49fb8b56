"""Seedance 2.0 (WaveSpeedAI) video generation: typed models and sync/async clients.

The public surface is re-exported here; modules behind it are implementation detail::

    from shared_client import SeedanceClient, ImageToVideoRequest

    with SeedanceClient() as client:          # WAVESPEED_API_KEY, WAVESPEED_BASE_URL
        prediction = client.generate(ImageToVideoRequest(prompt="...", image="cat.png"))
        client.download(prediction, "out/")

Integrations (the Airflow provider, the ComfyUI nodes) import from here only: the
defaults and limits, the failure wording and the fingerprint recipe each have one
source, behind this face.
"""

from __future__ import annotations

from ._version import __version__
from .account_levels import ACCOUNT_LEVELS, DEFAULT_ACCOUNT_LEVEL, AccountLevel, account_level
from .catalogue import (
    ASPECT_RATIOS,
    DEFAULT_MODEL,
    FAMILY_PREFIX,
    IMAGE_TO_VIDEO_MODELS,
    MAX_DURATION,
    MIN_DURATION,
    MODELS,
    RESOLUTION_PRICE_FACTORS,
    RESOLUTIONS,
    ModelSpec,
    ReferenceLimits,
    default_model,
    is_family_path,
    model_spec,
    models_for,
)
from .client import AsyncSeedanceClient, SeedanceClient
from .endpoints import DEFAULT_BASE_URL
from .errors import (
    APIError,
    AuthenticationError,
    BudgetExceededError,
    DownloadError,
    GenerationFailedError,
    GenerationTimeoutError,
    InsufficientBalanceError,
    InvalidRequestError,
    InvalidResponseError,
    MissingKeyError,
    PreconditionError,
    QuoteUnavailableError,
    RateLimitError,
    SeedanceError,
    ServiceUnreachableError,
    SubmissionUncertainError,
    Words,
    python_words,
)
from .fingerprint import canonical_fingerprint
from .generation_requests import ImageToVideoRequest, TextToVideoRequest
from .media import ImageSource, UploadSource
from .outcomes import failure_message
from .polling import DEFAULT_POLL_INTERVAL, DEFAULT_TIMEOUT, POLL_TICK
from .preconditions import check_destination, check_extras, check_run
from .quotes import describe_run, table_quote
from .request_common import MediaSource
from .request_common import RequestBase as GenerationRequest
from .retry import RetryPolicy
from .stitch import Clip, contact_sheet, last_frame_png, video_seconds
from .stitch import stitch as stitch_videos
from .story_runner import (
    STORY_EXTRAS,
    ShotResult,
    ShotUpdate,
    StoryResult,
    paid_shots,
    stitch_story,
    story_slug,
)
from .storyboard import MAX_STORY_SECONDS, Shot, Storyboard
from .storyboard import TIERS as STORY_TIERS
from .submissions import body_fingerprint
from .submit_intent import DEFAULT_SETTLE_WINDOW, SubmitIntent
from .values import Prediction, PredictionStatus, Quote, Usage
from .video_requests import VideoEditRequest, VideoExtendRequest

__all__ = [
    "ACCOUNT_LEVELS",
    "ASPECT_RATIOS",
    "DEFAULT_ACCOUNT_LEVEL",
    "DEFAULT_BASE_URL",
    "DEFAULT_MODEL",
    "DEFAULT_POLL_INTERVAL",
    "DEFAULT_SETTLE_WINDOW",
    "DEFAULT_TIMEOUT",
    "FAMILY_PREFIX",
    "IMAGE_TO_VIDEO_MODELS",
    "MAX_DURATION",
    "MAX_STORY_SECONDS",
    "MIN_DURATION",
    "MODELS",
    "POLL_TICK",
    "RESOLUTIONS",
    "RESOLUTION_PRICE_FACTORS",
    "STORY_EXTRAS",
    "STORY_TIERS",
    "APIError",
    "AccountLevel",
    "AsyncSeedanceClient",
    "AuthenticationError",
    "BudgetExceededError",
    "Clip",
    "DownloadError",
    "GenerationFailedError",
    "GenerationRequest",
    "GenerationTimeoutError",
    "ImageSource",
    "ImageToVideoRequest",
    "InsufficientBalanceError",
    "InvalidRequestError",
    "InvalidResponseError",
    "MediaSource",
    "MissingKeyError",
    "ModelSpec",
    "PreconditionError",
    "Prediction",
    "PredictionStatus",
    "Quote",
    "QuoteUnavailableError",
    "RateLimitError",
    "ReferenceLimits",
    "RetryPolicy",
    "SeedanceClient",
    "SeedanceError",
    "ServiceUnreachableError",
    "Shot",
    "ShotResult",
    "ShotUpdate",
    "StoryResult",
    "Storyboard",
    "SubmissionUncertainError",
    "SubmitIntent",
    "TextToVideoRequest",
    "UploadSource",
    "Usage",
    "VideoEditRequest",
    "VideoExtendRequest",
    "Words",
    "__version__",
    "account_level",
    "body_fingerprint",
    "canonical_fingerprint",
    "check_destination",
    "check_extras",
    "check_run",
    "contact_sheet",
    "default_model",
    "describe_run",
    "failure_message",
    "is_family_path",
    "last_frame_png",
    "model_spec",
    "models_for",
    "paid_shots",
    "python_words",
    "stitch_story",
    "stitch_videos",
    "story_slug",
    "table_quote",
    "video_seconds",
]
