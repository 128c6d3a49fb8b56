"""``ComfyHost``: the node's progress text, progress bar and interrupt, via ComfyUI's hooks.

ComfyUI's modules are replaced by small recorders in ``sys.modules`` (the real ones are
exercised by scripts/comfyui-e2e.sh); the test checks the calls the glue makes.
"""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest

from comfy_nodes.host import ComfyHost, NodeInterrupted


class InterruptProcessingException(Exception):
    pass


@pytest.fixture
def comfy(monkeypatch: pytest.MonkeyPatch) -> types.SimpleNamespace:
    state = types.SimpleNamespace(interrupted=False, texts=[], bars=[])

    mm = types.ModuleType("comfy.model_management")
    mm.processing_interrupted = lambda: state.interrupted  # type: ignore[attr-defined]

    def throw() -> None:
        if state.interrupted:
            state.interrupted = False
            raise InterruptProcessingException()

    mm.throw_exception_if_processing_interrupted = throw  # type: ignore[attr-defined]

    class ProgressBar:
        def __init__(self, total: int, node_id: Any = None) -> None:
            self.total, self.node_id = total, node_id

        def update_absolute(self, value: int) -> None:
            state.bars.append((self.node_id, value, self.total))

    utils = types.ModuleType("comfy.utils")
    utils.ProgressBar = ProgressBar  # type: ignore[attr-defined]
    server = types.ModuleType("server")
    prompt_server = types.SimpleNamespace(
        send_progress_text=lambda text, node_id: state.texts.append((node_id, text))
    )
    server.PromptServer = types.SimpleNamespace(instance=prompt_server)  # type: ignore[attr-defined]
    comfy_pkg = types.ModuleType("comfy")
    comfy_pkg.model_management = mm  # type: ignore[attr-defined]
    comfy_pkg.utils = utils  # type: ignore[attr-defined]
    for name, module in {
        "comfy": comfy_pkg,
        "comfy.model_management": mm,
        "comfy.utils": utils,
        "server": server,
    }.items():
        monkeypatch.setitem(sys.modules, name, module)
    return state


def test_progress_goes_to_the_node_text_and_bar(comfy: types.SimpleNamespace) -> None:
    host = ComfyHost("7")
    host.show_progress("Status: processing\nElapsed: 3s", 0.25)
    host.show_progress("Status: processing\nElapsed: 3s", 0.30)  # same text: not resent
    host.show_progress("Status: completed", 1.0)
    assert comfy.texts == [("7", "Status: processing\nElapsed: 3s"), ("7", "Status: completed")]
    assert comfy.bars == [("7", 25, 100), ("7", 30, 100), ("7", 100, 100)]


def test_interrupt_raises_comfyuis_exception_and_says_the_job_keeps_running(
    comfy: types.SimpleNamespace,
) -> None:
    host = ComfyHost("7")
    assert host.interrupt_requested() is False
    comfy.interrupted = True
    assert host.interrupt_requested() is True
    with pytest.raises(InterruptProcessingException):
        host.raise_interrupted("remote job keeps running")
    assert comfy.texts[-1] == ("7", "remote job keeps running")
    assert comfy.interrupted is False  # ComfyUI's flag is consumed, as its own nodes do


def test_without_comfyui_nothing_is_interrupted_and_a_plain_error_is_raised() -> None:
    host = ComfyHost(None)
    host.show_progress("hello", 0.5)  # no ComfyUI: logged only, no failure
    assert host.interrupt_requested() is False
    with pytest.raises(NodeInterrupted, match="stop"):
        host.raise_interrupted("stop")
