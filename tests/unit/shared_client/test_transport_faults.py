"""Transport faults: one neutral description, classified once; each driver's mapping onto it."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path
from typing import get_args

import httpx
import pytest

from shared_client import APIError, ServiceUnreachableError
from shared_client import protocol as p
from shared_client._httpx_faults import fault_from_httpx
from shared_client.transport_faults import FaultKind, TransportFault

SPEC = p.submit_request("https://api.wavespeed.ai", "m/f/t", {"prompt": "x"})
PACKAGE = Path(p.__file__).parent
#: The sans-I/O core: none of these may import an HTTP library, even lazily.
SANS_IO = [
    "endpoints",
    "envelopes",
    "errors",
    "fingerprint",
    "flows",
    "media",
    "values",
    "outcomes",
    "polling",
    "protocol",
    "retry",
    "submissions",
    "transport_faults",
]


@pytest.mark.parametrize("module", SANS_IO)
def test_the_protocol_imports_no_http_library(module: str) -> None:
    tree = ast.parse((PACKAGE / f"{module}.py").read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            imported.add(node.module.split(".")[0])
    assert not imported & {"httpx", "aiohttp", "requests", "urllib3", "http"}


@pytest.mark.parametrize("kind", get_args(FaultKind))
def test_only_connecting_faults_are_never_sent(kind: FaultKind) -> None:
    fault = TransportFault(kind, "detail")
    assert fault.request_sent is (kind not in ("connect", "connect_timeout", "pool_timeout"))
    err = p.transport_failure(fault, SPEC)
    if kind in ("too_many_redirects", "unsupported_protocol"):
        assert type(err) is APIError and "refused" in str(err)
    else:
        assert isinstance(err, ServiceUnreachableError)
        assert err.request_sent is fault.request_sent
        assert f"({fault.label}: detail)" in str(err)


def _concrete_request_errors() -> list[type[httpx.RequestError]]:
    found, todo = [], [httpx.RequestError]
    while todo:
        cls = todo.pop()
        subclasses = cls.__subclasses__()
        todo.extend(subclasses)
        if not subclasses:
            found.append(cls)
    return found


@pytest.mark.parametrize("cls", _concrete_request_errors(), ids=lambda c: c.__name__)
def test_every_httpx_error_has_a_kind_named_as_before(cls: type[httpx.RequestError]) -> None:
    fault = fault_from_httpx(cls("boom"))
    assert fault.kind != "other"
    assert fault.label == cls.__name__  # messages keep the words they always had
    assert fault.message == "boom"


aiohttp_missing = importlib.util.find_spec("aiohttp") is None


@pytest.mark.skipif(aiohttp_missing, reason="aiohttp is optional")
def test_aiohttp_failures_map_onto_the_same_kinds() -> None:
    import aiohttp
    from aiohttp.client_reqrep import ConnectionKey

    from shared_client._aiohttp_envelopes import fault_from_aiohttp

    key = ConnectionKey("h", 1, False, True, None, None, None)
    cases = [
        (aiohttp.ConnectionTimeoutError("slow"), "connect_timeout", False),
        (aiohttp.ClientConnectorError(key, OSError(111, "refused")), "connect", False),
        (aiohttp.ServerTimeoutError("slow read"), "read_timeout", True),
        (aiohttp.ServerDisconnectedError(), "protocol", True),
        (aiohttp.ClientPayloadError("cut"), "protocol", True),
        (TimeoutError(), "read_timeout", True),
    ]
    for exc, kind, sent in cases:
        fault = fault_from_aiohttp(exc)
        assert (fault.kind, fault.request_sent) == (kind, sent), exc
        assert fault.message
    assert fault_from_aiohttp(TimeoutError()).message == "read timeout"
