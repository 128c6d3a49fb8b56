"""Bad-input cases through the Airflow operator and the ComfyUI node (see :mod:`.bad_inputs`).

The operator runs ``deferrable=False`` so one process shows the message a task log
shows (the deferred path raises the same errors from the same client, in the
triggerer). The node runs through its V1 entry point, the synchronous call ComfyUI
makes, with settings from the environment as a user would configure them.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from tests.support.airflow import FakeTI, connection_env, task_context
from tests.support.comfy import node_values
from tests.support.env import patched_env

from .bad_inputs import KEY, WRONG_KEY, Case, Env

_counter = itertools.count()


# -- the operator ----------------------------------------------------------------------------


def _operator(
    env: Env,
    *,
    base_url: str | None = None,
    key: str | None = KEY,
    render: dict[str, Any] | None = None,
    **overrides: Any,
) -> None:
    from airflow_provider_seedance.operators.seedance import SeedanceImageToVideoOperator

    conn_id = f"reliability_{next(_counter)}"
    conn: dict[str, Any] = {"host": base_url or env.sim.base_url, "extra": {"max_attempts": 2}}
    if key is not None:
        conn["password"] = key
    params: dict[str, Any] = {
        "task_id": "generate",
        "prompt": "a slow dolly-in",
        "image": str(env.png),
        "duration": 4,
        "wavespeed_conn_id": conn_id,
        "deferrable": False,
        "poll_interval": 0.05,
        "timeout": 20,
        # A lost answer is searched for this long before failing (120 s by default).
        "settle_window": 1.0,
        "output_path": str(env.work / "dest-operator"),
    }
    params.update(overrides)
    with patched_env(**connection_env(conn_id, **conn)):
        op = SeedanceImageToVideoOperator(**params)
        if render is not None:
            op.render_template_fields(render)
        ti = FakeTI("gen", dag_id="reliability", run_id="manual__1")
        op.execute(task_context(ti, ds="2026-11-24"))


def _op(**overrides: Any) -> Callable[[Env], Any]:
    return lambda env: _operator(env, **overrides)


def _op_server(prefix: str, **overrides: Any) -> Callable[[Env], Any]:
    def run(env: Env) -> None:
        _operator(
            env, base_url=env.api.url(prefix), image="https://cdn.example.com/c.png", **overrides
        )

    return run


OPERATOR_CASES = [
    Case("operator", "prompt-empty", 'prompt "" (DAG parse)', _op(prompt=""), "prompt"),
    Case("operator", "image-missing", "image None", _op(image=None), "image"),
    Case(
        "operator", "image-neither", 'image "photos/cat.png"', _op(image="photos/cat.png"), "image"
    ),
    Case(
        "operator",
        "image-not-image",
        "image: a text file named .png",
        lambda env: _operator(env, image=str(env.text_file)),
        "image",
    ),
    Case(
        "operator",
        "image-404",
        "image URL answering 404",
        lambda env: _operator(env, image=f"{env.api.server.base_url}/html/files/gone.mp4"),
        "1402",
        before_paying=False,
    ),
    Case(
        "operator",
        "last-without-image",
        "last_image set, image None",
        lambda env: _operator(env, image=None, last_image=str(env.png)),
        "image",
    ),
    Case("operator", "duration-3", "duration 3 (DAG parse)", _op(duration=3), "duration"),
    Case("operator", "duration-16", "duration 16 (DAG parse)", _op(duration=16), "duration"),
    Case("operator", "duration-5.5", "duration 5.5 (DAG parse)", _op(duration=5.5), "duration"),
    Case(
        "operator", "duration-five", 'duration "five" (DAG parse)', _op(duration="five"), "duration"
    ),
    Case(
        "operator", "resolution", 'resolution "4k" (DAG parse)', _op(resolution="4k"), "resolution"
    ),
    Case(
        "operator",
        "aspect",
        'aspect_ratio "2:1" (DAG parse)',
        _op(aspect_ratio="2:1"),
        "aspect_ratio",
    ),
    Case(
        "operator",
        "flag",
        'generate_audio "yes" (DAG parse)',
        _op(generate_audio="yes"),
        "generate_audio",
    ),
    Case(
        "operator",
        "model",
        "unknown model (DAG parse)",
        _op(model="bytedance/seedance-9/image-to-video"),
        "model",
    ),
    Case(
        "operator",
        "template",
        'template "{{ params.p }}" rendering prompt to ""',
        _op(prompt="{{ params.p }}", render={"params": {"p": ""}}),
        "prompt",
    ),
    Case(
        "operator",
        "template-image",
        'template "{{ params.img }}" rendering image to a missing file',
        _op(image="{{ params.img }}", render={"params": {"img": "missing/cat.png"}}),
        "image",
    ),
    Case("operator", "key-missing", "connection without a password", _op(key=None), "key"),
    Case("operator", "key-wrong", "wrong key in the connection", _op(key=WRONG_KEY), "401"),
    Case(
        "operator",
        "base-refused",
        "connection host refusing connections",
        lambda env: _operator(env, base_url=env.refused_url),
        "no response",
    ),
    Case(
        "operator",
        "html",
        "HTML instead of JSON (submit)",
        _op_server("html"),
        "JSON",
        before_paying=False,
    ),
    Case(
        "operator",
        "outputs-empty",
        "completed with no outputs",
        _op_server("empty"),
        "pred-empty-0001",
        before_paying=False,
    ),
    Case(
        "operator",
        "output-404",
        "output URL answering 404",
        _op_server("o404"),
        "404",
        before_paying=False,
    ),
    Case(
        "operator",
        "output-path",
        "output_path not writable (parent is a file)",
        lambda env: _operator(
            env,
            base_url=env.api.url("ok"),
            image="https://cdn.example.com/c.png",
            output_path=str(env.text_file) + "/videos",
        ),
        "videos",
        before_paying=False,
    ),
]


# -- the node --------------------------------------------------------------------------------


def _node(
    env: Env, *, base_url: str | None = None, key: str | None = KEY, **overrides: Any
) -> None:
    import torch

    from comfy_nodes.nodes import SeedanceImageToVideoV1

    inputs = node_values(torch.rand(1, 48, 64, 3), "a slow dolly-in", next(_counter), **overrides)
    with patched_env(
        WAVESPEED_API_KEY=key,
        WAVESPEED_BASE_URL=base_url or env.sim.base_url,
        SEEDANCE_COMFY_CACHE_DIR=str(env.work / "dest-node-cache"),
        SEEDANCE_POLL_INTERVAL="0.05",
        SEEDANCE_TIMEOUT="20",
        SEEDANCE_MAX_ATTEMPTS="2",  # a refused port: one retry, not 15 s of backoff
    ):
        SeedanceImageToVideoV1().generate(unique_id="7", **inputs)


def _nd(**overrides: Any) -> Callable[[Env], Any]:
    return lambda env: _node(env, **overrides)


def _nd_server(prefix: str) -> Callable[[Env], Any]:
    return lambda env: _node(env, base_url=env.api.url(prefix))


def _zeros(*shape: int) -> Any:
    import torch

    return torch.zeros(*shape)


NODE_CASES = [
    Case("node", "prompt-empty", 'prompt ""', _nd(prompt=""), "prompt"),
    Case("node", "prompt-type", "prompt 42 (API-format workflow)", _nd(prompt=42), "prompt"),
    Case("node", "image-missing", "image None", _nd(image=None), "image"),
    Case(
        "node",
        "image-shape",
        "image tensor of shape (2, 2) (not an IMAGE)",
        lambda env: _node(env, image=_zeros(2, 2)),
        "image",
    ),
    Case(
        "node",
        "last-without-image",
        "last_image set, image None",
        lambda env: _node(env, image=None, last_image=_zeros(1, 8, 8, 3)),
        "image",
    ),
    Case("node", "duration-3", "duration 3", _nd(duration=3), "duration"),
    Case("node", "duration-16", "duration 16", _nd(duration=16), "duration"),
    Case("node", "duration-5.5", "duration 5.5", _nd(duration=5.5), "duration"),
    Case("node", "duration-five", 'duration "five"', _nd(duration="five"), "duration"),
    Case("node", "resolution", 'resolution "4k"', _nd(resolution="4k"), "resolution"),
    Case("node", "aspect", 'aspect_ratio "2:1"', _nd(aspect_ratio="2:1"), "aspect_ratio"),
    Case(
        "node", "flag", 'generate_audio "no" (a string)', _nd(generate_audio="no"), "generate_audio"
    ),
    Case(
        "node", "model", "unknown model", _nd(model="bytedance/seedance-9/image-to-video"), "model"
    ),
    Case("node", "key-missing", "no key configured", _nd(key=None), "api_key"),
    Case("node", "key-wrong", "wrong key", _nd(key=WRONG_KEY), "api_key"),
    Case(
        "node",
        "base-refused",
        "WAVESPEED_BASE_URL refusing connections",
        lambda env: _node(env, base_url=env.refused_url),
        "reach",
    ),
    Case(
        "node",
        "html",
        "HTML instead of JSON (submit)",
        _nd_server("html"),
        "JSON",
        before_paying=False,
    ),
    Case(
        "node",
        "outputs-empty",
        "completed with no outputs",
        _nd_server("empty"),
        "pred-empty-0001",
        before_paying=False,
    ),
    Case(
        "node",
        "output-404",
        "output URL answering 404",
        _nd_server("o404"),
        "404",
        before_paying=False,
    ),
]
