"""A tiny, honest stand-in for ComfyUI's ``comfy_api.latest`` (tests only).

It keeps only what the node package touches: ``IO`` with the input/output types, the
``Schema`` record, ``ComfyNode``, ``NodeOutput``, ``Hidden``, ``NumberDisplay``,
``ControlAfterGenerate``, ``PriceBadge`` / ``PriceBadgeDepends`` (as in ComfyUI 0.33's
``_io.py``), ``ComfyExtension`` and ``InputImpl.VideoFromFile``. Each records its arguments
so tests can check the declared schema; nothing here imitates behaviour the tests then
assert.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from types import SimpleNamespace
from typing import Any


class _Socket:
    io_type = "ANY"

    class Input:
        def __init__(self, id: str, **options: Any) -> None:
            self.id = id
            self.options = options

    class Output:
        def __init__(self, id: str | None = None, **options: Any) -> None:
            self.id = id
            self.options = options


def _socket(name: str) -> type:
    class Input(_Socket.Input):
        io_type = name

    class Output(_Socket.Output):
        io_type = name

    return type(name, (), {"Input": Input, "Output": Output, "io_type": name})


class NumberDisplay(StrEnum):
    number = "number"
    slider = "slider"


class ControlAfterGenerate(StrEnum):
    fixed = "fixed"
    randomize = "randomize"


class Hidden(StrEnum):
    unique_id = "UNIQUE_ID"
    prompt = "PROMPT"


@dataclass
class PriceBadgeDepends:
    widgets: list[str] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    input_groups: list[str] = field(default_factory=list)


@dataclass
class PriceBadge:
    expr: str
    depends_on: PriceBadgeDepends = field(default_factory=PriceBadgeDepends)
    engine: str = "jsonata"


@dataclass
class Schema:
    node_id: str
    display_name: str | None = None
    category: str = "sd"
    description: str = ""
    search_aliases: list[str] = field(default_factory=list)
    inputs: list[Any] = field(default_factory=list)
    outputs: list[Any] = field(default_factory=list)
    hidden: list[Hidden] = field(default_factory=list)
    is_api_node: bool = False
    price_badge: PriceBadge | None = None
    not_idempotent: bool = False


class ComfyNode:
    hidden: Any = None

    @classmethod
    def define_schema(cls) -> Schema:
        raise NotImplementedError

    @classmethod
    def fingerprint_inputs(cls, **kwargs: Any) -> Any:
        raise NotImplementedError


class NodeOutput:
    def __init__(self, *args: Any) -> None:
        self.args = args


class ComfyExtension:
    async def on_load(self) -> None:
        return None

    async def get_node_list(self) -> list[type[ComfyNode]]:
        raise NotImplementedError


class VideoFromFile:
    def __init__(self, file: Any, *, start_time: float = 0, duration: float = 0) -> None:
        self.file = file
        self.start_time, self.duration = start_time, duration

    def get_stream_source(self) -> Any:
        if hasattr(self.file, "seek"):
            self.file.seek(0)
        return self.file

    def get_active_trim_window(self) -> tuple[float, float]:
        return float(self.start_time), float(self.duration)


IO = SimpleNamespace(
    ComfyNode=ComfyNode,
    Schema=Schema,
    NodeOutput=NodeOutput,
    Hidden=Hidden,
    NumberDisplay=NumberDisplay,
    ControlAfterGenerate=ControlAfterGenerate,
    Image=_socket("IMAGE"),
    String=_socket("STRING"),
    Combo=_socket("COMBO"),
    Int=_socket("INT"),
    Boolean=_socket("BOOLEAN"),
    Video=_socket("VIDEO"),
    Audio=_socket("AUDIO"),
    PriceBadge=PriceBadge,
    PriceBadgeDepends=PriceBadgeDepends,
)
InputImpl = SimpleNamespace(VideoFromFile=VideoFromFile)
