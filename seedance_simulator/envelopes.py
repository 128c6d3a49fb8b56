"""Response bodies shaped like the API's: the `{code, message, data}` envelope and the
non-JSON pages a proxy in front of it returns during incidents.

Why separate: every handler and the fault middleware answer with these, and keeping them
in one place keeps the shapes consistent (the client parses exactly these).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

HTML_PAGES = {
    500: "500 Internal Server Error",
    502: "502 Bad Gateway",
    503: "503 Service Temporarily Unavailable",
}


def ok(data: Any) -> web.Response:
    return web.json_response({"code": 200, "message": "success", "data": data})


def error(http_status: int, message: str, code: int | None = None) -> web.Response:
    """An error envelope; `code` is the API's error code (1400, 1401...) or the HTTP status."""
    return web.json_response(
        {"code": code if code is not None else http_status, "message": message, "data": None},
        status=http_status,
    )


def html_error(http_status: int) -> web.Response:
    """The nginx-style page a gateway returns when the backend is down."""
    title = HTML_PAGES.get(http_status, f"{http_status} Error")
    body = (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    )
    return web.Response(status=http_status, text=body, content_type="text/html")
