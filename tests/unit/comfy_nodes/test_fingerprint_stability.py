"""The on-disk index keys survive upgrades: the fingerprint's digest is pinned.

An index written by an older version must still answer after the fingerprint moved to
``shared_client.canonical_fingerprint``; a changed digest would make every cached video
unreachable and the next run pay again. The expected values were computed by the
original in-module implementation (sorted-keys compact ASCII JSON, SHA-256).
"""

from __future__ import annotations

import hashlib
import json

from comfy_nodes.result_cache import request_fingerprint
from comfy_nodes.runner import GenerationInputs
from shared_client import canonical_fingerprint

INPUTS = GenerationInputs(
    prompt="a slow dolly-in on a red shoe, soft light — 東京",
    image_png=b"\x89PNG start frame",
    model="bytedance/seedance-2.0-mini/image-to-video",
    resolution="720p",
    aspect_ratio="auto",
    duration=5,
    generate_audio=True,
    enable_web_search=False,
    seed=42,
    last_image_png=b"\x89PNG last frame",
)


def test_node_fingerprint_digests_are_unchanged() -> None:
    assert INPUTS.fingerprint("https://api.wavespeed.ai/") == (
        "13c4225728bbb33b1a24044b6bf6c0a2f031c88672d8b7aeeab7136cef008661"
    )
    assert INPUTS.fingerprint(None) == (
        "0b0f50a35090c34fd6320cbb795149b4926eb694ff78485b1196bd0eb0622613"
    )


def test_request_fingerprint_is_the_clients_canonical_fingerprint() -> None:
    fields = {"b": [1, 2.5, None, True], "a": {"z": "é", "y": "\u2028"}, "seed": 7}
    original = hashlib.sha256(
        json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()
    ).hexdigest()
    assert request_fingerprint(fields) == canonical_fingerprint(fields) == original
