"""The four mode operators (``operators/modes.py``) against the simulator.

Each is a declaration over one base, so these tests prove what a declaration decides:
the fields and their defaults, templating of every request field (a rendered ``"5"`` is
5), parse-time checks naming the field, media in every form (references uploaded once,
an upstream task's XCom as the input video), and mapping with ``.partial().expand()`` /
``.expand_kwargs()``.
"""

from __future__ import annotations

import inspect
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import DAG, TaskDeferred

from airflow_provider_seedance.operators.modes import OPERATORS_BY_MODE
from airflow_provider_seedance.operators.seedance import (
    SeedanceImageToVideoOperator,
    SeedanceTextToVideoOperator,
    SeedanceVideoEditOperator,
    SeedanceVideoExtendOperator,
)
from shared_client import (
    ImageToVideoRequest,
    InvalidRequestError,
    TextToVideoRequest,
    VideoEditRequest,
    VideoExtendRequest,
    default_model,
    models_for,
)
from tests.support import plain_http
from tests.support.media import probe_mp4

REMOTE_PNG = "https://example.com/a.png"
REMOTE_MP4 = "https://example.com/a.mp4"


def task_input(sim: Any, prediction_id: str) -> dict[str, Any]:
    """The body the simulator received for ``prediction_id`` (from its history)."""
    response = plain_http.post(
        f"{sim.base_url}/api/v3/predictions",
        json={"page": 1, "page_size": 100},
        headers={"Authorization": f"Bearer {sim.api_key}"},
    )
    (item,) = [i for i in response.json()["data"]["items"] if i["id"] == prediction_id]
    return dict(item["input"])


def t2v(**kwargs: Any) -> SeedanceTextToVideoOperator:
    return SeedanceTextToVideoOperator(
        **{"task_id": "t2v", "prompt": "a fox", "poll_interval": 0.2, **kwargs}
    )


def extend(**kwargs: Any) -> SeedanceVideoExtendOperator:
    return SeedanceVideoExtendOperator(
        **{"task_id": "extend", "prompt": "it walks on", "poll_interval": 0.2, **kwargs}
    )


def edit(**kwargs: Any) -> SeedanceVideoEditOperator:
    return SeedanceVideoEditOperator(
        **{"task_id": "edit", "prompt": "black and white", "poll_interval": 0.2, **kwargs}
    )


@pytest.mark.parametrize(
    ("operator", "request_type"),
    [
        (SeedanceTextToVideoOperator, TextToVideoRequest),
        (SeedanceImageToVideoOperator, ImageToVideoRequest),
        (SeedanceVideoExtendOperator, VideoExtendRequest),
        (SeedanceVideoEditOperator, VideoEditRequest),
    ],
)
def test_each_mode_takes_its_defaults_from_the_core_and_templates_every_request_field(
    operator: Any, request_type: Any
) -> None:
    assert OPERATORS_BY_MODE[request_type.MODE] is operator
    params = inspect.signature(operator.__init__).parameters
    assert params["model"].default == default_model(request_type.MODE)
    for name in operator.FIELDS:
        if params[name].default is not inspect.Parameter.empty:
            assert params[name].default == getattr(request_type, name), name
    assert set(operator.FIELDS) | {"model", "extra_params", "max_cost_usd", "output_path"} == set(
        operator.template_fields
    )


def test_the_image_operator_takes_any_image_to_video_tier() -> None:
    for model in models_for("image-to-video"):
        request = SeedanceImageToVideoOperator(
            task_id="i2v", prompt="x", image=REMOTE_PNG, model=model
        ).build_request()
        assert request.model == model
    with pytest.raises(InvalidRequestError, match="model"):
        SeedanceImageToVideoOperator(
            task_id="i2v", prompt="x", image=REMOTE_PNG, model=default_model("text-to-video")
        )


@pytest.mark.parametrize(
    ("build", "field", "value"),
    [
        (t2v, "duration", 16),
        (t2v, "aspect_ratio", "2:1"),
        (t2v, "resolution", "4k"),
        (t2v, "generate_audio", "yes"),
        (t2v, "reference_images", [REMOTE_PNG] * 10),
        (t2v, "reference_audios", ["https://example.com/a.mp3"]),  # audio alone
        (extend, "duration", 3),
        (extend, "model", default_model("video-edit")),
        (edit, "aspect_ratio", "5:4"),
        (edit, "duration", 99),
    ],
)
def test_bad_literal_values_fail_when_the_dag_is_parsed_naming_the_field(
    build: Any, field: str, value: Any
) -> None:
    media = {} if build is t2v else {"video": REMOTE_MP4}
    with pytest.raises(InvalidRequestError) as info:
        build(**media, **{field: value})
    assert info.value.field.startswith(field)


def test_a_prompt_tag_naming_a_missing_reference_fails_at_parse_time_if_lists_are_literal() -> None:
    with pytest.raises(InvalidRequestError, match="@Image2"):
        t2v(prompt="@Image1 meets @Image2", reference_images=[REMOTE_PNG])
    # An XCom list may bring the second image: nothing to say before it is rendered.
    t2v(prompt="@Image1 meets @Image2", reference_images="{{ ti.xcom_pull('refs') }}")


