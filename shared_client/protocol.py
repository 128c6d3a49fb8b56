"""The WaveSpeed protocol without I/O: build requests, read envelopes, classify failures.

Everything that decides what a response *means* lives here as plain functions over
bytes, status codes and headers, so each edge case is a unit test with no socket (the
h11 approach). The sync and async clients are thin drivers that only move bytes.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote, urlsplit

import httpx

from .errors import (
    APIError,
    AuthenticationError,
    GenerationFailedError,
    InvalidRequestError,
    InvalidResponseError,
    RateLimitError,
    SeedanceError,
    ServiceUnreachableError,
    SubmissionUncertainError,
)
from .fingerprint import canonical_fingerprint
from .models import Prediction, PredictionStatus

__all__ = [
    "DEFAULT_BASE_URL",
    "MAX_ENVELOPE_BYTES",
    "RequestSpec",
    "body_fingerprint",
    "check_outcome",
    "failure_message",
    "interpret_response",
    "is_retryable_read",
    "is_safe_to_resubmit",
    "parse_prediction",
    "parse_retry_after",
    "result_request",
    "submit_failure",
    "submit_request",
    "transport_failure",
]

DEFAULT_BASE_URL = "https://api.wavespeed.ai"
#: JSON envelopes larger than this are refused: a result is a few kilobytes.
MAX_ENVELOPE_BYTES = 8 * 1024 * 1024
#: Redirects followed before giving up (outputs may sit behind a CDN hop or two).
MAX_REDIRECTS = 5
#: The history endpoint's largest page.
HISTORY_PAGE_SIZE = 100
_EXCERPT_CHARS = 300
# Transport failures that happen before a single byte of the request left this host.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

RetryKind = Literal["read", "submit", "none"]


@dataclass(frozen=True)
class RequestSpec:
    """One HTTP request to make, as data. ``authenticated`` requests carry the key."""

    method: str
    url: str
    json: Mapping[str, Any] | None = None
    params: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    authenticated: bool = True
    #: What the request is for, in messages ("submit", "result", "upload ticket", ...).
    purpose: str = "request"


def normalise_base_url(base_url: str) -> str:
    """Validate and strip the base URL; only http(s) with a host is accepted."""
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidRequestError(
            "base_url", base_url, f"an http(s) URL with a host, such as {DEFAULT_BASE_URL}"
        )
    return base_url.strip().rstrip("/")


def same_origin(url: str, base_url: str) -> bool:
    """True when ``url`` is on the API's own origin: only there may the key be sent."""
    a, b = urlsplit(url), urlsplit(base_url)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


def submit_request(
    base_url: str, model: str, body: Mapping[str, Any], *, webhook: str | None = None
) -> RequestSpec:
    params = {"webhook": webhook} if webhook else {}
    return RequestSpec(
        "POST", f"{base_url}/api/v3/{model}", json=body, params=params, purpose="submit"
    )


def result_request(base_url: str, prediction_id: str, result_url: str | None = None) -> RequestSpec:
    """The result GET: ``data.urls.get`` when the API gave one on its own origin.

    A ``urls.get`` on another host is ignored rather than followed with the key.
    """
    if result_url and same_origin(result_url, base_url):
        url = result_url
    else:
        url = f"{base_url}/api/v3/predictions/{quote(prediction_id, safe='')}/result"
    return RequestSpec("GET", url, purpose="result")


def upload_ticket_request(
    base_url: str, filename: str, size: int, content_type: str
) -> RequestSpec:
    body = {"filename": filename, "size": size, "content_type": content_type}
    return RequestSpec(
        "POST", f"{base_url}/api/v3/media/uploads", json=body, purpose="upload ticket"
    )


def binary_upload_request(base_url: str) -> RequestSpec:
    return RequestSpec("POST", f"{base_url}/api/v3/media/upload/binary", purpose="upload")


def history_request(base_url: str, model: str, created_after: float, page: int) -> RequestSpec:
    """One page of the prediction history (last 7 days), newest first, for one model."""
    after = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(created_after))
    body = {"page": page, "page_size": HISTORY_PAGE_SIZE, "model": model, "created_after": after}
    return RequestSpec("POST", f"{base_url}/api/v3/predictions", json=body, purpose="history")


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


def body_fingerprint(model: str, body: Mapping[str, Any]) -> str:
    """A stable id of a submit's content, to find the task again after an uncertain submit."""
    return canonical_fingerprint({"model": model, "body": body})


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds: delta-seconds or an HTTP date; ``None`` if absent/garbled."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return None
    return max(0.0, min(seconds, 3600.0))


