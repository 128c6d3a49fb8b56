"""httpx for tests that speak plain HTTP to a server on 127.0.0.1.

Why: httpx loads the whole CA bundle (about 47 ms of CPU, measured 2026-12-07) for every
client it makes, ``httpx.get`` included, even for an ``http://`` URL where no TLS ever
happens. The simulator's test modules made about 150 such calls each: a quarter of their
CPU, and of ``make check``'s. These are httpx's own calls with ``verify=False``, which
builds an empty context instead (0.3 ms). They refuse an ``https`` URL, so nothing here
turns verification off where TLS is used. (The product's clients share one verified
context instead: ``shared_client.tls``.)
"""

from __future__ import annotations

from typing import Any

import httpx

__all__ = ["client", "get", "post", "put", "request"]


def _plain(url: Any) -> None:
    if str(url).startswith("https:"):
        raise AssertionError(f"plain_http is for http:// test servers, not {url}")


def request(method: str, url: Any, **kwargs: Any) -> httpx.Response:
    _plain(url)
    return httpx.request(method, url, verify=False, **kwargs)


def get(url: Any, **kwargs: Any) -> httpx.Response:
    return request("GET", url, **kwargs)


def post(url: Any, **kwargs: Any) -> httpx.Response:
    return request("POST", url, **kwargs)


def put(url: Any, **kwargs: Any) -> httpx.Response:
    return request("PUT", url, **kwargs)


def client(**kwargs: Any) -> httpx.Client:
    """An ``httpx.Client`` for a plain-HTTP ``base_url`` (or absolute http:// URLs)."""
    _plain(kwargs.get("base_url", ""))
    return httpx.Client(verify=False, **kwargs)