def test_templated_numbers_booleans_and_choices_render_and_are_validated_at_execute() -> None:
    op = t2v(
        duration="{{ params.seconds }}",
        resolution="{{ params.res }}",
        aspect_ratio="{{ params.ratio }}",
        generate_audio="{{ params.audio }}",
        model="{{ params.model }}",
        params={"seconds": 6, "res": "480p", "ratio": "9:16", "audio": False},
    )
    op.render_template_fields(
        {
            "params": {
                "seconds": 6,
                "res": "480p",
                "ratio": "9:16",
                "audio": False,
                "model": default_model("text-to-video"),
            }
        }
    )
    request = op.build_request()
    assert (request.duration, request.resolution, request.aspect_ratio) == (6, "480p", "9:16")
    assert request.generate_audio is False
    bad = t2v(duration="{{ params.seconds }}")
    bad.render_template_fields({"params": {"seconds": 99}})
    with pytest.raises(InvalidRequestError) as info:
        bad.build_request()
    assert info.value.field == "duration" and "99" in str(info.value)


def test_optional_fields_rendered_empty_mean_unset() -> None:
    op = edit(video=REMOTE_MP4, duration="{{ params.d }}", aspect_ratio="{{ params.r }}")
    op.render_template_fields({"params": {"d": None, "r": ""}})
    request = op.build_request()
    assert request.duration is None and request.aspect_ratio is None


def test_text_to_video_with_references_uploads_each_file_once_and_renders(
    sim: Any,
    wavespeed_conn: str,
    context: dict[str, Any],
    character: Path,
    voice: Path,
    tmp_path: Path,
    decode: Any,
) -> None:
    copy = tmp_path / "same-character.png"
    copy.write_bytes(character.read_bytes())
    op = t2v(
        prompt="@Image1 and @Image2 walk through the store, @Audio1 hums",
        reference_images=[str(character), str(copy)],
        reference_audios=[str(voice)],
        resolution="480p",
        duration="4",
        deferrable=False,
        output_path=str(tmp_path / "out"),
    )
    result = op.execute(context)
    assert sim.stats()["uploads"] == 2  # the image (twice, same bytes) once, the voice once
    assert sim.stats()["submissions"] == 1
    assert decode(result["video_paths"][0]) > 0
    sent = task_input(sim, result["prediction_id"])
    assert len(sent["reference_images"]) == 2 and len(set(sent["reference_images"])) == 1


def test_extend_follows_an_upstream_results_local_video(
    sim: Any, wavespeed_conn: str, context: dict[str, Any], clip: Path, tmp_path: Path
) -> None:
    upstream = {"video_paths": [str(clip)], "video_urls": ["https://gone.invalid/x.mp4"]}
    op = extend(
        video="{{ ti.xcom_pull('generate') }}",
        duration=4,
        deferrable=False,
        output_path=str(tmp_path / "out"),
    )
    op.video = upstream  # what rendering the XComArg / template yields
    result = op.execute(context)
    assert sim.stats()["uploads"] == 1  # the local file, not the dead URL
    made = probe_mp4(result["video_paths"][0])
    assert made["duration"] >= probe_mp4(clip)["duration"] + 3.5  # input + new seconds


def test_extend_uses_the_upstream_url_when_its_file_is_on_another_machine(
    sim: Any, wavespeed_conn: str, context: dict[str, Any], clip: Path
) -> None:
    from shared_client import SeedanceClient

    with SeedanceClient(api_key=sim.api_key, base_url=sim.base_url) as client:
        url = client.upload(clip)
    sim.reset_stats()
    sim.set_generation_time(30.0)
    op = extend(video={"video_paths": ["/elsewhere/not-here.mp4"], "video_urls": [url]})
    with pytest.raises(TaskDeferred):
        op.execute(context)
    assert sim.stats()["uploads"] == 0
    assert task_input(sim, context["ti"].xcom["prediction_id"])["video"] == url


def test_edit_with_a_reference_image_renders(
    sim: Any,
    wavespeed_conn: str,
    context: dict[str, Any],
    clip: Path,
    character: Path,
    tmp_path: Path,
    decode: Any,
) -> None:
    op = edit(
        video=str(clip),
        reference_images=[str(character)],
        deferrable=False,
        output_path=str(tmp_path / "out"),
    )
    result = op.execute(context)
    assert decode(result["video_paths"][0]) > 0
    assert sim.stats()["uploads"] == 2 and sim.stats()["submissions"] == 1


def test_a_media_field_refuses_a_result_without_videos_naming_the_field() -> None:
    op = extend(video={"prediction_id": "abc", "video_paths": [], "video_urls": []})
    with pytest.raises(InvalidRequestError) as info:
        op.build_request()
    assert info.value.field == "video"


@pytest.mark.parametrize(
    ("operator", "item"),
    [
        (SeedanceTextToVideoOperator, {"prompt": "a", "reference_images": [REMOTE_PNG]}),
        (SeedanceImageToVideoOperator, {"prompt": "a", "image": REMOTE_PNG}),
        (SeedanceVideoExtendOperator, {"prompt": "a", "video": REMOTE_MP4}),
        (SeedanceVideoEditOperator, {"prompt": "a", "video": REMOTE_MP4}),
    ],
)
def test_every_mode_maps_with_expand_and_expand_kwargs(operator: Any, item: dict) -> None:
    with DAG(f"map_{operator.__name__}", schedule=None, start_date=datetime(2026, 1, 1)):
        by_field = operator.partial(task_id="by_field", **item).expand(duration=["5", 6])
        model = models_for(operator.REQUEST.MODE)[-1]
        by_kwargs = operator.partial(task_id="by_kwargs", model=model).expand_kwargs(
            [{**item, "duration": 4, "max_cost_usd": "1.0"}]
        )
    unmapped = by_field.unmap({"duration": "5"})
    unmapped.render_template_fields({})
    assert unmapped.build_request().duration == 5
    single = by_kwargs.unmap({**item, "duration": 4, "max_cost_usd": "1.0"})
    assert single.build_request().model == model
    assert single._cap() == 1.0
