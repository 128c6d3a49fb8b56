"""Where media comes from and where videos go: URLs, local paths, ``ObjectStoragePath``, XCom.

The client handles URLs, local files and bytes. Airflow users also keep media in object
storage (``s3://``, ``gs://``, ...), which Airflow abstracts as ``ObjectStoragePath``:
media there is read through its ``open()`` and handed over as bytes; videos are first
downloaded locally (atomic, streamed, by the client) and then streamed into the store.
A media field may also receive an upstream Seedance task's result (its XCom), so an
extend or an edit can follow a generation without the DAG author digging out a path.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from airflow.providers.common.compat.sdk import ObjectStoragePath

from shared_client import InvalidRequestError, Prediction, SeedanceClient

log = logging.getLogger(__name__)

_DIRECT_SCHEMES = ("http", "https", "data")
_COPY_CHUNK = 1024 * 1024


def _scheme(value: str) -> str:
    if value.startswith("data:"):
        return "data"
    return urlsplit(value).scheme.lower() if "://" in value else ""


def _file_uri_to_path(uri: str) -> Path:
    return Path(unquote(urlsplit(uri).path))


def resolve_image(value: Any) -> Any:
    """Turn an operator ``image`` value into something the client accepts.

    http(s) and ``data:`` URLs pass through (no upload); a local path or ``file://`` URI
    becomes a ``Path``; any other ``ObjectStoragePath`` (or URI with a scheme) is read
    into bytes through ``ObjectStoragePath.open()``; ``None`` stays ``None``.
    """
    if value is None or isinstance(value, bytes):
        return value
    if isinstance(value, ObjectStoragePath):
        if value.protocol in ("file", "local", ""):
            return Path(value.path)
        with value.open("rb") as handle:
            return handle.read()
    if isinstance(value, os.PathLike):
        return Path(value)
    text = str(value).strip()
    scheme = _scheme(text)
    if scheme in _DIRECT_SCHEMES:
        return text
    if scheme == "file":
        return _file_uri_to_path(text)
    if scheme:
        with ObjectStoragePath(text).open("rb") as handle:
            return handle.read()
    return Path(text)


#: What a media field accepts, for the message that refuses anything else.
MEDIA_ALLOWED = (
    "an http(s) URL, a local path, an ObjectStoragePath or its URI, or an upstream Seedance "
    "task's result (a dict with video_paths / video_urls)"
)


def resolve_media(value: Any, field: str) -> Any:
    """Turn any media field value into something the client accepts.

    Beyond :func:`resolve_image`'s forms it takes an upstream Seedance task's result dict
    (the operator's and the sensor's XCom): its first video that exists as a local file
    (same machine: no download from WaveSpeed, and the copy the DAG kept), else its first
    output URL (the API fetches it: nothing to upload), else its first object-storage
    path. A one-item list (an XCom pulled as a list) stands for its item.
    """
    if isinstance(value, Mapping):
        return resolve_image(_pick_from_result(value, field))
    if isinstance(value, list | tuple) or _is_lazy_sequence(value):
        items = list(value)
        if len(items) != 1:
            raise InvalidRequestError(
                field, value, MEDIA_ALLOWED, reason=f"{len(items)} values for one media field:"
            )
        return resolve_media(items[0], field)
    return resolve_image(value)


def resolve_media_list(value: Any, field: str) -> Any:
    """A reference list: each item as :func:`resolve_media` resolves it.

    ``None`` is an empty list and one upstream result stands for a list of one; anything
    else that is not a list is passed on for the request to refuse, naming the field.
    """
    if value is None:
        return ()
    if isinstance(value, Mapping):
        return (resolve_media(value, f"{field}[0]"),)
    if isinstance(value, str | bytes | bytearray) or not hasattr(value, "__iter__"):
        return value
    return tuple(resolve_media(item, f"{field}[{i}]") for i, item in enumerate(value))


def _is_lazy_sequence(value: Any) -> bool:
    """Airflow's lazy XCom sequences (a mapped upstream's results) are not lists."""
    return type(value).__name__ in ("LazyXComSequence", "LazyXComSelectSequence")


def _pick_from_result(result: Mapping[str, Any], field: str) -> Any:
    paths = [str(p) for p in result.get("video_paths") or []]
    for path in paths:
        scheme = _scheme(path)
        local = _file_uri_to_path(path) if scheme == "file" else Path(path)
        if scheme in ("", "file") and local.is_file():
            return local
    urls = [str(u) for u in (result.get("video_urls") or result.get("outputs") or [])]
    if urls:
        return urls[0]
    if paths:
        return paths[0]
    keys = ", ".join(sorted(str(k) for k in result)) or "none"
    raise InvalidRequestError(
        field, f"a dict with keys {keys}", MEDIA_ALLOWED, reason="a result without any video:"
    )


def _is_local(destination: Any) -> bool:
    if isinstance(destination, ObjectStoragePath):
        return destination.protocol in ("file", "local", "")
    return _scheme(str(destination)) in ("", "file")


def _local_folder(destination: Any) -> Path:
    if isinstance(destination, ObjectStoragePath):
        return Path(destination.path)
    text = str(destination)
    return _file_uri_to_path(text) if _scheme(text) == "file" else Path(text)


_DESTINATION_ALLOWED = (
    "a writable local folder, a file:// URI, or an ObjectStoragePath URI (s3://, gs://, ...)"
)


def prepare_destination(destination: Any) -> None:
    """Create the output folder and prove it writable *before* the generation is paid for.

    A typo'd or read-only ``output_path`` would otherwise surface only after minutes of
    billed generation; here it fails the try at once, naming the field.
    """
    try:
        if _is_local(destination):
            folder = _local_folder(destination)
            folder.mkdir(parents=True, exist_ok=True)
            if not os.access(folder, os.W_OK | os.X_OK):
                raise PermissionError(f"no write permission on {folder}")
            return
        target = (
            destination
            if isinstance(destination, ObjectStoragePath)
            else ObjectStoragePath(str(destination))
        )
        target.mkdir(parents=True, exist_ok=True)
    except InvalidRequestError:
        raise
    except Exception as exc:  # OSError, fsspec/credential errors, bad URIs
        raise InvalidRequestError(
            "output_path", str(destination), _DESTINATION_ALLOWED, reason=f"unusable ({exc}):"
        ) from exc


def write_videos(client: SeedanceClient, prediction: Prediction, destination: Any) -> list[str]:
    """Download every output of ``prediction`` into ``destination``; return where each landed.

    ``destination`` is a folder: a local path, a ``file://`` URI, any other
    ``ObjectStoragePath`` URI, or an ``ObjectStoragePath``. Local folders get the client's
    atomic download; remote ones get a local temporary copy streamed to the store, so a
    failed copy never leaves a half video under the final name.
    """
    if _is_local(destination):
        folder = _local_folder(destination)
        folder.mkdir(parents=True, exist_ok=True)
        return [str(p.resolve()) for p in client.download_all(prediction, folder)]

    target = (
        destination
        if isinstance(destination, ObjectStoragePath)
        else ObjectStoragePath(str(destination))
    )
    target.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    with tempfile.TemporaryDirectory(prefix="seedance-") as tmp:
        for local in client.download_all(prediction, Path(tmp)):
            final = target / local.name
            partial = target / f".{local.name}.partial"
            with local.open("rb") as src, partial.open("wb") as dst:
                shutil.copyfileobj(src, dst, _COPY_CHUNK)
            partial.rename(final)
            log.info("Wrote %s", final)
            written.append(str(final))
    return written
