"""Signed webhook delivery, byte-compatible with WaveSpeed's scheme.

Why: users write receivers that verify `webhook-signature`; they must be able to test
them offline. Signature: `v3,<hex HMAC-SHA256("{id}.{timestamp}.{raw body}")>` keyed
with the secret minus its `whsec_` prefix (used as-is, not base64-decoded).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
import uuid
from typing import Any

import aiohttp

logger = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"
TOLERANCE_SECONDS = 300


def new_secret() -> str:
    return SECRET_PREFIX + uuid.uuid4().hex + uuid.uuid4().hex[:16]


def sign(secret: str, webhook_id: str, timestamp: str, body: bytes) -> str:
    """The `webhook-signature` header value for one delivery."""
    key = secret.removeprefix(SECRET_PREFIX).encode()
    message = f"{webhook_id}.{timestamp}.".encode() + body
    return "v3," + hmac.new(key, message, hashlib.sha256).hexdigest()


def verify(secret: str, headers: dict[str, str], body: bytes, *, now: float | None = None) -> bool:
    """Receiver-side check (also what tests use): signature matches and is fresh."""
    lowered = {k.lower(): v for k, v in headers.items()}
    webhook_id = lowered.get("webhook-id", "")
    timestamp = lowered.get("webhook-timestamp", "")
    signature = lowered.get("webhook-signature", "")
    try:
        age = abs((now if now is not None else time.time()) - int(timestamp))
    except ValueError:
        return False
    if age > TOLERANCE_SECONDS:
        return False
    expected = sign(secret, webhook_id, timestamp, body)
    return any(hmac.compare_digest(expected, part.strip()) for part in signature.split(" "))


async def deliver(
    session: aiohttp.ClientSession,
    url: str,
    secret: str,
    data: dict[str, Any],
    *,
    attempts: int = 3,
    backoff: float = 0.5,
) -> bool:
    """POST the bare `data` object; retry a few times on failure like the real service.

    The webhook-id stays the same across retries so receivers can dedupe.
    """
    body = json.dumps(data, separators=(",", ":")).encode()
    webhook_id = f"{data.get('id', 'unknown')}"
    for attempt in range(1, attempts + 1):
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "webhook-id": webhook_id,
            "webhook-timestamp": timestamp,
            "webhook-signature": sign(secret, webhook_id, timestamp, body),
        }
        try:
            async with session.post(
                url, data=body, headers=headers, timeout=aiohttp.ClientTimeout(total=10)
            ) as resp:
                if 200 <= resp.status < 300:
                    return True
                logger.info("webhook %s answered HTTP %s (attempt %d)", url, resp.status, attempt)
        except (aiohttp.ClientError, TimeoutError) as exc:
            logger.info("webhook %s failed: %s (attempt %d)", url, exc, attempt)
        if attempt < attempts:
            await asyncio.sleep(backoff * attempt)
    return False
