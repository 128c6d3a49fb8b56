"""Once a prediction exists, every error about it must name it, so the user can reconcile.

The chaos runs check this under random faults; here each way a ``wait()`` can end in an
error is forced: reads failing past the retry budget (5xx, HTML, resets), a malformed
envelope, and an unknown status until the deadline. Both clients are checked.
"""

from __future__ import annotations

import asyncio
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from shared_client import AsyncSeedanceClient, SeedanceClient, SeedanceError
from tests.support.clients import QUICK_RETRY as QUICK
from tests.support.net import send

from .loopback import LoopbackServer

PID = "pred-named-0042"


def always(status: int, body: bytes) -> Any:
    def handle(handler: BaseHTTPRequestHandler) -> None:
        send(handler, status, body)

    return handle


def reset(handler: BaseHTTPRequestHandler) -> None:
    handler.wfile.write(b'HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n{"co')
    handler.close_connection = True


UNKNOWN = b'{"code":200,"data":{"id":"%s","status":"exploding"}}' % PID.encode()
CASES = {
    "json-500": always(500, b'{"code":500,"message":"internal"}'),
    "html-502": always(502, b"<html>Bad Gateway</html>"),
    "cut-body": reset,
    "no-data": always(200, b'{"code":200,"message":"success"}'),
    "unknown-status": always(200, UNKNOWN),
}  # fmt: skip


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("case", sorted(CASES))
async def test_a_failed_wait_names_the_prediction(case: str, kind: str) -> None:
    with LoopbackServer({"/api/v3/predictions/": CASES[case]}) as server:
        cls = SeedanceClient if kind == "sync" else AsyncSeedanceClient
        client = cls(api_key="k", base_url=server.base_url, retry=QUICK)
        try:
            with pytest.raises(SeedanceError) as info:
                if isinstance(client, AsyncSeedanceClient):
                    await client.wait(PID, timeout=1.0, poll_interval=0.05)
                else:
                    await asyncio.to_thread(client.wait, PID, timeout=1.0, poll_interval=0.05)
        finally:
            if isinstance(client, AsyncSeedanceClient):
                await client.aclose()
            else:
                client.close()
    error = info.value
    assert error.prediction_id == PID or PID in str(error), (
        f"{type(error).__name__} does not name {PID}: {error}"
    )
