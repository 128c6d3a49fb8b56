"""What a response means: read one HTTP answer into data, a prediction, or the right error.

Everything here is a plain function over a status code, headers and body bytes, so each
edge case seen in the wild (HTML from a proxy, a garbled body, an envelope whose ``code``
disagrees with the HTTP status, outputs as objects or strings) is a unit test with no
socket. The drivers only move the bytes.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Mapping
from typing import Any, Final

from .errors import (
    APIError,
    AuthenticationError,
    InsufficientBalanceError,
    InvalidResponseError,
    RateLimitError,
)
from .values import Prediction, PredictionStatus

__all__ = [
    "MAX_ENVELOPE_BYTES",
    "excerpt",
    "interpret_response",
    "parse_prediction",
    "parse_retry_after",
]

#: JSON envelopes larger than this are refused: a result is a few kilobytes.
MAX_ENVELOPE_BYTES: Final[int] = 8 * 1024 * 1024
_EXCERPT_CHARS = 300


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

    ``headers`` must be case-insensitive (httpx's ``Headers`` and aiohttp's
    ``CIMultiDictProxy`` are). A body above :data:`MAX_ENVELOPE_BYTES` should be cut by
    the driver before calling this; it will then fail to parse and be reported as an
    invalid response.
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
    if status_code == 402:
        raise InsufficientBalanceError(
            f"{where}: insufficient balance ({api_message or 'payment required'}); nothing was "
            "created. Top up the WaveSpeed account, or lower the duration or resolution.",
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
