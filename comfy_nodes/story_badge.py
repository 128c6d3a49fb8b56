"""The storyboard node's price badge: the whole board's price, read from its text.

The frontend evaluates a badge's JSONata in the browser with the widgets' values (a STRING
widget arrives trimmed and lower-cased). JSONata cannot parse YAML, and evaluating the
text as JSONata (``$eval``) would run code from a shared workflow in the user's browser,
so the badge *reads* the text with a few regular expressions instead, for the documented
file format (YAML block or flow style, or JSON):

* every ``prompt:`` key is a shot; every ``duration: N`` key is that many seconds, and a
  shot without one counts the board's default (5 s); comment lines are skipped;
* ``tier:`` and ``resolution:`` come from the node's ``tier`` / ``resolution`` widgets
  when they are set, else from the text, else the board's defaults (fast, 720p).

The badge says what it read, ``~$1.68/Run (3 shots, 14 s)``, so a board it misreads (a
``duration:`` inside a prompt, say) shows a shot count or length the user can see is
wrong; it shows nothing when the reading is impossible (more durations than prompts, no
shot, an unknown tier or resolution). The figure is the offline table's, like the other
badges: for each tier and resolution the price of every whole number of seconds a board
may hold is computed in Python from the catalogue and embedded as labels, so the browser
only counts and looks up. When the node runs it quotes every shot through the pricing API
before paying anything, and that figure is the one reserved and reported.
"""

from __future__ import annotations

import json
from typing import Any

from shared_client import MAX_STORY_SECONDS, Shot, Storyboard, model_spec
from shared_client import STORY_TIERS as TIERS

from .inputs import InputSpec

__all__ = ["BOARD", "STORY_MODES", "board_price_labels", "story_badge_expression"]

#: The widget value meaning "as the board says" (tier, resolution).
BOARD = "board"
#: What a storyboard's shots become; the badge prices a tier at its dearest of these.
STORY_MODES = ("text-to-video", "image-to-video", "video-extend")
#: The seconds a shot without ``duration`` lasts (the core's default).
DEFAULT_SHOT_SECONDS = next(
    f.default for f in Shot.__dataclass_fields__.values() if f.name == "duration"
)
DEFAULT_TIER = next(f.default for f in Storyboard.__dataclass_fields__.values() if f.name == "tier")
DEFAULT_RESOLUTION = next(
    f.default for f in Storyboard.__dataclass_fields__.values() if f.name == "resolution"
)


def _rate_models(tier: str) -> list[str]:
    """The model each kind of shot uses in ``tier`` (the core's own choice)."""
    board = Storyboard(title="badge", shots=(Shot("badge"),), tier=tier)  # type: ignore[arg-type]
    return [board.model_for(mode) for mode in STORY_MODES]  # type: ignore[arg-type]


def board_price_labels(resolutions: tuple[str, ...]) -> dict[str, dict[str, list[str]]]:
    """``{tier: {resolution: [label for 0 s, 1 s, ... 180 s]}}`` from the catalogue.

    A tier whose modes were priced differently is priced at its dearest mode, so the
    badge is never low; in today's catalogue they agree (the test checks the labels
    against the core's quote of real boards).
    """
    labels: dict[str, dict[str, list[str]]] = {}
    for tier in TIERS:
        specs = [model_spec(path) for path in _rate_models(tier)]
        labels[tier] = {}
        for res in resolutions:
            prices = [
                max(spec.price(res, seconds) for spec in specs if spec is not None)
                for seconds in range(MAX_STORY_SECONDS + 1)
            ]
            labels[tier][res.lower()] = [f"{p:.2f}" for p in prices]
    return labels


def _key(name: str) -> str:
    """A YAML/JSON key at the start of a line, a flow mapping or a list item."""
    return rf'(^|[\n\{{,-])[ \t]*"?{name}"?[ \t]*:[ \t]*'


def story_badge_expression(table: tuple[InputSpec, ...]) -> str:
    """The JSONata the frontend evaluates for the storyboard node."""
    resolutions = next(s for s in table if s.name == "resolution").options
    labels = board_price_labels(tuple(r for r in resolutions if r != BOARD))
    tiers = "|".join(TIERS)
    res = "|".join(r.lower() for r in resolutions if r != BOARD)
    data = json.dumps(labels, separators=(",", ":"), sort_keys=True)
    # Regex literals: JSONata's tokenizer counts unescaped brackets, hence "\{".
    return (
        "(\n"
        f"  $labels := {data};\n"
        '  $text := $replace($string(widgets.storyboard), /(^|\\n)[ \\t]*#[^\\n]*/, "$1");\n'
        f'  $durations := $match($text, /{_key("duration")}"?([0-9]+)/).groups[1];\n'
        f"  $shots := $count($match($text, /{_key('prompt')}/));\n"
        f'  $boardTier := $match($text, /{_key("tier")}"?({tiers})\\b/)[0].groups[1];\n'
        f'  $boardRes := $match($text, /{_key("resolution")}"?({res})\\b/)[0].groups[1];\n'
        f'  $tier := widgets.tier != "{BOARD}" ? widgets.tier'
        f' : ($exists($boardTier) ? $boardTier : "{DEFAULT_TIER}");\n'
        f'  $res := widgets.resolution != "{BOARD}" ? widgets.resolution'
        f' : ($exists($boardRes) ? $boardRes : "{DEFAULT_RESOLUTION.lower()}");\n'
        "  $given := $count($durations);\n"
        "  $seconds := ($given > 0 ? $sum($durations.$number($)) : 0)"
        f" + ($shots - $given) * {DEFAULT_SHOT_SECONDS};\n"
        "  $label := ($shots > 0 and $given <= $shots)"
        " ? $lookup($lookup($labels, $tier), $res)[$seconds] : undefined;\n"
        '  $type($label) = "string"\n'
        '    ? {"type": "text", "text": "~$" & $label & "/Run (" & $shots'
        ' & ($shots = 1 ? " shot, " : " shots, ") & $seconds & " s)"}\n'
        "    : undefined\n"
        ")"
    )


def make_story_badge(io: Any, table: tuple[InputSpec, ...]) -> Any | None:
    """The V3 ``PriceBadge`` (None on a ComfyUI without price badges)."""
    badge, depends = getattr(io, "PriceBadge", None), getattr(io, "PriceBadgeDepends", None)
    if badge is None or depends is None:
        return None
    return badge(
        expr=story_badge_expression(table),
        depends_on=depends(widgets=["storyboard", "tier", "resolution"]),
    )
