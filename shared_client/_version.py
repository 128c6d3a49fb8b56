"""The package version, read once from the installed metadata, and what is built from it.

One source: ``pyproject.toml``'s version, as installed. Every place that names the
version (``shared_client.__version__``, the User-Agent of both transports) reads it here,
so a release bump cannot leave a stale copy behind.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Final

__all__ = ["USER_AGENT", "__version__"]

#: The distribution the client ships in (``[project] name`` in ``pyproject.toml``).
DISTRIBUTION: Final[str] = "seedance-workflows"

try:
    __version__: str = version(DISTRIBUTION)
except PackageNotFoundError:  # pragma: no cover - a source tree or bundle without metadata
    # Copied into a ComfyUI custom-node folder, the package has no installed metadata.
    # Say so rather than repeat a version number here that would silently go stale.
    __version__ = "0+unknown"

#: Sent by every request, on httpx and aiohttp alike.
USER_AGENT: Final[str] = f"{DISTRIBUTION}/{__version__}"
