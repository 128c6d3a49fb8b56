"""What a failure with no HTTP response means: sent or not, retryable or refused."""

from __future__ import annotations

from typing import Final
from urllib.parse import urlsplit

import httpx

from .endpoints import RequestSpec
from .errors import APIError, ServiceUnreachableError

__all__ = ["MAX_REDIRECTS", "transport_failure"]

#: Redirects followed before giving up (outputs may sit behind a CDN hop or two).
MAX_REDIRECTS: Final[int] = 5
# Transport failures that happen before a single byte of the request left this host.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


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
