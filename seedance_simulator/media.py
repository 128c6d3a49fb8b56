"""Media endpoints: both upload flows, uploaded-media downloads, and video outputs.

Why: the client uploads local images before submitting (ticket + presigned PUT, or the
older multipart `upload/binary`) and streams outputs with `Range` resumption; both must
behave like the real storage, including expiry after the retention period.
"""

from __future__ import annotations

import logging
import mimetypes
import secrets
import time
import uuid
from typing import Any
from urllib.parse import quote

from aiohttp import web

from . import envelopes
from .context import CTX, SimContext
from .state import Upload

logger = logging.getLogger(__name__)


def _download_url(ctx: SimContext, upload: Upload) -> str:
    return f"{ctx.base_url}/media/{upload.id}/{quote(upload.filename)}"


def _new_upload(ctx: SimContext, filename: str, content_type: str) -> Upload:
    upload = Upload(
        id=uuid.uuid4().hex,
        filename=filename.replace("/", "_") or "upload",
        content_type=content_type,
        token=secrets.token_urlsafe(24),
    )
    ctx.state.uploads[upload.id] = upload
    ctx.state.uploads_by_token[upload.token] = upload
    return upload


async def create_ticket(request: web.Request) -> web.Response:
    """POST /api/v3/media/uploads {filename, size, content_type} -> presigned PUT."""
    ctx = request.app[CTX]
    try:
        body: Any = await request.json()
    except ValueError:
        return envelopes.error(400, "request body must be JSON", 1401)
    if not isinstance(body, dict) or not body.get("filename"):
        return envelopes.error(400, "missing required parameter: filename", 1400)
    size = body.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        return envelopes.error(400, "invalid parameter size: non-negative integer", 1401)
    if size > ctx.config.max_upload_bytes:
        return envelopes.error(400, "invalid parameter size: file exceeds 200 MB", 1401)
    filename = str(body["filename"])
    content_type = str(
        body.get("content_type") or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    )
    upload = _new_upload(ctx, filename, content_type)
    return envelopes.ok(
        {
            "download_url": _download_url(ctx, upload),
            "upload": {
                "method": "PUT",
                "url": f"{ctx.base_url}/_storage/{upload.token}",
                "headers": {"Content-Type": content_type},
            },
            "expires_in": 3600,
        }
    )


async def presigned_put(request: web.Request) -> web.Response:
    """PUT /_storage/{token}: the presigned target; no Authorization, the token is the key."""
    ctx = request.app[CTX]
    upload = ctx.state.uploads_by_token.get(request.match_info["token"])
    if upload is None:
        return web.Response(status=403, text="AccessDenied: invalid or expired signature")
    # StreamReader.read(n) returns whatever is buffered (up to n), not the whole body:
    # read to EOF, refusing bodies over the limit as storage does.
    received = bytearray()
    async for chunk in request.content.iter_chunked(1 << 16):
        received += chunk
        if len(received) > ctx.config.max_upload_bytes:
            return web.Response(status=413, text="EntityTooLarge")
    data = bytes(received)
    upload.data = data
    upload.created_monotonic = time.monotonic()
    ctx.state.stats.incr("uploads")
    return web.Response(status=200, headers={"ETag": f'"{upload.id}"'})


async def upload_binary(request: web.Request) -> web.Response:
    """POST /api/v3/media/upload/binary, multipart field `file` (the older flow)."""
    ctx = request.app[CTX]
    if not request.content_type.startswith("multipart/"):
        return envelopes.error(400, "missing required parameter: file (multipart/form-data)", 1400)
    reader = await request.multipart()
    async for part in reader:
        if getattr(part, "name", None) != "file":
            continue
        filename = getattr(part, "filename", None) or "upload"
        data = await part.read(decode=False)  # type: ignore[union-attr]
        if len(data) > ctx.config.max_upload_bytes:
            return envelopes.error(400, "invalid parameter file: exceeds 200 MB", 1401)
        content_type = (
            part.headers.get("Content-Type")
            or mimetypes.guess_type(filename)[0]
            or "application/octet-stream"
        )
        upload = _new_upload(ctx, filename, content_type)
        upload.data = bytes(data)
        ctx.state.stats.incr("uploads")
        return envelopes.ok(
            {
                "type": content_type.split("/")[0],
                "download_url": _download_url(ctx, upload),
                "filename": upload.filename,
                "size": len(upload.data),
            }
        )
    return envelopes.error(400, "missing required parameter: file", 1400)


def _expired(ctx: SimContext, since: float | None) -> bool:
    return since is not None and time.monotonic() - since > ctx.config.retention


async def get_media(request: web.Request) -> web.StreamResponse:
    """GET /media/{id}/{filename}: an uploaded file (what the API fetches as `image`)."""
    ctx = request.app[CTX]
    upload = ctx.state.uploads.get(request.match_info["upload_id"])
    if upload is None or upload.data is None:
        return web.Response(status=404, text="Not Found")
    if _expired(ctx, upload.created_monotonic):
        return web.Response(status=410, text="Gone: media expired")
    return web.Response(body=upload.data, content_type=upload.content_type)


async def get_output(request: web.Request) -> web.StreamResponse:
    """GET /outputs/{id}.mp4: the rendered video, with Range, until retention ends."""
    ctx = request.app[CTX]
    task = ctx.state.tasks.get(request.match_info["task_id"])
    if task is None or task.status != "completed":
        return web.Response(status=404, text="Not Found")
    if task.output_file is None or _expired(ctx, task.completed_monotonic):
        return web.Response(status=410, text="Gone: output expired after retention period")
    ctx.state.stats.incr("downloads")
    return web.FileResponse(
        task.output_file,
        headers={
            "Content-Type": "video/mp4",
            "Accept-Ranges": "bytes",
            "Content-Disposition": f'inline; filename="{task.id}.mp4"',
        },
    )
