"""A local WaveSpeed-compatible server for offline demos, tests and benchmarks.

It speaks the API the official client uses (submit, result, uploads, history, webhooks),
renders a real MP4 from the input image and injects faults on demand. It does not import
the project's client: it stands in for the real service, so it must not share its bugs.
"""

from __future__ import annotations

from .faults import FaultConfig
from .server import Simulator
from .webhooks import sign as sign_webhook
from .webhooks import verify as verify_webhook

__all__ = ["FaultConfig", "Simulator", "sign_webhook", "verify_webhook"]
