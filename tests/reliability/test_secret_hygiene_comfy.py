"""The ComfyUI node with a sentinel key: success, failure, rejection and interrupt paths.

The integration suite already checks one successful V3 run; this covers the paths where
leaks usually happen: error messages and their tracebacks (wrong key, failed
generation, unreachable service), DEBUG logs of every library (httpx, httpcore, the
client), the V1 outputs, every file the node wrote (videos and their container
metadata, the result index), and the example workflows users save and share.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from comfy_nodes.nodes import SeedanceImageToVideoV1  # noqa: E402
from seedance_simulator import Simulator  # noqa: E402
from tests.support.comfy import node_values  # noqa: E402
from tests.support.env import patched_env  # noqa: E402
from tests.support.paths import REPO_ROOT  # noqa: E402

from .conftest import SENTINEL_KEY  # noqa: E402
from .results import record  # noqa: E402

WRONG_SENTINEL = "sk-WRONG-SENTINEL-0c1d2e3f-must-not-echo"


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(api_key=SENTINEL_KEY, generation_time=0.3, fast=True, seed=5) as simulator:
        yield simulator


def _inputs(seed: int) -> dict[str, Any]:
    return node_values(torch.rand(1, 48, 64, 3), "a slow dolly-in on a gradient", seed)


def _run(sim_url: str, key: str, cache: Path, seed: int) -> tuple[Any, str]:
    """Run the V1 node; returns (outputs or None, text of any error with its traceback)."""
    with patched_env(
        WAVESPEED_API_KEY=key,
        WAVESPEED_BASE_URL=sim_url,
        SEEDANCE_COMFY_CACHE_DIR=str(cache),
        SEEDANCE_POLL_INTERVAL="0.05",
        SEEDANCE_TIMEOUT="20",
        # Two tries: the retry's log line is searched too, without the default six
        # tries' 15 s of backoff against a port that refuses.
        SEEDANCE_MAX_ATTEMPTS="2",
    ):
        try:
            return SeedanceImageToVideoV1().generate(unique_id="3", **_inputs(seed)), ""
        except Exception as exc:
            return None, "".join(traceback.format_exception(exc)) + repr(exc)


def test_no_path_of_the_node_leaks_the_key(
    sim: Simulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cache = tmp_path / "cache"
    texts: list[str] = []
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("httpx").setLevel(logging.DEBUG)
        logging.getLogger("httpcore").setLevel(logging.DEBUG)
        outputs, error = _run(sim.base_url, SENTINEL_KEY, cache, seed=1)
        assert outputs is not None, error
        _frames, audio, fps, url = outputs
        texts += [url, repr(fps), repr(audio)[:10_000]]
        sim.set_faults(failed_generation=1.0)
        _, failed = _run(sim.base_url, SENTINEL_KEY, cache, seed=2)
        sim.set_faults(failed_generation=0.0)
        _, rejected = _run(sim.base_url, WRONG_SENTINEL, cache, seed=3)
        _, unreachable = _run("http://127.0.0.1:9", SENTINEL_KEY, cache, seed=4)
    assert "failed" in failed and "api_key" in rejected and "reach" in unreachable
    texts += [failed, rejected, unreachable, caplog.text]
    texts += [r.getMessage() + repr(r.args) for r in caplog.records]
    leaks = [t[:200] for t in texts if SENTINEL_KEY in t or WRONG_SENTINEL in t]
    files = [p for p in cache.rglob("*") if p.is_file()]
    assert any(p.suffix == ".mp4" for p in files)
    leaks += [str(p) for p in files if SENTINEL_KEY.encode() in p.read_bytes()]
    leaks += [str(p) for p in files if p.suffix == ".mp4" and _metadata_leaks(p)]
    workflows = list((REPO_ROOT / "comfy_nodes" / "example_workflows").glob("*.json"))
    for workflow in workflows:
        text = workflow.read_text()
        if SENTINEL_KEY in text or '"api_key"' in text.lower():
            leaks.append(str(workflow))
    record(
        "comfy_secret_hygiene",
        {"texts": len(texts), "log_records": len(caplog.records), "files": len(files),
         "workflows": len(workflows), "occurrences": len(leaks)},
    )  # fmt: skip
    assert len(caplog.records) > 20
    assert leaks == []


def _metadata_leaks(path: Path) -> bool:
    import av

    with av.open(str(path)) as container:
        tags = dict(container.metadata)
        for stream in container.streams:
            tags.update({f"{stream.index}:{k}": v for k, v in stream.metadata.items()})
    return SENTINEL_KEY in json.dumps(tags)
