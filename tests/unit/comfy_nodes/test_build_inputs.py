"""Socket values -> request: bad values are rejected with the field named, never coerced."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from comfy_nodes.errors import NodeInputError
from comfy_nodes.nodes import build_inputs
from tests.support.comfy import node_values


def _values(**overrides: Any) -> dict[str, Any]:
    return node_values(torch.rand(1, 16, 16, 3), "a slow pan", 0, **overrides)


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
