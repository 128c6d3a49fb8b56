"""A submit whose answer was lost: how to recognise the task it may have created.

A submit is paid and not idempotent, so one that may have reached the server is never
resent. Instead its body is fingerprinted; the failure that reaches the caller carries
the fingerprint and a time window, and the API's history is searched for a prediction
whose recorded input has exactly that fingerprint.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from .endpoints import RequestSpec
from .errors import APIError, SeedanceError, ServiceUnreachableError, SubmissionUncertainError
from .fingerprint import canonical_fingerprint
from .retry import is_safe_to_resubmit

__all__ = ["body_fingerprint", "match_submission", "submit_failure"]


def body_fingerprint(model: str, body: Mapping[str, Any]) -> str:
    """A stable id of a submit's content, to find the task again after an uncertain submit."""
    return canonical_fingerprint({"model": model, "body": body})


def match_submission(items: Any, model: str, fingerprint: str) -> Mapping[str, Any] | None:
    """The history item whose recorded ``input`` is exactly the body that was sent.

    Only an exact fingerprint match counts: a prediction of the same model created at
    the same time by another caller must never be mistaken for ours. Items without an
    ``input`` cannot be matched (and are not guessed at).
    """
    if not isinstance(items, list):
        return None
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("input"), dict):
            continue
        if body_fingerprint(model, item["input"]) == fingerprint:
            return item
    return None


def submit_failure(exc: SeedanceError, spec: RequestSpec, *, started_at: float) -> SeedanceError:
    """The error a failed submit surfaces: definite rejections as they are, else uncertainty.

    Definite: what was safe to resend (429, never sent) and a 4xx answer. Anything else
    (a 5xx, a reset or timeout after sending, a redirect refusal) may have created a task.
    """
    rejected = (
        isinstance(exc, APIError)
        and not isinstance(exc, ServiceUnreachableError)
        and exc.status_code is not None
        and 400 <= exc.status_code < 500
    )
    if is_safe_to_resubmit(exc) or rejected:
        return exc
    model = spec.url.split("/api/v3/", 1)[-1]
    fingerprint = body_fingerprint(model, spec.json or {})
    return SubmissionUncertainError(
        f"submit to {model} failed after the request was sent ({exc}); a task may have been "
        f"created and billed. It was NOT resent automatically. Look for a prediction of this "
        f"model created after {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(started_at))} "
        f"(request fingerprint {fingerprint[:16]}) before submitting again.",
        model=model,
        fingerprint=fingerprint,
        submitted_at=started_at,
        cause=exc,
    )
