"""The four Seedance 2.0 modes as operators: each a declaration of its request fields.

Everything they do is in :class:`~.base.SeedanceGenerationOperator` (submit, defer,
reattach, pay once, caps, download, asset events); a mode names its fields, their kinds
and the core request type that validates them. Defaults are the core's: each one is read
from the request type, so a limit or a default lives in one place.

Every media field takes an http(s) URL (sent as is), a local path or ``file://`` URI
(uploaded; one upload per distinct file in a request), an ``ObjectStoragePath`` or its URI
(read, uploaded), or an upstream Seedance task's result via XCom (its local video if it
exists, else its output URL).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from airflow_provider_seedance.operators.base import SeedanceGenerationOperator
from airflow_provider_seedance.operators.fields import (
    AUDIOS,
    BOOL,
    CHOICE,
    IMAGE,
    IMAGES,
    INT,
    OPTIONAL_CHOICE,
    OPTIONAL_IMAGE,
    OPTIONAL_INT,
    TEXT,
    VIDEO,
    VIDEOS,
    Field,
    template_fields_for,
)
from shared_client import (
    ImageToVideoRequest,
    TextToVideoRequest,
    VideoEditRequest,
    VideoExtendRequest,
)

_T2V, _I2V = TextToVideoRequest, ImageToVideoRequest
_EXT, _EDIT = VideoExtendRequest, VideoEditRequest


class SeedanceTextToVideoOperator(SeedanceGenerationOperator):
    """Generate a video from a prompt, optionally shaped by reference images, videos, audio.

    References keep a character, a product or a voice the same across a batch; the prompt
    may point at them as ``@Image1``, ``@Video1``, ``@Audio1`` (1-based, per kind). Limits
    (counts, sizes, seconds) are the model's catalogue row, checked before anything is paid.

    :param prompt: Scene, action, camera and mood. Templated, like every field below.
    :param reference_images: Images (characters, style, composition): list of media.
    :param reference_videos: Reference clips (2-15 s in all): list of media.
    :param reference_audios: Voice or sound (at most 15 s in all; needs an image or video).
    :param aspect_ratio: 16:9 (default), 9:16, 4:3, 3:4, 1:1, 21:9.
    :param resolution: 480p, 720p (default) or 1080p.
    :param duration: Seconds, 4 to 15 (default 5); a rendered ``"5"`` is 5.
    :param generate_audio: Native audio track (default True).
    :param enable_web_search: Let the model search the web (default False).
    :param model: Any text-to-video path of the catalogue (default: standard).

    The other parameters are :class:`~.base.SeedanceGenerationOperator`'s.
    """

    REQUEST = TextToVideoRequest
    FIELDS: Mapping[str, Field] = {
        "prompt": TEXT,
        "reference_images": IMAGES,
        "reference_videos": VIDEOS,
        "reference_audios": AUDIOS,
        "aspect_ratio": CHOICE,
        "resolution": CHOICE,
        "duration": INT,
        "generate_audio": BOOL,
        "enable_web_search": BOOL,
    }
    template_fields: Sequence[str] = template_fields_for(FIELDS)

    def __init__(
        self,
        *,
        prompt: str,
        reference_images: Any = _T2V.reference_images,
        reference_videos: Any = _T2V.reference_videos,
        reference_audios: Any = _T2V.reference_audios,
        aspect_ratio: str = _T2V.aspect_ratio,
        resolution: str = _T2V.resolution,
        duration: int | str = _T2V.duration,
        generate_audio: bool | str = _T2V.generate_audio,
        enable_web_search: bool | str = _T2V.enable_web_search,
        model: str = _T2V.model,
        **kwargs: Any,
    ) -> None:
        super().__init__(model=model, **kwargs)
        self._declare(
            prompt=prompt,
            reference_images=reference_images,
            reference_videos=reference_videos,
            reference_audios=reference_audios,
            aspect_ratio=aspect_ratio,
            resolution=resolution,
            duration=duration,
            generate_audio=generate_audio,
            enable_web_search=enable_web_search,
        )


class SeedanceImageToVideoOperator(SeedanceGenerationOperator):
    """Animate a start image (and optional last frame) with any image-to-video tier.

    :param prompt: Scene, action, camera movement and mood. Templated, like every field.
    :param image: Start frame (any media form, see the module docstring).
    :param last_image: Optional last frame, same forms as ``image``.
    :param aspect_ratio: 16:9, 9:16, 4:3, 3:4, 1:1, 21:9, or None to follow the image.
    :param resolution: 480p, 720p (default) or 1080p.
    :param duration: Seconds, 4 to 15 (default 5).
    :param generate_audio: Native audio track (default True).
    :param enable_web_search: Let the model search the web (default False).
    :param model: Any image-to-video path of the catalogue (default: mini).

    The other parameters are :class:`~.base.SeedanceGenerationOperator`'s.
    """

    REQUEST = ImageToVideoRequest
    FIELDS: Mapping[str, Field] = {
        "prompt": TEXT,
        "image": IMAGE,
        "last_image": OPTIONAL_IMAGE,
        "aspect_ratio": OPTIONAL_CHOICE,
        "resolution": CHOICE,
        "duration": INT,
        "generate_audio": BOOL,
        "enable_web_search": BOOL,
    }
    template_fields: Sequence[str] = template_fields_for(FIELDS)

    def __init__(
        self,
        *,
        prompt: str,
        image: Any,
        last_image: Any = _I2V.last_image,
        aspect_ratio: str | None = _I2V.aspect_ratio,
        resolution: str = _I2V.resolution,
        duration: int | str = _I2V.duration,
        generate_audio: bool | str = _I2V.generate_audio,
        enable_web_search: bool | str = _I2V.enable_web_search,
        model: str = _I2V.model,
        **kwargs: Any,
    ) -> None:
        super().__init__(model=model, **kwargs)
        self._declare(
            prompt=prompt,
            image=image,
            last_image=last_image,
            aspect_ratio=aspect_ratio,
            resolution=resolution,
            duration=duration,
            generate_audio=generate_audio,
            enable_web_search=enable_web_search,
        )


class SeedanceVideoExtendOperator(SeedanceGenerationOperator):
    """Continue a video from its last frame with ``duration`` new seconds.

    The output is the input followed by the new footage, in one file; only the new
    seconds are billed. ``video`` is typically an upstream generation's XCom
    (``video=generate.output``), so an extend follows an image-to-video in one DAG.

    :param prompt: What happens next. Templated, like every field.
    :param video: The video to continue (any media form, or an upstream result).
    :param last_image: Optional target end frame.
    :param duration: New seconds, 4 to 15 (default 5).
    :param resolution: 480p, 720p (default) or 1080p.
    :param generate_audio: Audio for the new seconds (default True).
    :param enable_web_search: Let the model search the web (default False).
    :param model: Any video-extend path of the catalogue (default: standard).

    The other parameters are :class:`~.base.SeedanceGenerationOperator`'s.
    """

    REQUEST = VideoExtendRequest
    FIELDS: Mapping[str, Field] = {
        "prompt": TEXT,
        "video": VIDEO,
        "last_image": OPTIONAL_IMAGE,
        "duration": INT,
        "resolution": CHOICE,
        "generate_audio": BOOL,
        "enable_web_search": BOOL,
    }
    template_fields: Sequence[str] = template_fields_for(FIELDS)

    def __init__(
        self,
        *,
        prompt: str,
        video: Any,
        last_image: Any = _EXT.last_image,
        duration: int | str = _EXT.duration,
        resolution: str = _EXT.resolution,
        generate_audio: bool | str = _EXT.generate_audio,
        enable_web_search: bool | str = _EXT.enable_web_search,
        model: str = _EXT.model,
        **kwargs: Any,
    ) -> None:
        super().__init__(model=model, **kwargs)
        self._declare(
            prompt=prompt,
            video=video,
            last_image=last_image,
            duration=duration,
            resolution=resolution,
            generate_audio=generate_audio,
            enable_web_search=enable_web_search,
        )


class SeedanceVideoEditOperator(SeedanceGenerationOperator):
    """Edit a video (trimmed to 15 s) as the prompt says, with optional references.

    :param prompt: The edit ("make it black and white", "swap the jacket for @Image1").
        Templated, like every field.
    :param video: The video to edit (any media form, or an upstream result).
    :param reference_images: Images to draw from: list of media.
    :param reference_audios: Sound to mix in: list of media.
    :param duration: Seconds, 4 to 15, or None (default) for the input's length.
    :param aspect_ratio: A ratio, or None (default) to keep the input's.
    :param model: Any video-edit path of the catalogue (default: standard).

    The other parameters are :class:`~.base.SeedanceGenerationOperator`'s.
    """

    REQUEST = VideoEditRequest
    FIELDS: Mapping[str, Field] = {
        "prompt": TEXT,
        "video": VIDEO,
        "reference_images": IMAGES,
        "reference_audios": AUDIOS,
        "duration": OPTIONAL_INT,
        "aspect_ratio": OPTIONAL_CHOICE,
    }
    template_fields: Sequence[str] = template_fields_for(FIELDS)

    def __init__(
        self,
        *,
        prompt: str,
        video: Any,
        reference_images: Any = _EDIT.reference_images,
        reference_audios: Any = _EDIT.reference_audios,
        duration: int | str | None = _EDIT.duration,
        aspect_ratio: str | None = _EDIT.aspect_ratio,
        model: str = _EDIT.model,
        **kwargs: Any,
    ) -> None:
        super().__init__(model=model, **kwargs)
        self._declare(
            prompt=prompt,
            video=video,
            reference_images=reference_images,
            reference_audios=reference_audios,
            duration=duration,
            aspect_ratio=aspect_ratio,
        )


#: The operator of each mode, by the core's mode name (``TextToVideoRequest.MODE``, ...).
OPERATORS_BY_MODE: Mapping[str, type[SeedanceGenerationOperator]] = {
    op.REQUEST.MODE: op
    for op in (
        SeedanceTextToVideoOperator,
        SeedanceImageToVideoOperator,
        SeedanceVideoExtendOperator,
        SeedanceVideoEditOperator,
    )
}
