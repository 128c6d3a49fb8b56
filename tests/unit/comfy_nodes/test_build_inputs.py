"""Socket values -> request: bad values are rejected with the field named, never coerced."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from comfy_nodes.errors import NodeInputError
from comfy_nodes.nodes import build_inputs


def _values(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "image": torch.rand(1, 16, 16, 3),
        "prompt": "a slow pan",
        "model": "bytedance/seedance-2.0-mini/image-to-video",
        "resolution": "480p",
        "aspect_ratio": "auto",
        "duration": 4,
        "generate_audio": True,
        "enable_web_search": False,
        "seed": 0,
    }
    values.update(overrides)
    return values


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("image", None),
        ("last_image", "not an image"),
        ("duration", 5.5),  # int() would have turned it into 5 silently
        ("duration", "five"),
        ("generate_audio", "no"),  # bool() would have turned it into True
        ("seed", -1),
        ("seed", "7"),
        ("prompt", ""),
    ],
)
def test_bad_values_raise_a_node_input_error_naming_the_field(field: str, value: Any) -> None:
    with pytest.raises(NodeInputError, match=rf"^{field}"):
        build_inputs(**_values(**{field: value})).to_request()


def test_good_values_pass_through_unchanged() -> None:
    inputs = build_inputs(**_values(duration=15, seed=2_147_483_647))
    request = inputs.to_request()
    assert (request.duration, inputs.seed, request.generate_audio) == (15, 2_147_483_647, True)
