"""Where each API call goes and what it carries: requests as data, never sent from here.

A :class:`RequestSpec` is everything a driver needs to make one HTTP request; building
it is pure, so the URL, body and key-scoping rules are unit tests with no socket.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import quote, urlsplit

from .errors import InvalidRequestError

__all__ = [
    "DEFAULT_BASE_URL",
    "HISTORY_PAGE_SIZE",
    "RequestSpec",
    "balance_request",
    "binary_upload_request",
    "history_request",
    "history_search_request",
    "normalise_base_url",
    "pricing_request",
    "result_request",
    "same_origin",
    "submit_request",
    "upload_ticket_request",
    "usage_request",
]

DEFAULT_BASE_URL: Final[str] = "https://api.wavespeed.ai"
#: The history endpoint's largest page.
HISTORY_PAGE_SIZE: Final[int] = 100


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
    """True when ``url`` is on the API's own origin: only there may the key be sent.

    It runs twice per status poll (thousands per second in a triggerer), so the common
    case, a URL built on the base URL, is a prefix test: when ``url`` starts with the
    base URL followed by ``/``, its scheme and authority are the base URL's, character
    for character (an authority ends at the first ``/``). Anything else is parsed.
    """
    if url.startswith(base_url.rstrip("/") + "/") and "://" in base_url:
        return True
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


def history_search_request(
    base_url: str,
    page: int,
    *,
    created_after: str | None = None,
    created_before: str | None = None,
    status: str | None = None,
    model: str | None = None,
) -> RequestSpec:
    """One page of the history with the caller's own filters (dates as ISO 8601 / YYYY-MM-DD).

    :func:`history_request` serves reconciliation (one model, a timestamp); this one serves
    people listing their runs (``seedance history``), where every filter is optional.
    """
    body: dict[str, Any] = {"page": page, "page_size": HISTORY_PAGE_SIZE}
    for key, value in (
        ("created_after", created_after),
        ("created_before", created_before),
        ("status", status),
        ("model", model),
    ):
        if value is not None:
            body[key] = value
    return RequestSpec("POST", f"{base_url}/api/v3/predictions", json=body, purpose="history")


def pricing_request(base_url: str, model: str, body: Mapping[str, Any]) -> RequestSpec:
    """The price of one run of ``model`` with ``body`` (free: nothing is created)."""
    return RequestSpec(
        "POST",
        f"{base_url}/api/v3/model/pricing",
        json={"model_id": model, "inputs": dict(body)},
        purpose="pricing",
    )


def balance_request(base_url: str, *, account_path: bool = False) -> RequestSpec:
    """The account balance; ``account_path`` is the other documented spelling."""
    path = "/api/v3/account/balance" if account_path else "/api/v3/balance"
    return RequestSpec("GET", f"{base_url}{path}", purpose="balance")


def usage_request(
    base_url: str, start_date: str, end_date: str, model: str | None = None
) -> RequestSpec:
    """Requests and cost per model between two dates (``YYYY-MM-DD``)."""
    params = {"start_date": start_date, "end_date": end_date}
    if model:
        params["model"] = model
    return RequestSpec("GET", f"{base_url}/api/v3/account/usage", params=params, purpose="usage")
