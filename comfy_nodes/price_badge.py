"""The price badge each node shows in the graph, generated from the catalogue.

ComfyUI's frontend draws a badge on API nodes from the schema's ``price_badge``: a JSONata
expression it evaluates in the browser whenever a widget it depends on changes or an
input it watches is connected or disconnected (``comfy_api/latest/_io.py``: ``PriceBadge``,
``PriceBadgeDepends``; the context is ``widgets.<name>`` with combo values lower-cased,
``inputs.<name>.connected``). ComfyUI's own nodes write that expression by hand, with
prices copied in. Here it is generated from the catalogue's own price function
(``ModelSpec.price``: USD per second at 720p x ``RESOLUTION_PRICE_FACTORS`` x seconds),
evaluated in Python for every model, resolution and duration the node offers, and
embedded as a table of labels: the browser only looks a label up, so it cannot round or
compute differently from the catalogue. The label is the offline table's figure, marked
approximate (``~$``); when the node runs, the pricing API's exact figure is shown.

The badge also counts the connected reference sockets ("(2 refs)"), so it follows the
graph as the issue asks; in the catalogue, references do not change the price.
"""

from __future__ import annotations

import json
from typing import Any

from shared_client import RESOLUTION_PRICE_FACTORS, model_spec

from .inputs import AUTO
from .node_kinds import NodeKind

__all__ = ["UNSTATED_RESOLUTION", "badge_expression", "badge_widgets", "make_price_badge"]

#: The resolution the offline table prices a request without one at (video-edit follows
#: its input): the highest factor, as ``table_quote`` does, so the figure is never low.
UNSTATED_RESOLUTION = max(RESOLUTION_PRICE_FACTORS, key=RESOLUTION_PRICE_FACTORS.__getitem__)


def _usd(value: float) -> str:
    return f"{value:.2f}"


def _options(kind: NodeKind, name: str) -> Any:
    return next((spec for spec in kind.inputs if spec.name == name), None)


def badge_widgets(kind: NodeKind) -> list[str]:
    """The widgets the price depends on, in lookup order."""
    names = ["model", "resolution", "duration"]
    return [name for name in names if _options(kind, name) is not None]


def price_labels(kind: NodeKind) -> dict[str, Any]:
    """``{model: {resolution: {duration: "1.20"}}}`` (no resolution level for video-edit),
    each label the catalogue's price of that run, to the cent."""
    resolution = _options(kind, "resolution")
    duration = _options(kind, "duration")
    labels: dict[str, Any] = {}
    for model in _options(kind, "model").options:
        spec = model_spec(model)
        if spec is None:  # pragma: no cover - the combo lists catalogue rows only
            continue
        low, high = spec.durations

        def by_duration(res: str, spec: Any = spec, low: int = low, high: int = high) -> dict:
            if duration.kind == "INT":
                return {str(s): _usd(spec.price(res, s)) for s in range(low, high + 1)}
            table = {
                str(s): _usd(spec.price(res, s))
                for s in range(low, high + 1)
                if str(s) in duration.options
            }
            if AUTO in duration.options:  # the input's length: anything the row allows
                table[AUTO] = f"{_usd(spec.price(res, low))}-{_usd(spec.price(res, high))}"
            return table

        if resolution is None:
            labels[model.lower()] = by_duration(UNSTATED_RESOLUTION)
        else:
            labels[model.lower()] = {
                res.lower(): by_duration(res)
                for res in resolution.options
                if res in spec.resolutions
            }
    return labels


def badge_expression(kind: NodeKind) -> str:
    """The JSONata the frontend evaluates; ``undefined`` (no badge) for unknown values."""
    lookup = "$labels"
    for name in badge_widgets(kind):
        key = f"$string(widgets.{name})" if name == "duration" else f"widgets.{name}"
        lookup = f"$lookup({lookup}, {key})"
    table = json.dumps(price_labels(kind), separators=(",", ":"), sort_keys=True)
    return (
        "(\n"
        f"  $labels := {table};\n"
        f"  $label := {lookup};\n"
        "  $refs := $count(inputs.*[connected]);\n"
        '  $type($label) = "string"\n'
        '    ? {"type": "text", "text": "~$" & $label & "/Run"'
        ' & ($refs > 0 ? " (" & $refs & ($refs = 1 ? " ref)" : " refs)") : "")}\n'
        "    : undefined\n"
        ")"
    )


def make_price_badge(io: Any, kind: NodeKind) -> Any | None:
    """The V3 ``PriceBadge`` for ``kind``, or None on a ComfyUI whose ``_io.py`` has none
    (the node then simply shows no badge)."""
    badge, depends = getattr(io, "PriceBadge", None), getattr(io, "PriceBadgeDepends", None)
    if badge is None or depends is None:
        return None
    return badge(
        expr=badge_expression(kind),
        depends_on=depends(widgets=badge_widgets(kind), inputs=list(kind.reference_names())),
    )