def excerpt(body: bytes) -> str:
    """The first few hundred characters of a body, whitespace collapsed, for messages."""
    text = body[: _EXCERPT_CHARS * 4].decode("utf-8", errors="replace")
    text = " ".join(text.split())
    return text if len(text) <= _EXCERPT_CHARS else text[: _EXCERPT_CHARS - 3] + "..."


def interpret_response(
    status_code: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    purpose: str = "request",
    prediction_id: str | None = None,
) -> dict[str, Any]:
    """Turn one HTTP response into the envelope's ``data`` object, or raise the right error.

    ``headers`` must be case-insensitive (httpx's ``Headers`` is). A body above
    :data:`MAX_ENVELOPE_BYTES` should be cut by the driver before calling this; it will
    then fail to parse and be reported as an invalid response.
    """
    retry_after = parse_retry_after(headers.get("retry-after"))
    payload = _decode_json(body)
    api_message, api_code = _envelope_message(payload)
    where = f"{purpose} (HTTP {status_code})"
    common: dict[str, Any] = {
        "status_code": status_code,
        "code": api_code,
        "body_excerpt": excerpt(body),
        "retry_after": retry_after,
        "prediction_id": prediction_id,
    }
    if status_code in (401, 403):
        what = "key rejected" if status_code == 401 else "access forbidden (account suspended?)"
        raise AuthenticationError(
            f"{where}: {what}: {api_message or 'no detail'}. Check WAVESPEED_API_KEY "
            "or the connection's password; it is never retried.",
            **common,
        )
    if status_code == 429:
        wait = f"retry after {retry_after:g} s" if retry_after is not None else "slow down"
        raise RateLimitError(
            f"{where}: rate limited ({api_message or 'too many requests'}); {wait}. "
            "Lower concurrency or raise the account level.",
            **common,
        )
    if status_code >= 400:
        detail = api_message or f"non-JSON body: {common['body_excerpt']!r}"
        cls = APIError if payload is not None else InvalidResponseError
        hint = " (server side, retried for reads)" if status_code >= 500 else ""
        raise cls(f"{where}: {detail}{hint}", **common)
    if not isinstance(payload, dict):
        raise InvalidResponseError(
            f"{where}: expected a JSON envelope, got {common['body_excerpt']!r}. "
            "Is the base URL pointing at the WaveSpeed API?",
            **common,
        )
    if api_code is not None and api_code != 200 and not (200 <= api_code < 300):
        raise APIError(f"{where}: API error {api_code}: {api_message or 'no message'}", **common)
    data = payload.get("data")
    if not isinstance(data, dict):
        raise InvalidResponseError(f"{where}: the envelope has no 'data' object", **common)
    return data


def parse_prediction(data: Mapping[str, Any]) -> Prediction:
    """Read a prediction out of an envelope's ``data``, tolerating the shapes seen in the wild."""
    pid = data.get("id")
    if not isinstance(pid, str) or not pid.strip():
        raise InvalidResponseError(f"prediction without an id: {excerpt(_dump(data))!r}")
    urls = data.get("urls")
    result_url = urls.get("get") if isinstance(urls, dict) else None
    timings = data.get("timings")
    inference = timings.get("inference") if isinstance(timings, dict) else None
    nsfw = data.get("has_nsfw_contents")
    error = data.get("error")
    code = data.get("error_code", data.get("code"))
    model = data.get("model")
    created = data.get("created_at")
    return Prediction(
        id=pid,
        model=model if isinstance(model, str) else None,
        status=PredictionStatus.parse(data.get("status")),
        outputs=_parse_outputs(pid, data.get("outputs")),
        error=str(error) if error not in (None, "") else None,
        error_code=code if isinstance(code, int) and not isinstance(code, bool) else None,
        created_at=created if isinstance(created, str) else None,
        inference_ms=_as_int(inference),
        result_url=result_url if isinstance(result_url, str) and result_url else None,
        has_nsfw_contents=[bool(x) for x in nsfw] if isinstance(nsfw, list) else [],
    )


def failure_message(prediction: Prediction) -> str:
    """``prediction <id> <status> (code <n>): <the API's reason>``, for a failed prediction.

    The one wording of a failed generation: the client raises it, and the Airflow
    operator, sensor and trigger report it, so a failure reads the same everywhere.
    """
    code = f" (code {prediction.error_code})" if prediction.error_code is not None else ""
    return (
        f"prediction {prediction.id} {prediction.status.value}{code}: "
        f"{prediction.error or 'the API gave no reason'}"
    )


