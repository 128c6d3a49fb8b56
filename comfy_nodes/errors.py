"""The node's own errors; ComfyUI shows their message on the node.

Each message starts with the field it concerns (``prompt: ...``, ``api_key: ...``) and says
what to do, and none of them is raised after something was paid without saying so.
"""

from __future__ import annotations


class NodeInputError(ValueError):
    """Bad node input, found before anything is paid; the message names the field."""


class GenerationError(RuntimeError):
    """The generation could not be completed; the message says what to do next."""


__all__ = ["GenerationError", "NodeInputError"]
