"""Property tests the unit fuzzing (tests/unit/shared_client/test_fuzz.py) does not cover.

Output file planning, download response headers, ``Retry-After``, every request field
(including ``last_image``, bytes images, the model and both flags) and the
``Prediction`` dict round trip used by XCom and trigger events: any input gives a valid
result or a ``SeedanceError``, never another exception, and never a path outside the
destination folder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared_client import (
    ImageToVideoRequest,
    InvalidRequestError,
    Prediction,
    PredictionStatus,
    SeedanceError,
)
from shared_client.download import DownloadTarget, PartialFile, plan_download
from shared_client.protocol import parse_retry_after
from tests.support.fuzz import examples

FOLDER_SETTINGS = settings(
    max_examples=examples(300),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
url_paths = st.lists(
    st.sampled_from([*"abc./\\%_-~ :?#", "%2F", "%2e%2e", "..", "%00", "%5C", ".mp4", "A" * 90]),
    max_size=12,
).map("".join)


@FOLDER_SETTINGS
@given(path=url_paths, pid=st.none() | st.text(max_size=30), index=st.integers(0, 3))
def test_planned_downloads_always_land_inside_the_folder(
    tmp_path: Path, path: str, pid: str | None, index: int
) -> None:
    folder = tmp_path / "out"
    folder.mkdir(exist_ok=True)
    url = f"https://cdn.example.com/{path}"
    source: Any = url
    if pid is not None:
        if not pid.strip():
            return  # a Prediction always has an id (the parser rejects blank ones)
        source = Prediction(id=pid, status=PredictionStatus.COMPLETED, outputs=[url] * 4)
    try:
        target = plan_download(source, folder, index)
    except SeedanceError:
        return
    assert target.path.resolve().parent == folder.resolve()
    assert target.path.name not in ("", ".", "..")
    assert not target.path.name.startswith(".")


header_values = st.text(
    st.characters(min_codepoint=32, max_codepoint=126), max_size=30
) | st.sampled_from(
    ["bytes 0-9/10", "bytes 5-9/10", "bytes 5-9/*", "bytes */10", "-1", "10", "1e3", ""]
)


@FOLDER_SETTINGS
@given(
    status=st.integers(100, 599),
    length=header_values,
    content_range=header_values,
    received=st.integers(0, 20),
    body=st.binary(max_size=64),
)
def test_any_download_response_head_is_digested_or_a_seedance_error(
    tmp_path: Path, status: int, length: str, content_range: str, received: int, body: bytes
) -> None:
    part = PartialFile(DownloadTarget("https://cdn.example.com/v.mp4", tmp_path / "v.mp4"))
    try:
        part.write(b"x" * received)
        headers = httpx.Headers({"content-length": length, "content-range": content_range})
        try:
            part.begin(status, headers, body)
            part.write(b"y" * 10)
            part.end_of_body()
        except SeedanceError:
            return
        assert part.expected is None or part.expected >= 0
    finally:
        part.abort()
    assert not (tmp_path / "v.mp4").exists()


@settings(max_examples=examples(500), deadline=None)
@given(value=st.none() | st.text(max_size=40) | st.floats().map(str) | st.integers().map(str))
def test_retry_after_is_none_or_bounded_seconds(value: str | None) -> None:
    seconds = parse_retry_after(value)
    assert seconds is None or 0.0 <= seconds <= 3600.0


anything = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
    | st.binary(max_size=24),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=8,
)  # fmt: skip
images = anything | st.sampled_from(
    ["https://x/y.png", "http://", "data:text/plain,hi", "data:image/png;base64,AA",
     "s3://bucket/k.png", "  ", b"\x89PNG\r\n\x1a\n0000", b"GIF89a", b"RIFF0000WEBP"]
)  # fmt: skip


@settings(max_examples=examples(500), deadline=None)
@given(
    image=images,
    last_image=images,
    model=anything | st.sampled_from(["bytedance/seedance-2.0/image-to-video", ""]),
    web=anything,
    audio=anything,
    extra=anything | st.dictionaries(st.integers() | st.text(max_size=8), anything, max_size=3),
)
def test_every_request_field_yields_a_request_or_invalid_request_error(
    image: Any, last_image: Any, model: Any, web: Any, audio: Any, extra: Any
) -> None:
    try:
        request = ImageToVideoRequest(
            prompt="a slow pan",
            image=image,
            last_image=last_image,
            model=model,
            enable_web_search=web,
            generate_audio=audio,
            extra_params=extra,
        )
    except InvalidRequestError as exc:
        assert exc.field in {
            "image", "last_image", "model", "enable_web_search", "generate_audio", "extra_params"
        }  # fmt: skip
        assert exc.field in str(exc)
        return
    assert isinstance(request.enable_web_search, bool)
    assert isinstance(request.generate_audio, bool)
    json.dumps(request.to_body({"image": "https://x", "last_image": "https://y"}))


@settings(max_examples=examples(300), deadline=None)
@given(
    pid=st.text(min_size=1, max_size=20),
    status=st.sampled_from(list(PredictionStatus)),
    outputs=st.lists(st.text(max_size=20), max_size=3),
    error=st.none() | st.text(max_size=20),
    code=st.none() | st.integers(),
    inference=st.none() | st.integers(0, 10**9),
    nsfw=st.lists(st.booleans(), max_size=3),
)
def test_prediction_survives_the_json_round_trip_of_xcom_and_trigger_events(
    pid: str,
    status: PredictionStatus,
    outputs: list[str],
    error: str | None,
    code: int | None,
    inference: int | None,
    nsfw: list[bool],
) -> None:
    prediction = Prediction(
        id=pid,
        status=status,
        outputs=outputs,
        error=error,
        error_code=code,
        inference_ms=inference,
        has_nsfw_contents=nsfw,
    )
    assert Prediction.from_dict(json.loads(json.dumps(prediction.to_dict()))) == prediction
