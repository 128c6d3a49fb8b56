"""Where the node finds its API key, service URL and working folders.

The key is deliberately *not* a widget: widget values are saved into workflow files,
into the prompt history and into the metadata of every PNG/MP4 that ComfyUI writes,
which is how keys of third-party API nodes leak. It is read, at run time only, from

1. the environment variable ``WAVESPEED_API_KEY``, else
2. ``<ComfyUI user directory>/wavespeed.json`` holding ``{"api_key": "..."}``.

The same file may hold ``"max_cost_usd"``: the session cap (see ``budget.py``), read at
every run so an edit takes effect on the next queue without a restart.

The file sits at the *root* of the user directory on purpose: ComfyUI serves
``user/<user-id>/...`` (e.g. ``user/default/``) to any browser through its ``/userdata``
API, while the root is not served.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

# The client's defaults: 5 s is the poll interval WaveSpeed asks for on video tasks, and
# 30 minutes covers a generation queued behind the account's concurrency limit while a
# person waits at the node. SEEDANCE_POLL_INTERVAL / SEEDANCE_TIMEOUT override them.
from shared_client import DEFAULT_POLL_INTERVAL, DEFAULT_SETTLE_WINDOW, DEFAULT_TIMEOUT

logger = logging.getLogger(__name__)

API_KEY_ENV = "WAVESPEED_API_KEY"
BASE_URL_ENV = "WAVESPEED_BASE_URL"
CACHE_DIR_ENV = "SEEDANCE_COMFY_CACHE_DIR"
POLL_INTERVAL_ENV = "SEEDANCE_POLL_INTERVAL"
TIMEOUT_ENV = "SEEDANCE_TIMEOUT"
SETTLE_WINDOW_ENV = "SEEDANCE_SETTLE_WINDOW"
MAX_ATTEMPTS_ENV = "SEEDANCE_MAX_ATTEMPTS"
CONFIG_FILE_NAME = "wavespeed.json"


class MissingApiKeyError(RuntimeError):
    """No key was configured; raised before any request (nothing is paid)."""


@dataclass(frozen=True)
class NodeSettings:
    """Everything the node needs from its host, resolved once per execution."""

    api_key: str = field(repr=False)
    base_url: str | None
    cache_dir: Path
    poll_interval: float = DEFAULT_POLL_INTERVAL
    timeout: float = DEFAULT_TIMEOUT
    #: How long an unconfirmed submit is searched for in the history (see ``pay_once``).
    settle_window: float = DEFAULT_SETTLE_WINDOW
    #: After an empty window, submit again instead of failing (the user accepts the risk).
    resubmit_after_settle: bool = False
    #: What this ComfyUI session may submit in all, in USD (None: no cap).
    max_cost_usd: float | None = None
    #: The wavespeed.json the settings were read from (named in the cap's message).
    config_path: Path | None = None
    #: Tries per request, the first included (None: the client's ``RetryPolicy`` default).
    #: The same knob as the Airflow connection's ``max_attempts`` extra.
    max_attempts: int | None = None

    def __repr__(self) -> str:  # the key never shows up, even in a debugger or a log line
        return (
            f"NodeSettings(api_key='***', base_url={self.base_url!r}, cache_dir={self.cache_dir!r},"
            f" poll_interval={self.poll_interval}, timeout={self.timeout},"
            f" settle_window={self.settle_window},"
            f" resubmit_after_settle={self.resubmit_after_settle},"
            f" max_cost_usd={self.max_cost_usd}, max_attempts={self.max_attempts})"
        )


def comfy_user_directory() -> Path | None:
    """ComfyUI's user directory when running inside ComfyUI, else ``None``."""
    try:
        import folder_paths  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return None
    try:
        return Path(folder_paths.get_user_directory())
    except Exception:  # an odd ComfyUI build: fall back to the environment only
        logger.debug("folder_paths.get_user_directory() failed", exc_info=True)
        return None


def comfy_output_directory() -> Path | None:
    """ComfyUI's output directory when running inside ComfyUI, else ``None``."""
    try:
        import folder_paths  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return None
    try:
        return Path(folder_paths.get_output_directory())
    except Exception:
        logger.debug("folder_paths.get_output_directory() failed", exc_info=True)
        return None


