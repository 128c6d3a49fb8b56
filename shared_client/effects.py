"""The effects a flow yields and a driver performs: the seam between decisions and I/O.

A flow (see :mod:`.flows` and :mod:`.recovery`) never touches the network or the clock;
it yields one of these and is resumed with the result. Kept apart from the flows so
that every module of flows can share them without importing each other.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from .media import UploadBlob
from .protocol import RequestSpec, RetryKind
from .values import Prediction

__all__ = ["Call", "Effect", "Flow", "OnUpdate", "PostMultipart", "PutUpload", "Sleep"]


@dataclass(frozen=True)
class Call:
    """Send ``request`` (retrying per ``retry``) and resume with the envelope's ``data``."""

    request: RequestSpec
    retry: RetryKind


@dataclass(frozen=True)
class PutUpload:
    """PUT ``blob``'s bytes to a presigned URL with exactly ``headers`` (no API key)."""

    url: str
    headers: Mapping[str, str]
    blob: UploadBlob


@dataclass(frozen=True)
class PostMultipart:
    """POST ``blob`` as the multipart field ``file``; resume with the envelope's ``data``."""

    request: RequestSpec
    blob: UploadBlob


@dataclass(frozen=True)
class Sleep:
    """Wait ``seconds``. ``coalesce``: a poll's wait, which an event-loop driver may end
    up to :data:`~.polling.POLL_TICK` later so that the waits of many waiters sharing one
    loop end on the same tick (see :func:`~.polling.tick_aligned`)."""

    seconds: float
    coalesce: bool = False


Effect: TypeAlias = Call | PutUpload | PostMultipart | Sleep
Flow: TypeAlias = Generator[Effect, Any, Any]
OnUpdate: TypeAlias = Callable[[Prediction], Any]
