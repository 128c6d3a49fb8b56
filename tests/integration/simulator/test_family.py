"""Every Seedance 2.0 mode end to end over HTTP: media uploaded through the simulator,
outputs decoded with PyAV (length, audio, pixels), task-level media failures."""

from __future__ import annotations

import numpy as np
import pytest

from tests.support import plain_http
from tests.support.media import marked_png, pil_png

from .family_support import coloured_mp4, decode, mean_colour, output, run, upload, wav_bytes

S, F, M = "bytedance/seedance-2.0/", "bytedance/seedance-2.0-fast/", "bytedance/seedance-2.0-mini/"
T2V = S + "text-to-video"
EXTEND = F + "video-extend"
EDIT = S + "video-edit"
GREEN = (10, 200, 30)
INSET = (0.75, 0.65, 0.9, 0.85)  # inside the bottom-right reference inset


@pytest.fixture
def media(api):
    """Uploaded media: a 3 s MP4 (red, blue, yellow seconds), one with sound, a WAV, a PNG."""
    return {
        "video": upload(api, "in.mp4", coloured_mp4(3), "video/mp4"),
        "video_audio": upload(api, "talk.mp4", coloured_mp4(3, audio=True), "video/mp4"),
        "wav": upload(api, "voice.wav", wav_bytes(3), "audio/wav"),
        "image": upload(api, "ref.png", pil_png((200, 150), GREEN), "image/png"),
    }


def _body_for(model: str, media: dict[str, str]) -> dict:
    if "image-to-video" in model:
        return {"prompt": "a fox", "image": media["image"], "duration": 4}
    if "video-extend" in model:
        return {"prompt": "keep going", "video": media["video"], "duration": 4}
    if "video-edit" in model:
        return {"prompt": "make it dusk", "video": media["video"]}
    return {"prompt": "a city at night", "duration": 4}


@pytest.mark.parametrize(
    "model",
    [
        S + "text-to-video",
        S + "text-to-video-fast",
        S + "text-to-video-turbo",
        S + "image-to-video",
        S + "video-extend",
        S + "video-edit",
        F + "text-to-video",
        F + "text-to-video-turbo",
        F + "reference-to-video",
        F + "image-to-video",
        F + "video-extend",
        M + "image-to-video",
        M + "video-extend",
        M + "text-to-video",
        M + "text-to-video-turbo",
    ],
)
def test_every_catalogue_path_renders_a_playable_video(sim, api, media, model):
    video = output(api, model, _body_for(model, media))
    expected = 3 if "edit" in model else 7 if "extend" in model else 4
    assert video["seconds"] == pytest.approx(expected, abs=1 / video["fps"])
    # generate_audio defaults to true; the edit input is silent and has no reference audio
    assert video["audio"] is ("edit" not in model)
    assert sim.stats()["by_model"][model] == {"submitted": 1, "completed": 1, "failed": 0}


def test_text_to_video_with_references_composites_the_reference_image(api, media):
    body = {"prompt": "a lighthouse at dusk", "duration": 4, "resolution": "480p"}
    plain = output(api, T2V, body)
    with_refs = output(
        api,
        T2V,
        {
            **body,
            "reference_images": [media["image"]],
            "reference_videos": [media["video"]],
            "reference_audios": [media["wav"]],
        },
    )
    assert with_refs["seconds"] == pytest.approx(4, abs=0.13) and with_refs["audio"]
    assert with_refs["size"] == plain["size"] == (114, 64)  # fast mode, 16:9 by default
    for frame in (with_refs["frames"][0], with_refs["frames"][-1]):
        assert np.abs(mean_colour(frame, INSET) - GREEN).max() < 30  # the inset shows it
    assert np.abs(mean_colour(plain["frames"][0], INSET) - GREEN).max() > 30


def test_text_to_video_scene_follows_the_prompt_and_ratio(api):
    a = output(api, T2V, {"prompt": "a red desert", "duration": 4, "generate_audio": False})
    b = output(api, T2V, {"prompt": "a blue lagoon", "duration": 4, "aspect_ratio": "9:16"})
    assert a["audio"] is False and b["audio"] is True
    assert a["size"] == (114, 64) and b["size"] == (64, 114)
    assert not np.array_equal(a["frames"][0][:64, :64], b["frames"][0][:64, :64])


def test_extend_is_the_input_then_new_seconds_from_its_last_frame(api, media):
    video = output(api, EXTEND, {"prompt": "continue", "video": media["video"], "duration": 4})
    fps, frames = video["fps"], video["frames"]
    assert video["seconds"] == pytest.approx(3 + 4, abs=1 / fps)
    assert video["audio"] is True and video["audio_seconds"] == pytest.approx(7, abs=0.1)
    red, blue, yellow = (np.array(c) for c in ((220, 30, 30), (30, 30, 220), (230, 230, 30)))
    assert np.abs(mean_colour(frames[0]) - red).max() < 25
    assert np.abs(mean_colour(frames[int(1.5 * fps)]) - blue).max() < 25
    assert np.abs(mean_colour(frames[int(3 * fps) - 1]) - yellow).max() < 25
    for new in frames[int(3 * fps) :]:  # the new seconds continue from the yellow end
        assert np.abs(mean_colour(new) - yellow).max() < 25


