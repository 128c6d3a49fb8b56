"""Fetching the media a request points at: data: URIs, our own uploads and outputs, and
loopback http URLs. Other hosts are refused: the simulator is offline by design.

Why separate: the task lifecycle, the render jobs and the pricing API all read media;
the pricing API only ever reads what is already here (`local_media`), never the network.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote_to_bytes, urlsplit

import aiohttp

from .context import SimContext

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
MAX_IMAGE_BYTES = 50 * 1024 * 1024
MAX_MEDIA_BYTES = MAX_IMAGE_BYTES
CODE_MEDIA_UNREACHABLE = 1402


class MediaUnavailable(Exception):
    """The media URL could not be fetched or is not the right kind (task fails with 1402)."""


def decode_data_uri(uri: str) -> bytes:
    header, _, payload = uri.partition(",")
    try:
        if header.endswith(";base64"):
            return base64.b64decode(payload, validate=True)
        return unquote_to_bytes(payload)
    except (binascii.Error, ValueError) as exc:
        raise MediaUnavailable(f"invalid data URI: {exc}") from exc


def local_media(ctx: SimContext, url: str) -> bytes | None:
    """The bytes behind a data: URI, one of our uploads or one of our outputs, if any.

    Raises `MediaUnavailable` for one of our own URLs that serves nothing (yet).
    """
    if url.startswith("data:"):
        return decode_data_uri(url)
    parts = urlsplit(url)
    if parts.netloc != urlsplit(ctx.base_url).netloc:
        return None
    segments = parts.path.split("/")
    if parts.path.startswith("/media/") and len(segments) > 2:
        upload = ctx.state.uploads.get(segments[2])
        if upload is None or upload.data is None:
            raise MediaUnavailable(f"uploaded media {segments[2]} not found")
        return upload.data
    if parts.path.startswith("/outputs/") and parts.path.endswith(".mp4"):
        task = ctx.state.tasks.get(segments[-1].removesuffix(".mp4"))
        if task is None or task.status != "completed" or task.output_file is None:
            raise MediaUnavailable(f"output {segments[-1]} not found or expired")
        try:
            return task.output_file.read_bytes()
        except OSError as exc:
            raise MediaUnavailable(f"output {segments[-1]} unreadable: {exc}") from exc
    return None


async def fetch_media(ctx: SimContext, url: str) -> bytes:
    """Bytes behind a media URL: a data: URI, our own upload or output, or a loopback URL."""
    data = local_media(ctx, url)
    if data is not None:
        return data
    parts = urlsplit(url)
    if (parts.hostname or "") not in LOOPBACK_HOSTS:
        raise MediaUnavailable(f"host {parts.hostname!r} is not reachable from the simulator")
    assert ctx.session is not None
    try:
        async with ctx.session.get(url, timeout=aiohttp.ClientTimeout(total=15)) as resp:
            if resp.status != 200:
                raise MediaUnavailable(f"HTTP {resp.status} fetching the media")
            # StreamReader.read(n) returns what is buffered, not the whole body: read to EOF.
            received = bytearray()
            async for chunk in resp.content.iter_chunked(1 << 16):
                received += chunk
                if len(received) > MAX_MEDIA_BYTES:
                    raise MediaUnavailable("media larger than 50 MB")
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise MediaUnavailable(f"{type(exc).__name__}: {exc}") from exc
    return bytes(received)
