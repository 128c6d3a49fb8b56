"""Where reliability runs leave their figures, so ``docs/reliability.md`` quotes real runs.

Set ``SEEDANCE_RELIABILITY_OUT`` to a folder and each run writes ``<name>.json`` there
(with the machine, date and duration); unset, the figures only go to the log.
"""

from __future__ import annotations

import json
import logging
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def record(name: str, figures: dict[str, Any]) -> None:
    """Log ``figures`` and, when asked, write them as JSON for the reliability document."""
    payload = {"name": name, "machine": machine(), **figures}
    logger.warning("reliability figures %s: %s", name, json.dumps(payload, default=str))
    folder = os.environ.get("SEEDANCE_RELIABILITY_OUT")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        path = Path(folder) / f"{name}.json"
        path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
