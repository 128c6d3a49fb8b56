"""Environment variables set for a block of code, where no ``monkeypatch`` fixture reaches.

The bad-input table runs its cases from ``scripts/bad_input_table.py`` too, outside
pytest, so its cases configure the node and the operator with :func:`patched_env`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def patched_env(**values: str | None) -> Iterator[None]:
    """Set (or, with None, remove) environment variables for the duration of a case."""
    saved = {name: os.environ.get(name) for name in values}
    try:
        for name, value in values.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
