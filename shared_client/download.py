"""Streaming downloads of generated videos: constant memory, atomic, resumable.

A download writes into a hidden temporary file next to its destination and renames it
into place only once every byte announced by the server has arrived, so a reader never
sees half a video and a failed transfer never replaces a good file. When a transfer is
cut, the retry asks for the rest with ``Range`` and appends if the server honours it
(``206``), or starts over if it does not (``200``). The drivers only move chunks; what
the status and headers mean is decided here.
"""

from __future__ import annotations

import os
import queue
import re
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any
from urllib.parse import unquote, urlsplit

import httpx
from tenacity import Retrying

from ._base import _NO_AUTH
from ._httpx_faults import HTTPCORE_READ_ERRORS, fault_from_httpcore, fault_from_httpx
from .errors import DownloadError, SeedanceError, ServiceUnreachableError
from .protocol import RequestSpec, interpret_response, transport_failure
from .retry import RetryPolicy
from .values import Prediction

__all__ = [
    "DownloadTarget",
    "PartialFile",
    "fetch",
    "plan_download",
    "plan_downloads",
    "safe_filename",
]

_SAFE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
_VIDEO_SUFFIXES = {".mp4", ".mov", ".webm", ".mkv", ".gif", ".png", ".jpg", ".jpeg", ".webp"}
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")
#: Hand written data to the kernel's writeback every this many bytes (see PartialFile.write).
_WRITEBACK_WINDOW = 32 * 1024 * 1024
#: Bodies with at least this much left are read straight from the connection (_direct_stream).
_DIRECT_MIN = 4 * 1024 * 1024
#: The size of each read from the connection on that path.
_DIRECT_READ = 1024 * 1024


@dataclass(frozen=True)
class DownloadTarget:
    """Where one output comes from and where it lands."""

    url: str
    path: Path
    prediction_id: str | None = None


def safe_filename(name: str, default: str = "output.mp4") -> str:
    """A file name that cannot leave its folder: no separators, no leading dots, bounded."""
    base = PurePosixPath(unquote(name).replace("\\", "/")).name
    cleaned = _SAFE_CHARS.sub("_", base).lstrip("._")[:120]
    return cleaned or default


