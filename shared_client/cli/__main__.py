"""``python -m shared_client.cli`` and the ``seedance`` console script.

``main`` lives in :mod:`.app` so that importing the package does not import this module
(``runpy`` warns when ``-m`` finds ``__main__`` already imported).
"""

from __future__ import annotations

import sys

from .app import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
