"""httpx's exceptions, named as neutral :class:`~.transport_faults.TransportFault` values.

The one place that knows httpx's exception tree; the sync client, the async client's
httpx path and the download loop all go through it, so they classify alike. The download
loop also reads large bodies straight from httpcore's connection (see
:mod:`.download`), whose few exceptions are named here too.
"""

from __future__ import annotations

import httpcore
import httpx

from .transport_faults import FaultKind, TransportFault

__all__ = ["HTTPCORE_READ_ERRORS", "fault_from_httpcore", "fault_from_httpx"]

# httpx's concrete request errors; none subclasses another, so the order is only for reading.
_KINDS: tuple[tuple[type[httpx.RequestError], FaultKind], ...] = (
    (httpx.ConnectError, "connect"),
    (httpx.ConnectTimeout, "connect_timeout"),
    (httpx.PoolTimeout, "pool_timeout"),
    (httpx.WriteTimeout, "write_timeout"),
    (httpx.ReadTimeout, "read_timeout"),
    (httpx.WriteError, "write"),
    (httpx.ReadError, "read"),
    (httpx.CloseError, "close"),
    (httpx.RemoteProtocolError, "protocol"),
    (httpx.LocalProtocolError, "local_protocol"),
    (httpx.ProxyError, "proxy"),
    (httpx.DecodingError, "decoding"),
    (httpx.TooManyRedirects, "too_many_redirects"),
    (httpx.UnsupportedProtocol, "unsupported_protocol"),
)


def fault_from_httpx(exc: httpx.RequestError) -> TransportFault:
    """Name an httpx request error; its text is kept as the transport's own words."""
    kind: FaultKind = next((k for cls, k in _KINDS if isinstance(exc, cls)), "other")
    return TransportFault(kind, str(exc))


#: What reading from an httpcore network stream can raise (timeouts, resets, closes).
HTTPCORE_READ_ERRORS: tuple[type[Exception], ...] = (
    httpcore.TimeoutException,
    httpcore.NetworkError,
)


def fault_from_httpcore(exc: Exception) -> TransportFault:
    """Name an error from reading httpcore's network stream directly."""
    kind: FaultKind = "read_timeout" if isinstance(exc, httpcore.TimeoutException) else "read"
    return TransportFault(kind, str(exc) or type(exc).__name__)