def test_extend_moves_toward_last_image_and_chains_on_its_own_output(api, media):
    first = run(
        api,
        EXTEND,
        {
            "prompt": "zoom in",
            "video": media["video"],
            "duration": 4,
            "last_image": media["image"],
            "generate_audio": False,
        },
    )
    assert first["status"] == "completed"
    once = decode(plain_http.get(first["outputs"][0]).content)
    assert once["audio"] is False  # silent input, generate_audio false: no track
    assert np.abs(mean_colour(once["frames"][-1]) - GREEN).max() < 25
    twice = output(api, M + "video-extend", {"prompt": "more", "video": first["outputs"][0]})
    assert twice["seconds"] == pytest.approx(7 + 5, abs=1 / twice["fps"])


def test_extend_keeps_the_input_sound(api, media):
    video = output(
        api,
        EXTEND,
        {"prompt": "on", "video": media["video_audio"], "duration": 4, "generate_audio": False},
    )
    assert video["audio"] is True and video["audio_seconds"] == pytest.approx(7, abs=0.1)


def test_edit_changes_the_picture_and_keeps_the_length(api, media):
    video = output(api, EDIT, {"prompt": "warm grade", "video": media["video"]})
    assert video["seconds"] == pytest.approx(3, abs=1 / video["fps"])
    assert video["audio"] is False  # silent input, no reference audio
    assert np.abs(mean_colour(video["frames"][0], (0.2, 0.2, 0.6, 0.8)) - (220, 30, 30)).max() > 40
    longer = output(
        api,
        EDIT,
        {"prompt": "warm grade", "video": media["video"], "duration": 5, "aspect_ratio": "9:16"},
    )
    assert longer["seconds"] == pytest.approx(5, abs=1 / longer["fps"])
    assert longer["size"] == (64, 114)


def test_edit_audio_and_reference_image(api, media):
    base = {"prompt": "grade", "video": media["video"]}
    plain = output(api, EDIT, base)
    refs = output(
        api,
        EDIT,
        {**base, "reference_images": [media["image"]], "reference_audios": [media["wav"]]},
    )
    assert refs["audio"] is True and refs["audio_seconds"] == pytest.approx(3, abs=0.1)
    assert np.abs(mean_colour(refs["frames"][0], INSET) - GREEN).max() < 30
    assert np.abs(mean_colour(plain["frames"][0], INSET) - GREEN).max() > 30
    voiced = output(api, EDIT, {"prompt": "grade", "video": media["video_audio"]})
    assert voiced["audio"] is True


def test_edit_trims_an_input_longer_than_15_seconds(sim, api):
    long_video = upload(api, "long.mp4", coloured_mp4(17, fps=4, size=(64, 36)), "video/mp4")
    before = sim.balance()
    video = output(api, EDIT, {"prompt": "trim", "video": long_video})
    assert video["seconds"] == pytest.approx(15, abs=1 / video["fps"])
    assert sim.balance() == pytest.approx(before - 0.24 * 15, abs=1e-9)


@pytest.mark.parametrize(
    ("refs", "code", "words"),
    [
        ({"reference_videos": [("short", 1)]}, 1401, "reference_videos: total length 2 ~ 15 s"),
        ({"reference_videos": [("a", 8), ("b", 8)]}, 1401, "got 16.00 s"),
        ({"reference_audios": [("wav", 16)]}, 1401, "reference_audios: total length at most 15"),
        ({"reference_videos": [("png", 0)]}, 1402, "reference_videos[0] is not an MP4/MOV video"),
        ({"reference_audios": [("mp4", 3)]}, 1402, "reference_audios[0] is not an MP3/WAV"),
        (
            {"reference_images": [("png", 0), ("wav", 1)]},
            1402,
            "reference_images[1] is not an image",
        ),
    ],
)
def test_reference_media_the_api_refuses_fail_the_task_unbilled(sim, api, media, refs, code, words):
    def make(kind: str, seconds: int) -> str:
        if kind == "png":
            return upload(api, "x.png", marked_png(), "image/png")
        if kind == "wav":
            return upload(api, "x.wav", wav_bytes(seconds), "audio/wav")
        return upload(api, "x.mp4", coloured_mp4(seconds, fps=4, size=(32, 18)), "video/mp4")

    body = {"prompt": "x", "duration": 4, "reference_images": [media["image"]]}
    for name, items in refs.items():
        body[name] = [make(kind, seconds) for kind, seconds in items]
    before = sim.balance()
    result = run(api, T2V, body)
    assert result["status"] == "failed" and result["code"] == code
    assert words in result["error"]
    assert sim.balance() == before and sim.stats()["held_usd"] == 0


def test_unreachable_video_fails_the_task_with_1402(api, file_server):
    for model, body in (
        (EXTEND, {"prompt": "x", "video": f"{file_server.url}/gone.mp4"}),
        (EDIT, {"prompt": "x", "video": "https://example.com/far.mp4"}),
        (T2V, {"prompt": "x", "reference_images": [f"{file_server.url}/gone.png"]}),
    ):
        result = run(api, model, body)
        assert result["status"] == "failed" and result["code"] == 1402, model


def test_loopback_video_is_fetched_whole(api, file_server):
    file_server.files["/clip.mp4"] = ("video/mp4", coloured_mp4(3, size=(320, 180)))
    video = output(api, EXTEND, {"prompt": "x", "video": f"{file_server.url}/clip.mp4"})
    assert video["seconds"] == pytest.approx(3 + 5, abs=1 / video["fps"])
