"""A failure with no HTTP response, described without any HTTP library, and what it means.

Why a neutral description: the protocol decides what a lost request means (was it sent?
may a paid submit be resent? is a redirect loop worth retrying?), but two transports
carry requests, httpx and aiohttp, each with its own exception tree. Rather than make
the protocol read one library's exceptions (and translate the other's into them), each
driver names what happened as a :class:`TransportFault` (``_httpx_faults`` and
``_aiohttp_envelopes`` hold the two mappings) and :func:`transport_failure` decides, in
one place, for both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal
from urllib.parse import urlsplit

from .endpoints import RequestSpec
from .errors import APIError, ServiceUnreachableError

__all__ = ["MAX_REDIRECTS", "FaultKind", "TransportFault", "transport_failure"]

#: Redirects followed before giving up (outputs may sit behind a CDN hop or two).
MAX_REDIRECTS: Final[int] = 5

FaultKind = Literal[
    "connect",  # refused, DNS failure, TLS handshake failure: no connection
    "connect_timeout",  # no connection within the connect timeout
    "pool_timeout",  # no free pooled connection within the pool timeout
    "write_timeout",  # sending stalled part-way
    "read_timeout",  # sent, and the answer did not come in time
    "write",  # the connection broke while sending (broken pipe)
    "read",  # the connection broke while reading (reset by peer)
    "close",  # closing the connection failed
    "protocol",  # the server broke HTTP: a cut body, a garbled status line, a reset
    "local_protocol",  # this side produced invalid HTTP
    "proxy",  # the proxy in between failed
    "decoding",  # the body arrived but could not be decoded (bad gzip, bad charset)
    "too_many_redirects",  # more than MAX_REDIRECTS hops
    "unsupported_protocol",  # a URL (or a redirect) to a scheme other than http(s)
    "other",  # a transport failure none of the above describes
]

#: Faults that happen before a single byte of the request left this host.
_NOT_SENT: Final[frozenset[FaultKind]] = frozenset({"connect", "connect_timeout", "pool_timeout"})
#: How messages name each kind (the words they have always used).
_LABELS: Final[dict[FaultKind, str]] = {
    "connect": "ConnectError",
    "connect_timeout": "ConnectTimeout",
    "pool_timeout": "PoolTimeout",
    "write_timeout": "WriteTimeout",
    "read_timeout": "ReadTimeout",
    "write": "WriteError",
    "read": "ReadError",
    "close": "CloseError",
    "protocol": "RemoteProtocolError",
    "local_protocol": "LocalProtocolError",
    "proxy": "ProxyError",
    "decoding": "DecodingError",
    "too_many_redirects": "TooManyRedirects",
    "unsupported_protocol": "UnsupportedProtocol",
    "other": "TransportError",
}


@dataclass(frozen=True, slots=True)
class TransportFault:
    """What went wrong on the wire, in the core's words: a kind and the transport's text.

    ``kind`` is the only thing decisions read; ``message`` is the transport's own
    description, quoted in the error for diagnosis. Whether the request may have been
    sent follows from the kind (:attr:`request_sent`), so no driver can contradict the
    rule that decides whether a submit may be resent.
    """

    kind: FaultKind
    message: str

    @property
    def request_sent(self) -> bool:
        """False only when the request provably never left this host (no connection)."""
        return self.kind not in _NOT_SENT

    @property
    def label(self) -> str:
        """The kind's name in messages, e.g. ``ConnectError``."""
        return _LABELS[self.kind]


def transport_failure(fault: TransportFault, spec: RequestSpec) -> APIError:
    """Describe a failure with no usable HTTP response.

    Transport faults say whether the request may have been sent (that decides whether a
    submit may be retried). Redirect loops and redirects to a non-http(s) URL are refused
    outright: they are the server's doing and asking again will not change them.
    """
    host = urlsplit(spec.url).netloc
    if fault.kind == "too_many_redirects":
        return APIError(
            f"{spec.purpose}: more than {MAX_REDIRECTS} redirects from {host} (a redirect loop?); "
            "refused"
        )
    if fault.kind == "unsupported_protocol":
        return APIError(
            f"{spec.purpose}: {host} redirected to a URL that is not http(s) ({fault.message}); "
            "refused"
        )
    return ServiceUnreachableError(
        f"{spec.purpose}: no response from {host} ({fault.label}: {fault.message}). "
        "Check the base URL and the network; the service may be down.",
        request_sent=fault.request_sent,
    )
