"""One TLS context per verification setting, shared by every client in the process.

Why: building an ``ssl.SSLContext`` loads the whole CA bundle, about 40 ms of CPU, and
httpx builds a new one for every client it makes. A process that makes many short-lived
clients (an Airflow task, each trigger in the triggerer, each ComfyUI run, a storyboard's
async twin, the test suite) paid that every time: 7.3 s of CPU in one 26 s test module,
measured 2026-12-07, for plain-HTTP clients that never used TLS. A context is safe to
share between threads and clients. It is built on first use and kept: a CA bundle edited
later in the process's life is seen after a restart. The rules are httpx's own
(``SSL_CERT_FILE`` / ``SSL_CERT_DIR``, then certifi), and a path given as ``verify`` is
a CA file or a folder of CA certificates.
"""

from __future__ import annotations

import os
import ssl
from functools import lru_cache

__all__ = ["tls_context"]


def tls_context(verify: bool | str) -> ssl.SSLContext | bool:
    """What to pass as httpx's ``verify`` (or aiohttp's ``ssl``) for the client setting
    ``verify``: ``False`` stays ``False`` (no verification), anything else a shared
    context."""
    if verify is False:
        return False
    if verify is True:
        return _context(
            None,
            os.environ.get("SSL_CERT_FILE") or None,
            os.environ.get("SSL_CERT_DIR") or None,
        )
    return _context(verify, None, None)


@lru_cache(maxsize=16)
def _context(path: str | None, cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    if path is not None:
        if os.path.isdir(path):
            return ssl.create_default_context(capath=path)
        return ssl.create_default_context(cafile=path)
    if cert_file:
        return ssl.create_default_context(cafile=cert_file)
    if cert_dir:
        return ssl.create_default_context(capath=cert_dir)
    import certifi  # httpx's own dependency: its default bundle

    return ssl.create_default_context(cafile=certifi.where())
