"""How a generation operator declares its request fields, renders them and checks them.

Each mode operator is a list of fields (:class:`Field`: what kind of value, whether None
is allowed) plus the core's request type. From that one declaration follow:

* ``template_fields``: every request field is templated, numbers and booleans included,
  so ``duration="{{ params.seconds }}"`` and an XCom allocation for ``max_cost_usd``
  work like any string field;
* rendering: a rendered ``"5"`` becomes ``5`` and ``"false"`` becomes ``False`` (Jinja
  renders to strings unless the DAG renders native objects); media values become what
  the client accepts (:func:`~..storage.resolve_media`);
* the parse-time check: literal values are validated when the DAG file is parsed, by the
  core's own request type, with placeholders standing in for media (a file may exist
  only on the worker) and the core's defaults for values not known yet (templates,
  XComArgs). The same request type validates the rendered values at execute time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from airflow_provider_seedance.storage import resolve_media, resolve_media_list

Kind = Literal["text", "choice", "int", "bool", "media", "media_list"]
MediaKind = Literal["image", "video", "audio"]

#: Stand-ins for media at parse time: remote URLs, which the core does not open.
PLACEHOLDERS: Mapping[str, str] = {
    "image": "https://example.invalid/placeholder.png",
    "video": "https://example.invalid/placeholder.mp4",
    "audio": "https://example.invalid/placeholder.mp3",
}
_NONE_TEXTS = ("", "none", "null")


@dataclass(frozen=True)
class Field:
    """One request field of an operator: its kind, its media kind, whether None is allowed."""

    kind: Kind
    media: MediaKind | None = None
    optional: bool = False


TEXT = Field("text")
CHOICE = Field("choice")
OPTIONAL_CHOICE = Field("choice", optional=True)
INT = Field("int")
OPTIONAL_INT = Field("int", optional=True)
BOOL = Field("bool")
IMAGE = Field("media", "image")
OPTIONAL_IMAGE = Field("media", "image", optional=True)
VIDEO = Field("media", "video")
IMAGES = Field("media_list", "image")
VIDEOS = Field("media_list", "video")
AUDIOS = Field("media_list", "audio")


def is_plain(value: Any) -> bool:
    """True for literal values; False for XComArgs, templates and other deferred values."""
    if isinstance(value, str):
        return "{{" not in value and "{%" not in value
    return value is None or isinstance(value, bool | int | float | Mapping)


def coerce(name: str, field: Field, value: Any) -> Any:
    """A rendered value as the request expects it; anything unexpected is passed on so the
    request refuses it with its own message naming the field."""
    if field.optional and (value is None or _is_none_text(value)):
        return None
    if field.kind == "int":
        if isinstance(value, str) and value.strip().isdigit():
            return int(value)
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value
    if field.kind == "bool" and isinstance(value, str):
        lowered = value.strip().lower()
        return {"true": True, "false": False}.get(lowered, value)
    if field.kind == "media":
        return resolve_media(value, name)
    if field.kind == "media_list":
        return resolve_media_list(value, name)
    return value


def _is_none_text(value: Any) -> bool:
    """A template that rendered None (``"None"``) or nothing means "not set"."""
    return isinstance(value, str) and value.strip().lower() in _NONE_TEXTS


def request_kwargs(fields: Mapping[str, Field], values: Mapping[str, Any]) -> dict[str, Any]:
    """The request's keyword arguments from rendered ``values`` (missing: the core's
    defaults); ``model`` and ``extra_params`` travel with them."""
    kwargs = {
        name: coerce(name, field, values[name]) for name, field in fields.items() if name in values
    }
    if "model" in values:
        kwargs["model"] = values["model"]
    if values.get("extra_params"):
        kwargs["extra_params"] = values["extra_params"]
    return kwargs


def literal_kwargs(fields: Mapping[str, Field], values: Mapping[str, Any]) -> dict[str, Any] | None:
    """The request's keyword arguments for the parse-time check, or None to skip it.

    Media become placeholders (one per literal list item, so reference counts and the
    prompt's ``@Image2`` tags are still checked); a value that is not literal yet is left
    to the core's default. The prompt is checked only when it and every reference list
    are literal (a tag may name a reference an XCom list will bring). Skipped entirely
    when the model is not literal: the allowed values depend on its catalogue row.
    """
    if not is_plain(values.get("model")):
        return None
    kwargs: dict[str, Any] = {}
    counts_known = True
    for name, field in fields.items():
        value = values.get(name)
        if field.kind == "media":
            kwargs[name] = None if value is None else PLACEHOLDERS[str(field.media)]
        elif field.kind == "media_list":
            if isinstance(value, list | tuple):
                kwargs[name] = tuple(PLACEHOLDERS[str(field.media)] for _ in value)
            elif value is not None:
                counts_known = False
        elif is_plain(value):
            kwargs[name] = coerce(name, field, value)
    if not (counts_known and is_plain(values.get("prompt"))):
        kwargs["prompt"] = "x"
    kwargs["model"] = values.get("model")
    extra = values.get("extra_params")
    if extra and is_plain(extra):
        kwargs["extra_params"] = extra
    return kwargs


def template_fields_for(fields: Mapping[str, Field]) -> tuple[str, ...]:
    """Every request field, the model and the escape hatch, the output and the cap."""
    return (*fields, "model", "extra_params", "output_path", "max_cost_usd")
