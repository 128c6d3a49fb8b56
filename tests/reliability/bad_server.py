"""A loopback "API" that answers each documented kind of malformed response.

Each behaviour lives under its own path prefix, so a client pointed at
``<base>/<prefix>`` sees exactly that misbehaviour: HTML instead of JSON, a truncated
body, an envelope without ``data``, an unknown status, a completion without outputs,
an output that 404s or is cut mid-transfer, and (``/ok``) a well-behaved completion.
"""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.support.media import fake_mp4
from tests.support.net import envelope, send

from .loopback import LoopbackServer

VIDEO = fake_mp4(64)
PREFIXES = ("html", "trunc", "nodata", "unknown", "empty", "o404", "ocut", "ok")


def _prediction(prefix: str, base: str, status: str, outputs: list[str]) -> dict[str, Any]:
    pid = f"pred-{prefix}-0001"
    return {
        "id": pid,
        "model": "bytedance/seedance-2.0-mini/image-to-video",
        "status": status,
        "outputs": outputs,
        "urls": {"get": f"{base}/{prefix}/api/v3/predictions/{pid}/result"},
        "error": "",
    }


class BadApi:
    """Start with ``with BadApi() as api:``; ``api.url("html")`` is a base URL to use."""

    def __init__(self) -> None:
        self.server = LoopbackServer({"/": self._route})

    def __enter__(self) -> BadApi:
        self.server.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.__exit__(*exc)

    def url(self, prefix: str) -> str:
        return f"{self.server.base_url}/{prefix}"

    def submits(self, prefix: str) -> int:
        """POSTs that reached ``prefix``'s model endpoint (paid submits, on a real API)."""
        return sum(1 for hit in self.server.hits if hit.startswith(f"/{prefix}/api/v3/bytedance/"))

    def _route(self, h: BaseHTTPRequestHandler) -> None:
        base = self.server.base_url
        prefix, _, rest = h.path.lstrip("/").partition("/")
        rest = "/" + rest
        if rest.startswith("/files/"):
            return self._file(h, rest)
        if prefix == "html":
            body = b"<html><body><h1>Sign in to the corporate proxy</h1></body></html>"
            return send(h, 200, body, {"Content-Type": "text/html"})
        if prefix == "nodata":
            return send(h, 200, b'{"code":200,"message":"success"}')
        if rest.startswith("/api/v3/media/uploads"):
            ticket = {
                "download_url": f"{base}/{prefix}/files/image.png",
                "upload": {"url": f"{base}/{prefix}/files/put", "headers": {}},
            }
            return send(h, 200, envelope(ticket))
        if "/result" not in rest:  # the submit
            return send(h, 200, envelope(_prediction(prefix, base, "created", [])))
        outputs = {
            "empty": [],
            "o404": [f"{base}/{prefix}/files/gone.mp4"],
            "ocut": [f"{base}/{prefix}/files/cut.mp4"],
            "ok": [f"{base}/{prefix}/files/video.mp4"],
        }
        if prefix == "trunc":
            body = envelope(_prediction(prefix, base, "completed", []))
            return send(h, 200, body[: len(body) // 2])
        if prefix == "unknown":
            return send(h, 200, envelope(_prediction(prefix, base, "exploding", [])))
        return send(h, 200, envelope(_prediction(prefix, base, "completed", outputs[prefix])))

    @staticmethod
    def _file(h: BaseHTTPRequestHandler, rest: str) -> None:
        if h.command == "PUT":
            return send(h, 200)
        if rest.endswith("/gone.mp4"):
            return send(h, 404, b"<html>404 Not Found</html>", {"Content-Type": "text/html"})
        if rest.endswith("/cut.mp4"):
            h.send_response(200)
            h.send_header("Content-Length", str(len(VIDEO)))
            h.end_headers()
            h.wfile.write(VIDEO[:1000])
            h.wfile.flush()
            h.close_connection = True
            return None
        return send(h, 200, VIDEO, {"Content-Type": "video/mp4"})
