"""The on-disk index keys survive upgrades: the fingerprint's digest is pinned.

An index written by an older version must still answer after the fingerprint moved to
``shared_client.canonical_fingerprint`` and after the runner was generalised to every
mode; a changed digest would make every cached video unreachable and the next run pay
again. The expected values were computed by the original in-module implementation
(sorted-keys compact ASCII JSON, SHA-256) of the first, image-to-video-only node.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from types import SimpleNamespace

import torch

from comfy_nodes.conversions import first_image_as_png
from comfy_nodes.job import NodeJob, fingerprint_fields
from comfy_nodes.nodes import build_job
from comfy_nodes.result_cache import request_fingerprint
from shared_client import ImageToVideoRequest, canonical_fingerprint
from tests.support.comfy import node_values

START, LAST = b"\x89PNG start frame", b"\x89PNG last frame"
WIDGETS = {
    "resolution": "720p",
    "aspect_ratio": "auto",
    "duration": 5,
    "generate_audio": True,
    "enable_web_search": False,
}


def _job() -> NodeJob:
    # Stand-in request (these bytes are not images, so the real type would refuse them):
    # the recipe only reads the model, the prompt and the core's own MEDIA_FIELDS.
    request = SimpleNamespace(
        model="bytedance/seedance-2.0-mini/image-to-video",
        prompt="a slow dolly-in on a red shoe, soft light — 東京",
        image=START,
        last_image=LAST,
        MEDIA_FIELDS=ImageToVideoRequest.MEDIA_FIELDS,
    )
    return NodeJob(request, fingerprint_fields(request, WIDGETS), 42)  # type: ignore[arg-type]


def test_node_fingerprint_digests_are_unchanged() -> None:
    assert _job().fingerprint("https://api.wavespeed.ai/") == (
        "13c4225728bbb33b1a24044b6bf6c0a2f031c88672d8b7aeeab7136cef008661"
    )
    assert _job().fingerprint(None) == (
        "0b0f50a35090c34fd6320cbb795149b4926eb694ff78485b1196bd0eb0622613"
    )


def test_the_image_to_video_node_fingerprints_with_the_first_versions_recipe(
    tmp_path: Path,
) -> None:
    image = torch.rand(1, 12, 16, 3)
    values = node_values(image, "a lighthouse", 9, **WIDGETS)
    job = build_job("SeedanceImageToVideo", tmp_path, **values)
    png = first_image_as_png(image)
    legacy = {
        "model": values["model"],
        "prompt": "a lighthouse",
        "image": hashlib.sha256(png).hexdigest(),
        "last_image": None,
        **WIDGETS,
        "seed": 9,
        "base_url": "http://sim",
    }
    assert job.fingerprint("http://sim/") == canonical_fingerprint(legacy)


def test_request_fingerprint_is_the_clients_canonical_fingerprint() -> None:
    fields = {"b": [1, 2.5, None, True], "a": {"z": "é", "y": "\u2028"}, "seed": 7}
    original = hashlib.sha256(
        json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()
    ).hexdigest()
    assert request_fingerprint(fields) == canonical_fingerprint(fields) == original
