"""Property tests: whatever the server or the caller sends, only SeedanceError comes out."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from shared_client import ImageToVideoRequest, InvalidRequestError, SeedanceError
from shared_client import protocol as p
from tests.support.fuzz import examples

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
prediction_like = st.fixed_dictionaries(
    {},
    optional={
        "id": json_values | st.text(min_size=1, max_size=10),
        "status": json_values
        | st.sampled_from(["created", "processing", "completed", "failed", "x"]),
        "outputs": json_values
        | st.lists(st.text(min_size=1) | st.fixed_dictionaries({"url": json_values})),
        "urls": json_values | st.fixed_dictionaries({"get": json_values}),
        "timings": json_values | st.fixed_dictionaries({"inference": json_values}),
        "has_nsfw_contents": json_values,
        "error": json_values,
        "code": json_values,
        "created_at": json_values,
        "model": json_values,
    },
)
envelopes = st.fixed_dictionaries(
    {},
    optional={
        "code": json_values | st.just(200),
        "message": json_values,
        "data": json_values | prediction_like,
    },
)


@settings(max_examples=examples(400), deadline=None)
@given(
    status=st.sampled_from([200, 201, 400, 401, 403, 404, 429, 500, 502, 503]),
    payload=envelopes | json_values,
)
def test_any_json_envelope_yields_a_prediction_or_a_seedance_error(
    status: int, payload: Any
) -> None:
    body = json.dumps(payload).encode()
    try:
        data = p.interpret_response(status, httpx.Headers({"retry-after": "1"}), body)
        prediction = p.parse_prediction(data)
        p.check_outcome(prediction) if prediction.is_terminal else None
    except SeedanceError:
        return
    assert isinstance(prediction.outputs, list)
    assert all(isinstance(u, str) for u in prediction.outputs)


@settings(max_examples=examples(200), deadline=None)
@given(status=st.integers(100, 599), body=st.binary(max_size=200), retry_after=st.text(max_size=30))
def test_any_bytes_yield_data_or_a_seedance_error(
    status: int, body: bytes, retry_after: str
) -> None:
    with contextlib.suppress(SeedanceError):
        p.interpret_response(status, {"retry-after": retry_after}, body)


@settings(max_examples=examples(300), deadline=None)
@given(
    prompt=json_values | st.text(max_size=30),
    image=json_values
    | st.sampled_from(["https://x/y.png", "data:image/png;base64,AA", "nope.png"]),
    aspect_ratio=json_values | st.sampled_from(["16:9", "2:1", None]),
    resolution=json_values | st.sampled_from(["480p", "4k"]),
    duration=json_values | st.integers(0, 20),
    generate_audio=json_values,
    extra=st.none() | st.dictionaries(st.text(max_size=12), json_values, max_size=3),
)
def test_request_validation_only_ever_raises_invalid_request_error(
    prompt: Any,
    image: Any,
    aspect_ratio: Any,
    resolution: Any,
    duration: Any,
    generate_audio: Any,
    extra: Any,
) -> None:
    try:
        request = ImageToVideoRequest(
            prompt=prompt,
            image=image,
            aspect_ratio=aspect_ratio,
            resolution=resolution,
            duration=duration,
            generate_audio=generate_audio,
            extra_params=extra,
        )
    except InvalidRequestError as exc:
        assert exc.field in {
            "prompt",
            "image",
            "aspect_ratio",
            "resolution",
            "duration",
            "generate_audio",
            "extra_params",
        }
        return
    json.dumps(request.to_body({"image": "https://x"}))