def check_url(url: str, prediction_id: str | None = None) -> None:
    """Outputs are fetched over http(s) only: no ``file://``, no other scheme."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DownloadError(
            f"refusing to download {url!r}: only http(s) URLs are followed",
            url=url,
            prediction_id=prediction_id,
        )


def plan_download(
    source: str | Prediction, dest: str | os.PathLike[str], index: int = 0
) -> DownloadTarget:
    """Resolve a URL or a prediction's ``index``-th output, and a folder or file path.

    ``dest`` is a folder when it exists as one or ends with a separator; the file is then
    named after the prediction id (``<id>.mp4``, ``<id>-1.mp4``...) or the URL's last
    path segment, sanitised. Otherwise ``dest`` is the file path itself.
    """
    prediction_id: str | None = None
    if isinstance(source, Prediction):
        prediction_id = source.id
        if not source.outputs:
            raise DownloadError(
                f"prediction {source.id} has no outputs to download (status {source.status.value})",
                url="",
                prediction_id=source.id,
            )
        if not 0 <= index < len(source.outputs):
            raise DownloadError(
                f"prediction {source.id} has {len(source.outputs)} output(s); "
                f"index {index} is out of range",
                url="",
                prediction_id=source.id,
            )
        url = source.outputs[index]
    else:
        url = source
    check_url(url, prediction_id)
    dest_text = os.fspath(dest)
    dest_path = Path(dest_text)
    if dest_path.is_dir() or dest_text.endswith((os.sep, "/")):
        suffix = PurePosixPath(urlsplit(url).path).suffix.lower()
        suffix = suffix if suffix in _VIDEO_SUFFIXES else ".mp4"
        if prediction_id is not None:
            stem = safe_filename(prediction_id, "prediction")
            name = f"{stem}{suffix}" if index == 0 else f"{stem}-{index}{suffix}"
        else:
            name = safe_filename(urlsplit(url).path)
        dest_path = dest_path / name
    return DownloadTarget(url=url, path=dest_path, prediction_id=prediction_id)


def plan_downloads(prediction: Prediction, folder: str | os.PathLike[str]) -> list[DownloadTarget]:
    """One target per output of ``prediction``, all inside ``folder``."""
    folder_text = os.fspath(folder).rstrip("/" + os.sep) + os.sep
    return [plan_download(prediction, folder_text, i) for i in range(len(prediction.outputs))]


class PartialFile:
    """The temporary file a download writes into, and the bookkeeping for resuming it."""

    def __init__(self, target: DownloadTarget) -> None:
        self.target = target
        self.received = 0
        self.expected: int | None = None
        folder = target.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
            handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in commit/abort
                dir=folder, prefix=f".{target.path.name}.", suffix=".part", delete=False
            )
        except OSError as exc:
            raise DownloadError(
                f"cannot write the download into {folder}: {exc.strerror or exc}; "
                "choose a writable output folder",
                url=target.url,
                prediction_id=target.prediction_id,
            ) from exc
        self._handle: IO[bytes] = handle
        self.temp_path = Path(handle.name)
        self._written_back = 0
        self._writeback: _Writeback | None = None

    def __enter__(self) -> PartialFile:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object
    ) -> None:
        """Commit when the block succeeded; otherwise drop the temp file and explain why."""
        if exc is None:
            self.commit()
            return
        self.abort()
        if isinstance(exc, SeedanceError) and not isinstance(exc, DownloadError):
            raise self.failure(exc) from exc

    def request_headers(self) -> dict[str, str]:
        """Headers for the next attempt: ask for the remainder once something has arrived."""
        headers = {"Accept-Encoding": "identity"}
        if self.received:
            headers["Range"] = f"bytes={self.received}-"
        return headers

    def begin(self, status_code: int, headers: Mapping[str, str], error_body: bytes = b"") -> None:
        """Digest a response's status line and headers before its body is streamed."""
        if status_code >= 400:
            interpret_response(status_code, headers, error_body, purpose="download")
        if status_code == 206 and self.received:
            match = _CONTENT_RANGE.fullmatch(headers.get("content-range", "").strip())
            if match is None or int(match.group(1)) != self.received:
                self._restart()
            elif match.group(3) != "*":
                self.expected = int(match.group(3))
            return
        self._restart()
        length = headers.get("content-length")
        self.expected = int(length) if length and length.isdigit() else None

    def write(self, chunk: bytes) -> None:
        """Append a chunk; every 32 MiB, have the finished window written out in the background.

        Why: ``commit`` fsyncs, and with nothing written back yet that fsync waits for the
        whole file (0.5-0.9 s per GiB on the benchmark machines: a quarter of the
        transfer). A helper thread asks the kernel to write each finished window out
        (``POSIX_FADV_DONTNEED`` starts writeback, then drops the clean pages) while this
        thread keeps receiving, so on a machine with a spare core the disk work overlaps
        the network and the final fsync finds little left; a 1 GiB video also no longer
        fills the page cache.
        """
        self._handle.write(chunk)
        self.received += len(chunk)
        if self.received - self._written_back >= _WRITEBACK_WINDOW and _CAN_ADVISE:
            self._handle.flush()
            if self._writeback is None:
                self._writeback = _Writeback(self._handle.fileno())
            self._writeback.submit(self._written_back, self.received - self._written_back)
            self._written_back = self.received

    def _stop_writeback(self) -> None:
        if self._writeback is not None:
            self._writeback.close()
            self._writeback = None

    def end_of_body(self) -> None:
        """Called when a response body ended: a short body is a retryable transport fault."""
        if self.expected is not None and self.received < self.expected:
            raise ServiceUnreachableError(
                f"download of {self.target.url} cut after {self.received} of {self.expected} bytes",
                request_sent=True,
            )
        if self.expected is not None and self.received > self.expected:
            raise DownloadError(
                f"download of {self.target.url} got {self.received} bytes, more than the "
                f"announced {self.expected}",
                url=self.target.url,
                received=self.received,
                expected=self.expected,
                prediction_id=self.target.prediction_id,
            )

    def commit(self) -> Path:
        """Flush, fsync and rename into place; the destination appears complete or not at all."""
        self._handle.flush()
        self._stop_writeback()
        os.fsync(self._handle.fileno())
        self._handle.close()
        os.replace(self.temp_path, self.target.path)
        return self.target.path

    def abort(self) -> None:
        """Drop the temporary file; an existing destination file is left untouched."""
        self._stop_writeback()
        self._handle.close()
        self.temp_path.unlink(missing_ok=True)

    def failure(self, exc: Exception) -> DownloadError:
        """The error to surface once retries are exhausted."""
        if isinstance(exc, DownloadError):
            return exc
        return DownloadError(
            f"download of {self.target.url} failed after {self.received} bytes: {exc}",
            url=self.target.url,
            received=self.received,
            expected=self.expected,
            prediction_id=self.target.prediction_id,
        )

    def _restart(self) -> None:
        self._stop_writeback()
        self._handle.seek(0)
        self._handle.truncate()
        self.received = 0
        self._written_back = 0
        self.expected = None


