"""What a run needs beyond its request, checked before anything is paid.

A generation is paid the moment its submit is accepted, so everything that could still
fail afterwards for a reason known in advance is checked first: the folder the video goes
to can be created and written, the optional packages the run needs are installed, and
every local input file can be read. Each face (CLI, Airflow, ComfyUI, stories) gets the
same checks by calling :func:`check_run`, or the client's ``generate()``, which calls it.
"""

from __future__ import annotations

import importlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from .errors import PreconditionError
from .request_common import RequestBase
from .validation import is_remote

__all__ = ["EXTRAS", "check_destination", "check_extras", "check_inputs", "check_run"]

#: Each optional extra: the modules it brings, and the command that installs it.
EXTRAS: dict[str, tuple[tuple[str, ...], str]] = {
    "stories": (("av", "numpy", "PIL"), "pip install 'seedance-workflows[stories]'"),
}


def check_destination(folder: str | os.PathLike[str], *, field: str = "dest") -> Path:
    """Create ``folder`` if needed and prove a file can be written in it; returns it.

    The probe writes and removes a temporary file, because permission bits do not tell
    the whole story (read-only mounts, ACLs, a full quota)."""
    path = Path(folder)
    if path.exists() and not path.is_dir():
        raise PreconditionError(field, f"{path} exists and is not a folder", "name a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".seedance-probe-"):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise PreconditionError(
            field, f"{path} cannot be written ({reason})", "name a folder this user can write"
        ) from None
    return path


def check_extras(names: Iterable[str]) -> None:
    """Import each module the named extras bring; refuse with the install command."""
    for name in names:
        modules, install = EXTRAS[name]
        for module in modules:
            try:
                importlib.import_module(module)
            except ImportError:
                raise PreconditionError(
                    "extra", f"the {name!r} extra is not installed ({module} is missing)", install
                ) from None


def check_inputs(request: RequestBase, *, label: str = "") -> None:
    """Every local media file of ``request`` exists and can be read (URLs are the
    server's to fetch; bytes are already in hand)."""
    for name, value in request.media_inputs().items():
        items = value if isinstance(value, tuple) else (value,)
        for position, item in enumerate(items):
            if not isinstance(item, str | os.PathLike) or is_remote(item):
                continue
            field = f"{label}{name}[{position}]" if isinstance(value, tuple) else f"{label}{name}"
            path = Path(os.fspath(item))
            if not path.is_file():
                raise PreconditionError(field, f"{path} is not a file", "give an existing file")
            if not os.access(path, os.R_OK):
                raise PreconditionError(field, f"{path} cannot be read", "make it readable")


def check_run(
    requests: Iterable[RequestBase],
    *,
    dest: str | os.PathLike[str] | None = None,
    extras: Iterable[str] = (),
) -> Path | None:
    """Every precondition of a whole run (one request, or a story's shots), at once."""
    check_extras(extras)
    for request in requests:
        check_inputs(request)
    return None if dest is None else check_destination(dest)