def config_file_path(user_dir: Path | None = None) -> Path | None:
    """Path of the key file for ``user_dir`` (ComfyUI's user directory by default)."""
    directory = user_dir if user_dir is not None else comfy_user_directory()
    return directory / CONFIG_FILE_NAME if directory is not None else None


def _read_config(path: Path | None) -> dict[str, object]:
    if path is None or not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        # The message names the file, never its content (it holds the key).
        raise MissingApiKeyError(
            f'{path} is not valid JSON ({type(exc).__name__}); expected {{"api_key": "..."}}'
        ) from None
    return data if isinstance(data, dict) else {}


def resolve_api_key(user_dir: Path | None = None) -> str:
    """The WaveSpeed key from the environment or the user-folder file; raises if neither."""
    key = os.environ.get(API_KEY_ENV, "").strip()
    if key:
        return key
    path = config_file_path(user_dir)
    value = _read_config(path).get("api_key")
    if isinstance(value, str) and value.strip():
        return value.strip()
    where = f' or write {{"api_key": "..."}} to {path}' if path else ""
    raise MissingApiKeyError(
        f"api_key: no WaveSpeed API key configured. Set the environment variable {API_KEY_ENV}"
        f"{where}, then restart ComfyUI. (The key is never a node input, so it never lands in"
        " saved workflows or video metadata.)"
    )


def _float_env(name: str, default: float, minimum: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return max(minimum, float(raw))
    except ValueError:
        logger.warning("%s=%r is not a number; using %s", name, raw, default)
        return default


def _attempts_env() -> int | None:
    raw = os.environ.get(MAX_ATTEMPTS_ENV, "").strip()
    if not raw:
        return None
    try:
        return max(1, int(raw))
    except ValueError:
        logger.warning(
            "%s=%r is not a whole number; using the client's default", MAX_ATTEMPTS_ENV, raw
        )
        return None


def default_cache_dir() -> Path:
    """Folder for downloaded videos and the result index.

    ComfyUI's *output* folder (``output/seedance``) rather than its temp folder: ComfyUI
    empties the temp folder at every start, and the point of the index is to survive
    restarts so identical inputs + seed never pay twice.
    """
    override = os.environ.get(CACHE_DIR_ENV, "").strip()
    if override:
        return Path(override)
    output = comfy_output_directory()
    if output is not None:
        return output / "seedance"
    return Path(tempfile.gettempdir()) / "seedance-comfy"


class InvalidSettingError(ValueError):
    """A value in wavespeed.json the node cannot use; raised before anything is paid."""


def _cap(value: object, path: Path | None) -> float | None:
    """``max_cost_usd``: a number of USD, at least 0; absent or null means no cap."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise InvalidSettingError(
            f"max_cost_usd: expected a number of USD (0 or more) or null in {path}, got "
            f"{value!r}. Nothing was submitted."
        )
    return float(value)


def load_settings(user_dir: Path | None = None) -> NodeSettings:
    """Resolve key, URL, folders, timings and the cap; raises :class:`MissingApiKeyError`
    first."""
    api_key = resolve_api_key(user_dir)
    path = config_file_path(user_dir)
    config = _read_config(path)
    base_url = os.environ.get(BASE_URL_ENV, "").strip() or config.get("base_url")
    return NodeSettings(
        api_key=api_key,
        base_url=base_url if isinstance(base_url, str) and base_url else None,
        cache_dir=default_cache_dir(),
        poll_interval=_float_env(POLL_INTERVAL_ENV, DEFAULT_POLL_INTERVAL, 0.05),
        timeout=_float_env(TIMEOUT_ENV, DEFAULT_TIMEOUT, 1.0),
        settle_window=_float_env(SETTLE_WINDOW_ENV, DEFAULT_SETTLE_WINDOW, 0.0),
        resubmit_after_settle=config.get("resubmit_after_settle") is True,
        max_cost_usd=_cap(config.get("max_cost_usd"), path),
        config_path=path,
        max_attempts=_attempts_env(),
    )
