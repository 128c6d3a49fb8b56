"""The bad-input table: each case run for real through the client, the operator and the node.

Why one registry: the test (``test_bad_input_table.py``) asserts every case fails the way
it should (typed, naming the field, before paying when it can), and
``scripts/bad_input_table.py`` prints the very same runs as the table in
``docs/reliability.md``, so the documented messages are the ones users really see.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seedance_simulator import Simulator
from shared_client import ImageToVideoRequest, SeedanceClient
from tests.support.clients import QUICK_RETRY as QUICK
from tests.support.media import save_png
from tests.support.net import closed_port_url

from .bad_server import BadApi

KEY = "sk-SENTINEL-7f3a9c2e-reliability-never-log-me"
#: A wrong key is a secret too: a rejection must not echo it back.
WRONG_KEY = "sk-WRONG-SENTINEL-5e6f7a8b-never-echo"
MODEL = "bytedance/seedance-2.0-mini/image-to-video"


@dataclass
class Env:
    """What the cases run against; built once by :func:`environment`."""

    sim: Simulator
    api: BadApi
    work: Path
    png: Path
    text_file: Path
    refused_url: str
    previous_video: bytes = b"previous good video"

    def fresh_dir(self, name: str) -> Path:
        folder = self.work / name
        folder.mkdir(parents=True, exist_ok=True)
        return folder


@dataclass(frozen=True)
class Case:
    """One bad input. ``run`` must raise; ``names`` must appear in the message."""

    layer: str  # "client" | "operator" | "node"
    key: str
    what: str
    run: Callable[[Env], Any]
    names: str
    #: The server must not have received a submit (nothing paid).
    before_paying: bool = True
    #: A previous video at the destination must survive the failure unchanged.
    keeps_previous: bool = False


@dataclass
class Outcome:
    case: Case
    error_type: str
    message: str
    submits: int
    previous_intact: bool | None = None
    leftovers: list[str] = field(default_factory=list)


@contextmanager
def environment(work: Path) -> Iterator[Env]:
    work.mkdir(parents=True, exist_ok=True)
    png = save_png(work / "start.png", (96, 64), (200, 60, 30))
    text_file = work / "notes.png"
    text_file.write_text("not an image, despite the name")
    with (
        Simulator(api_key=KEY, generation_time=0.3, fast=True, seed=1) as sim,
        BadApi() as api,
    ):
        yield Env(sim, api, work, png, text_file, closed_port_url())


def run_case(case: Case, env: Env) -> Outcome:
    """Run ``case``; report the error a user sees, the submits it cost, what it left."""
    env.sim.reset_stats()
    hits_before = len(env.api.server.hits)
    dest = env.fresh_dir(f"dest-{case.layer}-{case.key}")
    previous = dest / "previous.mp4"
    previous.write_bytes(env.previous_video)
    try:
        case.run(env)
    except BaseException as exc:  # the point is to record whatever comes out
        error_type, message = type(exc).__name__, str(exc)
    else:
        error_type, message = "(no error)", ""
    new_hits = env.api.server.hits[hits_before:]
    bad_submits = sum(1 for h in new_hits if "/api/v3/bytedance/" in h)
    return Outcome(
        case,
        error_type,
        message,
        submits=env.sim.stats()["submissions"] + bad_submits,
        previous_intact=previous.read_bytes() == env.previous_video,
        leftovers=[p.name for p in env.work.rglob("*.part")],
    )


# -- the client ------------------------------------------------------------------------------


def _client(env: Env, base_url: str | None = None, key: str | None = KEY) -> SeedanceClient:
    return SeedanceClient(api_key=key, base_url=base_url or env.sim.base_url, retry=QUICK)


def _request(env: Env, **overrides: Any) -> ImageToVideoRequest:
    values: dict[str, Any] = {"prompt": "a slow dolly-in", "image": env.png, "duration": 4}
    values.update(overrides)
    return ImageToVideoRequest(**values)


def _generate(
    env: Env,
    base_url: str | None = None,
    *,
    key: str | None = KEY,
    dest: str = "out",
    timeout: float = 20.0,
    **overrides: Any,
) -> None:
    request = _request(env, **overrides)
    with _client(env, base_url, key) as client:
        prediction = client.generate(request, timeout=timeout, poll_interval=0.05)
        client.download(prediction, env.work / dest)


def _url_generate(prefix: str, **kw: Any) -> Callable[[Env], Any]:
    def run(env: Env) -> None:
        _generate(env, env.api.url(prefix), image="https://cdn.example.com/cat.png", **kw)

    return run


def _into_previous(prefix: str) -> Callable[[Env], Any]:
    """Download an output over the previous video of the same name."""

    def run(env: Env) -> None:
        with _client(env, env.api.url(prefix)) as client:
            prediction = client.generate(
                ImageToVideoRequest(prompt="x", image="https://cdn.example.com/cat.png"),
                timeout=10,
                poll_interval=0.05,
            )
            client.download(prediction, env.work / f"dest-client-{prefix}" / "previous.mp4")

    return run


def _bad_request(**overrides: Any) -> Callable[[Env], Any]:
    return lambda env: _generate(env, **overrides)


def _missing_key(env: Env) -> None:
    os.environ.pop("WAVESPEED_API_KEY", None)
    _generate(env, key=None)


def _not_writable(env: Env) -> None:
    blocker = env.work / "a-file"
    blocker.write_text("a file where a folder should be")
    with _client(env, env.api.url("ok")) as client:
        prediction = client.generate(
            ImageToVideoRequest(prompt="x", image="https://cdn.example.com/cat.png"),
            poll_interval=0.05,
        )
        client.download(prediction, blocker / "videos" / "v.mp4")


def _image_url_404(env: Env) -> None:
    _generate(env, image=f"{env.api.server.base_url}/html/files/gone.mp4")


CLIENT_CASES = [
    Case("client", "prompt-empty", 'prompt ""', _bad_request(prompt=""), "prompt"),
    Case("client", "prompt-blank", 'prompt "   "', _bad_request(prompt="   "), "prompt"),
    Case("client", "prompt-type", "prompt 42 (not a string)", _bad_request(prompt=42), "prompt"),
    Case("client", "image-missing", "image None", _bad_request(image=None), "image"),
    Case(
        "client",
        "image-neither",
        'image "photos/cat.png" (no such file)',
        _bad_request(image="photos/cat.png"),
        "image",
    ),
    Case(
        "client",
        "image-not-image",
        "image: a text file named .png",
        lambda env: _generate(env, image=env.text_file),
        "image",
    ),
    Case(
        "client",
        "image-bytes",
        'image b"hello" (bytes, not an image)',
        _bad_request(image=b"hello"),
        "image",
    ),
    Case(
        "client",
        "image-scheme",
        'image "ftp://host/cat.png"',
        _bad_request(image="ftp://host/cat.png"),
        "image",
    ),
    Case(
        "client",
        "image-404",
        "image URL answering 404",
        _image_url_404,
        "1402",
        before_paying=False,
    ),
    Case(
        "client",
        "last-without-image",
        "last_image set, image None",
        lambda env: _generate(env, image=None, last_image=env.png),
        "image",
    ),
    Case("client", "duration-3", "duration 3", _bad_request(duration=3), "duration"),
    Case("client", "duration-16", "duration 16", _bad_request(duration=16), "duration"),
    Case("client", "duration-5.5", "duration 5.5", _bad_request(duration=5.5), "duration"),
    Case("client", "duration-five", 'duration "five"', _bad_request(duration="five"), "duration"),
    Case("client", "resolution", 'resolution "4k"', _bad_request(resolution="4k"), "resolution"),
    Case(
        "client", "aspect", 'aspect_ratio "2:1"', _bad_request(aspect_ratio="2:1"), "aspect_ratio"
    ),
    Case(
        "client",
        "flag",
        'generate_audio "yes"',
        _bad_request(generate_audio="yes"),
        "generate_audio",
    ),
    Case(
        "client",
        "flag-int",
        "enable_web_search 1",
        _bad_request(enable_web_search=1),
        "enable_web_search",
    ),
    Case(
        "client",
        "model",
        "model bytedance/seedance-9/image-to-video",
        _bad_request(model="bytedance/seedance-9/image-to-video"),
        "model",
    ),
    Case(
        "client",
        "extra-dup",
        'extra_params {"duration": 8}',
        _bad_request(extra_params={"duration": 8}),
        "extra_params",
    ),
    Case(
        "client", "key-missing", "no key (argument or WAVESPEED_API_KEY)", _missing_key, "API key"
    ),
    Case("client", "key-wrong", "wrong key", lambda env: _generate(env, key=WRONG_KEY), "401"),
    Case(
        "client",
        "base-refused",
        "base URL refusing connections",
        lambda env: _generate(env, env.refused_url),
        "no response",
    ),
    Case(
        "client",
        "base-scheme",
        'base URL "ftp://api.example.com"',
        lambda env: _generate(env, "ftp://api.example.com"),
        "base_url",
    ),
    Case(
        "client",
        "html",
        "HTML instead of JSON (submit)",
        _url_generate("html"),
        "JSON",
        before_paying=False,
    ),
    Case(
        "client",
        "truncated",
        "truncated JSON body (result)",
        _url_generate("trunc"),
        "JSON",
        before_paying=False,
    ),
    Case(
        "client",
        "no-data",
        "200 envelope without data (submit)",
        _url_generate("nodata"),
        "data",
        before_paying=False,
    ),
    Case(
        "client",
        "unknown-status",
        'unknown status "exploding" until the deadline',
        _url_generate("unknown", timeout=1.0),
        "pred-unknown-0001",
        before_paying=False,
    ),
    Case(
        "client",
        "outputs-empty",
        "completed with no outputs",
        _url_generate("empty"),
        "pred-empty-0001",
        before_paying=False,
    ),
    Case(
        "client",
        "output-404",
        "output URL answering 404",
        _into_previous("o404"),
        "404",
        before_paying=False,
        keeps_previous=True,
    ),
    Case(
        "client",
        "output-cut",
        "output cut mid-transfer (every attempt)",
        _into_previous("ocut"),
        "cut",
        before_paying=False,
        keeps_previous=True,
    ),
    Case(
        "client",
        "dest-not-writable",
        "destination folder not writable (parent is a file)",
        _not_writable,
        "writ",
        before_paying=False,
    ),
]