_CAN_ADVISE = hasattr(os, "posix_fadvise")


class _Writeback:
    """One helper thread per large download: starts writeback of finished windows.

    Advisory only: an error here (a file system without fadvise) just leaves the work to
    the final fsync, which still guarantees durability.
    """

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._windows: queue.SimpleQueue[tuple[int, int] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="seedance-writeback", daemon=True)
        self._thread.start()

    def submit(self, offset: int, length: int) -> None:
        self._windows.put((offset, length))

    def close(self) -> None:
        self._windows.put(None)
        self._thread.join()

    def _run(self) -> None:
        while (window := self._windows.get()) is not None:
            try:
                os.posix_fadvise(self._fd, window[0], window[1], os.POSIX_FADV_DONTNEED)
            except OSError:
                return


class DownloadCancelled(Exception):
    """The caller gave up (an async task was cancelled); the partial file is removed."""


def fetch(
    http: httpx.Client,
    target: DownloadTarget,
    retry: RetryPolicy,
    cancelled: threading.Event | None = None,
) -> Path:
    """Stream ``target`` to disk with retries and resume: the one download loop.

    The sync client calls it directly; the async client runs it in a worker thread, so a
    large file neither competes with the event loop (ComfyUI's server, the triggerer) for
    chunk handling nor blocks it on disk writes, and ``cancelled`` stops it between chunks.
    """
    spec = RequestSpec("GET", target.url, authenticated=False, purpose="download")
    with PartialFile(target) as part:
        for attempt in Retrying(**retry.tenacity_kwargs("read")):
            with attempt:
                _stream_once(http, part, spec, cancelled)
    return target.path


def _stream_once(
    http: httpx.Client, part: PartialFile, spec: RequestSpec, cancelled: threading.Event | None
) -> None:
    try:
        with http.stream(
            "GET", spec.url, headers=part.request_headers(), auth=_NO_AUTH
        ) as response:
            error_body = response.read()[:4096] if response.status_code >= 400 else b""
            part.begin(response.status_code, response.headers, error_body)
            chunks = response.iter_raw()
            first = next(chunks, b"")
            _receive(part, first, spec, cancelled)
            direct = _direct_stream(response, len(first))
            if direct is None:
                for chunk in chunks:
                    _receive(part, chunk, spec, cancelled)
            else:  # the connection is closed with the response, never reused
                left = int(response.headers["content-length"]) - len(first)
                while left > 0 and (
                    data := direct.read(min(_DIRECT_READ, left), http.timeout.read)
                ):
                    _receive(part, data, spec, cancelled)
                    left -= len(data)
    except httpx.RequestError as exc:
        raise transport_failure(fault_from_httpx(exc), spec) from exc
    except HTTPCORE_READ_ERRORS as exc:
        raise transport_failure(fault_from_httpcore(exc), spec) from exc
    part.end_of_body()


def _receive(
    part: PartialFile, chunk: bytes, spec: RequestSpec, cancelled: threading.Event | None
) -> None:
    if cancelled is not None and cancelled.is_set():
        raise DownloadCancelled(f"download of {spec.url} cancelled")
    part.write(chunk)


def _direct_stream(response: httpx.Response, body_received: int) -> Any | None:
    """The connection to read the rest of a large body from directly, or ``None``.

    Why: through httpx, every 64 KiB of body passes h11's parser and buffers, three
    copies and ~60 us of Python per chunk, which made the whole h11 path 2.7x slower
    than reading the socket (1 GiB on loopback: 1.32 s vs 0.49 s, benchmark 4's notes).
    Once the first chunk has come through httpx (which empties h11's buffer: a
    ``Content-Length`` body is handed over in full as far as received), the rest of a
    plain HTTP/1.1 body is just ``Content-Length`` bytes on the connection, read here
    1 MiB at a time from httpcore's public ``network_stream`` extension (TLS included).
    h11 then never sees the body end, so httpcore closes the connection with the
    response instead of reusing it: one new connection per large download. Anything
    else (chunked, compressed, HTTP/2, small, unknown length) stays on the httpx loop.
    """
    headers = response.headers
    length = headers.get("content-length", "")
    if (
        not length.isdigit()
        or int(length) - body_received < _DIRECT_MIN
        or "transfer-encoding" in headers
        or headers.get("content-encoding", "identity").lower() != "identity"
        or response.extensions.get("http_version", b"") != b"HTTP/1.1"
    ):
        return None
    stream = response.extensions.get("network_stream")
    return stream if callable(getattr(stream, "read", None)) else None
