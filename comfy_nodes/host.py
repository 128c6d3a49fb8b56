"""ComfyUI's progress, interrupt and server hooks, imported lazily and guarded.

Every import here is optional so the package (and its tests) load without ComfyUI;
outside ComfyUI progress goes to the log and nothing is ever interrupted.
"""

from __future__ import annotations

import logging
from typing import Any, NoReturn

logger = logging.getLogger(__name__)


class NodeInterrupted(RuntimeError):
    """Raised on interrupt when ComfyUI's own exception type is not available."""


def _model_management() -> Any | None:
    try:
        import comfy.model_management as model_management  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return None
    return model_management


class ComfyHost:
    """Reports to the node's badge text and progress bar; reads ComfyUI's interrupt flag."""

    def __init__(self, node_id: str | None) -> None:
        self.node_id = node_id
        self._bar: Any | None = None
        try:
            from comfy.utils import ProgressBar  # type: ignore[import-not-found, unused-ignore]

            self._bar = ProgressBar(100, node_id=node_id)
        except Exception:  # no ComfyUI, or an old ProgressBar signature
            self._bar = None
        self._last_text: str | None = None

    def show_progress(self, text: str, fraction: float | None) -> None:
        if text != self._last_text:
            self._last_text = text
            logger.debug("seedance[%s]: %s", self.node_id, text.replace("\n", " | "))
            self._send_text(text)
        if fraction is not None and self._bar is not None:
            try:
                self._bar.update_absolute(int(max(0.0, min(1.0, fraction)) * 100))
            except Exception:
                logger.debug("progress bar update failed", exc_info=True)

    def _send_text(self, text: str) -> None:
        if self.node_id is None:
            return
        try:
            from server import PromptServer  # type: ignore[import-not-found, unused-ignore]

            PromptServer.instance.send_progress_text(text, self.node_id)
        except Exception:  # not inside a running ComfyUI server
            return

    def interrupt_requested(self) -> bool:
        mm = _model_management()
        if mm is None:
            return False
        try:
            return bool(mm.processing_interrupted())
        except Exception:
            return False

    def raise_interrupted(self, message: str) -> NoReturn:
        self._send_text(message)
        mm = _model_management()
        if mm is not None:
            # Raises InterruptProcessingException (and clears the flag): ComfyUI then
            # reports "interrupted", not an error, exactly as for its own nodes.
            mm.throw_exception_if_processing_interrupted()
        raise NodeInterrupted(message)
