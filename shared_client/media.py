"""Image and media inputs: what to upload, under which name and content type.

The API takes an image as a URL it can fetch. A URL or ``data:`` URI is passed through;
a local path, bytes or a binary file is uploaded first (WaveSpeed's media upload) and
replaced by the URL the upload returns. Files are streamed from disk, never loaded
whole; bytes and file objects are small images, kept as they are.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TypeAlias

__all__ = [
    "ImageSource",
    "UploadBlob",
    "UploadSource",
    "content_digest",
    "looks_like_image",
    "prepare_upload",
    "sniff",
]

#: What :meth:`SeedanceClient.upload` accepts.
UploadSource: TypeAlias = str | os.PathLike[str] | bytes | bytearray | BinaryIO
#: An image input: an http(s) URL, a ``data:image/...`` URI, a local path, bytes, or an
#: open binary file.
ImageSource: TypeAlias = UploadSource

CHUNK_SIZE = 256 * 1024
#: Magic numbers: (offset, bytes, content type, extension). The one table of them: the
#: request validation (:func:`looks_like_image`) and the upload's content type both read it.
_SIGNATURES: tuple[tuple[int, bytes, str, str], ...] = (
    (0, b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (0, b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (0, b"GIF87a", "image/gif", ".gif"),
    (0, b"GIF89a", "image/gif", ".gif"),
    (0, b"BM", "image/bmp", ".bmp"),
    (8, b"WEBP", "image/webp", ".webp"),
    (4, b"ftyp", "video/mp4", ".mp4"),
    (0, b"ID3", "audio/mpeg", ".mp3"),
    (0, b"RIFF", "audio/wav", ".wav"),
)


@dataclass(frozen=True)
class UploadBlob:
    """One thing to upload: either a file on disk (streamed) or bytes in memory."""

    filename: str
    size: int
    content_type: str
    path: Path | None = None
    data: bytes | None = None

    def chunks(self, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        """The content in chunks, read lazily from disk when it is a file."""
        if self.data is not None:
            yield self.data
            return
        assert self.path is not None
        with self.path.open("rb") as handle:
            while chunk := handle.read(chunk_size):
                yield chunk

    def read_all(self) -> bytes:
        """The whole content; used only for the small multipart fallback upload."""
        return self.data if self.data is not None else b"".join(self.chunks())


def content_digest(blob: UploadBlob) -> str:
    """SHA-256 of the content (streamed for files): the same file is uploaded once."""
    digest = hashlib.sha256()
    for chunk in blob.chunks():
        digest.update(chunk)
    return digest.hexdigest()


def sniff(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) from a file's leading bytes, when recognised."""
    for offset, signature, content_type, extension in _SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            if content_type == "audio/wav" and head[8:12] == b"WEBP":
                continue
            if content_type == "video/mp4" and head[8:12] == b"qt  ":
                return "video/quicktime", ".mov"
            return content_type, extension
    # An MP3 without an ID3 tag starts with an MPEG audio frame sync (layer III).
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE6 == 0xE2:
        return "audio/mpeg", ".mp3"
    return None


def looks_like_image(head: bytes) -> bool:
    """True when the leading bytes carry the signature of an image format the API takes."""
    return any(
        content_type.startswith("image/") and head[offset : offset + len(signature)] == signature
        for offset, signature, content_type, _ in _SIGNATURES
    )


def prepare_upload(source: UploadSource, *, name: str | None = None) -> UploadBlob:
    """Describe ``source`` for upload; raises ``FileNotFoundError``/``TypeError`` early."""
    if isinstance(source, bytes | bytearray):
        data = bytes(source)
        return _blob_from_bytes(data, name)
    if isinstance(source, str | os.PathLike):
        path = Path(os.fspath(source))
        if not path.is_file():
            raise FileNotFoundError(f"upload source is not an existing file: {path}")
        with path.open("rb") as handle:
            head = handle.read(16)
        content_type = _content_type(head, path.name)
        return UploadBlob(
            filename=name or path.name,
            size=path.stat().st_size,
            content_type=content_type,
            path=path,
        )
    if hasattr(source, "read"):
        data = source.read()
        if not isinstance(data, bytes | bytearray):
            raise TypeError("upload file objects must be opened in binary mode ('rb')")
        file_name = name or Path(str(getattr(source, "name", "") or "")).name or None
        return _blob_from_bytes(bytes(data), file_name)
    raise TypeError(
        f"cannot upload {type(source).__name__}: give a path, bytes or a binary file object"
    )


def _blob_from_bytes(data: bytes, name: str | None) -> UploadBlob:
    if not data:
        raise ValueError("upload source is empty (0 bytes)")
    sniffed = sniff(data[:16])
    if name:
        content_type = _content_type(data[:16], name)
    else:
        content_type = sniffed[0] if sniffed else "application/octet-stream"
        name = "upload" + (sniffed[1] if sniffed else ".bin")
    return UploadBlob(filename=name, size=len(data), content_type=content_type, data=data)


def _content_type(head: bytes, filename: str) -> str:
    sniffed = sniff(head)
    if sniffed:
        return sniffed[0]
    guessed, _ = mimetypes.guess_type(filename)
    return guessed or "application/octet-stream"
