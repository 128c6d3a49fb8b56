"""The ``seedance`` command line: the public client, driven from a shell.

It is a thin layer over :mod:`shared_client`'s public face (stdlib ``argparse`` only, so
the core install needs nothing more); every decision about money, retries and polling
stays in the client, and the CLI only adds what a shell needs: options, progress, exit
codes scripts can rely on, and one readable error line instead of a traceback.
"""

from __future__ import annotations

from .app import main

__all__ = ["main"]
