"""How the command line names what the core calls a field: its options and 1-based numbers.

The core's errors name Python arguments (``reference_images[0]``, ``max_cost_usd``,
``shots[1].duration``); at the command line the same error names the option a person
typed and counts as people count (``--reference-image 1``, ``--max-cost``, ``shot 2
duration``). Errors render themselves through :func:`cli_words` (``in_words``), so the
message is written once, in the core, and each face only supplies its names.
"""

from __future__ import annotations

import re

#: Python argument -> command-line option (the positional sources by their metavar).
_OPTIONS = {
    "api_key": "--api-key-file PATH",
    "base_url": "--base-url",
    "dest": "--out",
    "max_cost_usd": "--max-cost",
    "image": "IMAGE",
    "video": "VIDEO",
    "last_image": "--last-image",
    "reference_images": "--reference-image",
    "reference_videos": "--reference-video",
    "reference_audios": "--reference-audio",
    "aspect_ratio": "--aspect-ratio",
    "generate_audio": "--audio/--no-audio",
    "poll_interval": "--poll-interval",
    "extra": "extra",
    "transport": "transport",
}

_PART = re.compile(r"(?P<name>[a-z_]+)(?:\[(?P<index>\d+)\])?")


def cli_words(field: str) -> str:
    """``reference_images[1]`` -> ``--reference-image 2``; ``shots[1].duration`` ->
    ``shot 2 duration``; a name the CLI does not spell differently gets dashes."""
    words = []
    for part in field.split("."):
        match = _PART.fullmatch(part)
        if match is None:
            words.append(part)
            continue
        name, index = match["name"], match["index"]
        if name == "shots":
            words.append("shot" if index is None else f"shot {int(index) + 1}")
            continue
        if words:  # inside a board: "shot 2 image", not an option
            option = name.replace("_", " ")
        else:
            option = _OPTIONS.get(name) or f"--{name.replace('_', '-')}"
        words.append(option if index is None else f"{option} {int(index) + 1}")
    return " ".join(words)