def check_outcome(prediction: Prediction) -> Prediction:
    """Raise for a terminal prediction that did not produce a usable video."""
    if prediction.is_failure:
        raise GenerationFailedError(
            failure_message(prediction),
            prediction=prediction,
            error=prediction.error,
            code=prediction.error_code,
        )
    if prediction.is_success and not prediction.outputs:
        raise InvalidResponseError(
            f"prediction {prediction.id} completed without any output URL; "
            "fetch it again later or contact WaveSpeed support with this id",
            prediction_id=prediction.id,
        )
    return prediction


def transport_failure(exc: httpx.RequestError, spec: RequestSpec) -> APIError:
    """Describe a failure with no usable HTTP response.

    Transport faults say whether the request may have been sent (that decides whether a
    submit may be retried). Redirect loops and redirects to a non-http(s) URL are refused
    outright: they are the server's doing and asking again will not change them.
    """
    host = urlsplit(spec.url).netloc
    if isinstance(exc, httpx.TooManyRedirects):
        return APIError(
            f"{spec.purpose}: more than {MAX_REDIRECTS} redirects from {host} (a redirect loop?); "
            "refused"
        )
    if isinstance(exc, httpx.UnsupportedProtocol):
        return APIError(
            f"{spec.purpose}: {host} redirected to a URL that is not http(s) ({exc}); refused"
        )
    sent = not isinstance(exc, _NOT_SENT)
    kind = type(exc).__name__
    return ServiceUnreachableError(
        f"{spec.purpose}: no response from {host} ({kind}: {exc or kind}). "
        "Check the base URL and the network; the service may be down.",
        request_sent=sent,
    )


def is_retryable_read(exc: BaseException) -> bool:
    """Reads are idempotent: retry throttling, server errors and transport faults."""
    if isinstance(exc, AuthenticationError):
        return False
    if isinstance(exc, RateLimitError | ServiceUnreachableError):
        return True
    if isinstance(exc, InvalidResponseError):
        # A garbled body from a failing server is transient; a complete but malformed 2xx
        # body is a server bug that asking again will not fix.
        return exc.status_code is None or exc.status_code >= 500
    if isinstance(exc, APIError):
        return exc.is_server_error or exc.status_code == 408
    return False


def is_safe_to_resubmit(exc: BaseException) -> bool:
    """A submit may be resent only when it provably created nothing: 429, or never sent."""
    if isinstance(exc, RateLimitError):
        return True
    return isinstance(exc, ServiceUnreachableError) and not exc.request_sent


def submit_failure(exc: SeedanceError, spec: RequestSpec, *, started_at: float) -> SeedanceError:
    """The error a failed submit surfaces: definite rejections as they are, else uncertainty."""
    definite = isinstance(exc, RateLimitError) or (
        isinstance(exc, ServiceUnreachableError) and not exc.request_sent
    )
    rejected = (
        isinstance(exc, APIError)
        and not isinstance(exc, ServiceUnreachableError)
        and exc.status_code is not None
        and 400 <= exc.status_code < 500
    )
    if definite or rejected:
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


def _decode_json(body: bytes) -> Any:
    if not body or len(body) > MAX_ENVELOPE_BYTES:
        return None
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def _envelope_message(payload: Any) -> tuple[str | None, int | None]:
    if not isinstance(payload, dict):
        return None, None
    message = payload.get("message") or payload.get("error") or payload.get("detail")
    code = payload.get("code")
    text = excerpt(str(message).encode()) if message not in (None, "") else None
    return text, code if isinstance(code, int) and not isinstance(code, bool) else None


def _parse_outputs(pid: str, raw: Any) -> list[str]:
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        raise InvalidResponseError(f"prediction {pid}: 'outputs' is not a list", prediction_id=pid)
    urls: list[str] = []
    for item in raw:
        url = item.get("url") if isinstance(item, dict) else item
        if not isinstance(url, str) or not url:
            raise InvalidResponseError(
                f"prediction {pid}: output item {excerpt(_dump(item))!r} is not a URL",
                prediction_id=pid,
            )
        urls.append(url)
    return urls


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if value != value or value in (float("inf"), float("-inf")):
        return None
    return int(value)


def _dump(value: Any) -> bytes:
    try:
        return json.dumps(value, default=str).encode()
    except (TypeError, ValueError, RecursionError):
        return repr(value).encode()
