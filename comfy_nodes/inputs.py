"""The nodes' inputs as data: one table per node, from which V3 and V1 are both generated.

Why a table: a node is declared twice (the V3 schema for current ComfyUI, ``INPUT_TYPES``
for builds without ``comfy_api.latest``). Writing both by hand lets a default, a range or
a tooltip drift between them; generating both from one :class:`InputSpec` per input
cannot. Every choice and limit here comes from the catalogue (``shared_client``): the
model combos are ``models_for(mode)``, the value lists and ranges are the union of the
mode's rows, the number of reference sockets is the rows' reference limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared_client import MODELS, default_model, models_for

__all__ = [
    "AUTO",
    "MAX_SEED",
    "MEDIA_KINDS",
    "InputSpec",
    "duration_range",
    "mode_values",
    "reference_counts",
    "reference_inputs",
    "v1_input_types",
    "v3_inputs",
]

#: The "let the service decide" value of a combo (aspect ratio, edit duration): not sent.
AUTO = "auto"
MAX_SEED = 2_147_483_647
#: Socket-only kinds: connected, never widgets.
MEDIA_KINDS = frozenset({"IMAGE", "VIDEO", "AUDIO"})


@dataclass(frozen=True)
class InputSpec:
    """One node input, in terms both declarations are generated from.

    ``kind`` is the ComfyUI type (IMAGE, VIDEO, AUDIO, STRING, COMBO, INT, BOOLEAN);
    ``display`` is the INT widget (slider or number); ``control_after_generate`` adds the
    seed control.
    """

    name: str
    kind: str
    tooltip: str
    default: Any = None
    options: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    display: str | None = None
    multiline: bool = False
    control_after_generate: bool = False
    optional: bool = False

    @property
    def is_widget(self) -> bool:
        return self.kind not in MEDIA_KINDS


def _specs(mode: str) -> list[Any]:
    return [MODELS[path] for path in models_for(mode)]  # type: ignore[arg-type]


def mode_values(mode: str, attribute: str) -> tuple[str, ...]:
    """The union of one value list (``resolutions``, ``aspect_ratios``) over a mode's rows."""
    seen: dict[str, None] = {}
    for spec in _specs(mode):
        seen.update(dict.fromkeys(getattr(spec, attribute)))
    return tuple(seen)


def duration_range(mode: str) -> tuple[int, int]:
    """The widest duration range of a mode's rows (a row's own range is checked on submit)."""
    specs = _specs(mode)
    return min(s.durations[0] for s in specs), max(s.durations[1] for s in specs)


def reference_counts(mode: str) -> dict[str, int]:
    """How many reference sockets of each kind a mode's node offers: the rows' limits."""
    limits = [s.references for s in _specs(mode) if s.references is not None]
    if not limits:
        return {"image": 0, "video": 0, "audio": 0}
    return {
        "image": max(lim.max_images for lim in limits),
        "video": max(lim.max_videos for lim in limits),
        "audio": max(lim.max_audios for lim in limits),
    }


def model_options(mode: str) -> tuple[str, ...]:
    """The mode's model paths, its default first (the combo's initial value)."""
    first = default_model(mode)  # type: ignore[arg-type]
    return (first, *(path for path in models_for(mode) if path != first))  # type: ignore[arg-type]


_KIND_WORDS = {
    "image": ("IMAGE", "image"),
    "video": ("VIDEO", "video"),
    "audio": ("AUDIO", "audio"),
}


def reference_inputs(mode: str, kinds: tuple[str, ...]) -> tuple[InputSpec, ...]:
    """Numbered optional sockets, ``reference_image_1`` ..., as many as the catalogue allows.

    Connected sockets become the request's list in socket order (gaps are skipped), so
    the prompt's ``@Image1`` is the first connected image socket.
    """
    counts = reference_counts(mode)
    specs: list[InputSpec] = []
    for kind in kinds:
        socket, word = _KIND_WORDS[kind]
        for number in range(1, counts[kind] + 1):
            specs.append(
                InputSpec(
                    f"reference_{word}_{number}",
                    socket,
                    f"Optional reference {word}. Connected {word}s are numbered in socket "
                    f"order: the prompt can name them @{word.capitalize()}1, "
                    f"@{word.capitalize()}2, ...",
                    optional=True,
                )
            )
    return tuple(specs)


def _widget_options(spec: InputSpec) -> dict[str, Any]:
    """The widget options both APIs share, under their V3 keyword names."""
    if spec.kind == "STRING":
        return {"multiline": spec.multiline, "default": spec.default}
    if spec.kind in ("COMBO", "BOOLEAN"):
        return {"default": spec.default}
    if spec.kind == "INT":
        return {"default": spec.default, "min": spec.minimum, "max": spec.maximum, "step": 1}
    return {}


def v3_inputs(io: Any, control: Any, table: tuple[InputSpec, ...]) -> list[Any]:
    """``io.*.Input`` objects for a V3 schema; ``control`` is the seed's control value."""
    sockets = {
        "IMAGE": io.Image,
        "VIDEO": io.Video,
        "AUDIO": io.Audio,
        "STRING": io.String,
        "COMBO": io.Combo,
        "INT": io.Int,
        "BOOLEAN": io.Boolean,
    }
    inputs = []
    for spec in table:
        options = _widget_options(spec)
        if spec.kind == "COMBO":
            options["options"] = list(spec.options)
        if spec.display is not None:
            options["display_mode"] = getattr(io.NumberDisplay, spec.display)
        if spec.control_after_generate:
            options["control_after_generate"] = control
        if spec.optional:
            options["optional"] = True
        inputs.append(sockets[spec.kind].Input(spec.name, tooltip=spec.tooltip, **options))
    return inputs


def v1_input_types(table: tuple[InputSpec, ...]) -> dict[str, Any]:
    """``INPUT_TYPES`` for a V1 declaration (a combo's type is its list of options)."""
    required: dict[str, Any] = {}
    optional: dict[str, Any] = {}
    for spec in table:
        options = _widget_options(spec)
        if spec.display is not None:
            options["display"] = spec.display
        if spec.control_after_generate:
            options["control_after_generate"] = True  # V1 has no "fixed" value to name
        options["tooltip"] = spec.tooltip
        kind: Any = list(spec.options) if spec.kind == "COMBO" else spec.kind
        (optional if spec.optional else required)[spec.name] = (kind, options)
    return {"required": required, "optional": optional, "hidden": {"unique_id": "UNIQUE_ID"}}
