"""What every generation request shares: its model row, media fields, body and billed seconds.

A request is a frozen dataclass validated when built, so a bad one never reaches the
network. The submit flow asks any request the same three things: which media fields it
has (to upload the local ones, each distinct file once), the JSON body given the URLs they
resolved to, and the seconds the offline price table bills. One code path then serves
every mode.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, TypeAlias

from .catalogue import Mode, ModelSpec, is_family_path, model_spec, models_for
from .errors import InvalidRequestError, allowed_values
from .media import UploadSource
from .validation import check_extra_params, describe_source

__all__ = ["MediaSource", "MediaValue", "RequestBase", "resolve_model"]

#: A media input: an http(s) URL (or ``data:`` URI), a local path, bytes, or an open
#: binary file. Local media is uploaded before the submit.
MediaSource: TypeAlias = UploadSource
#: A media field's value: one source, or a tuple of them for the reference lists.
MediaValue: TypeAlias = "MediaSource | tuple[MediaSource, ...]"


def resolve_model(mode: Mode, model: object) -> ModelSpec | None:
    """The catalogue row of ``model`` for a request of ``mode``.

    None for a Seedance 2.0 path the catalogue does not know (the server validates it);
    :class:`InvalidRequestError` for anything else that is not a row of this mode.
    """
    allowed = allowed_values(models_for(mode)) + ", or another bytedance/seedance-2.0* path"
    if not isinstance(model, str):
        raise InvalidRequestError("model", model, allowed, reason="not a string:")
    spec = model_spec(model)
    if spec is None:
        if is_family_path(model):
            return None
        raise InvalidRequestError("model", model, allowed, reason="unknown model")
    if spec.mode != mode:
        raise InvalidRequestError(
            "model", model, allowed, reason=f"a {spec.mode} model, not {mode}:"
        )
    return spec


class RequestBase:
    """Shared behaviour; subclasses are frozen dataclasses with these attributes."""

    MODE: ClassVar[Mode]
    #: Body fields that hold media (single values or lists), in body order.
    MEDIA_FIELDS: ClassVar[tuple[str, ...]]
    #: Every field the body can carry: ``extra_params`` may not redefine them.
    KNOWN_FIELDS: ClassVar[frozenset[str]]

    model: str
    extra_params: Mapping[str, Any] | None

    @property
    def spec(self) -> ModelSpec | None:
        """The model's catalogue row (None for a path only the server knows)."""
        return model_spec(self.model)

    def media_inputs(self) -> dict[str, MediaValue]:
        """The media fields that are set, by API field name (lists as tuples)."""
        found: dict[str, MediaValue] = {}
        for name in self.MEDIA_FIELDS:
            value = getattr(self, name)
            if value is None or (isinstance(value, tuple) and not value):
                continue
            found[name] = value
        return found

    def scalar_fields(self) -> dict[str, Any]:
        """The body's non-media fields, without the unset optional ones."""
        raise NotImplementedError

    def billed_seconds(self) -> float:
        """Seconds the offline price table bills for this request."""
        raise NotImplementedError

    def to_body(self, urls: Mapping[str, Any]) -> dict[str, Any]:
        """The JSON body of the submit, given the URL(s) each media field resolved to."""
        body: dict[str, Any] = {"prompt": getattr(self, "prompt")}  # noqa: B009
        for name in self.MEDIA_FIELDS:
            if name in urls:
                value = urls[name]
                body[name] = list(value) if isinstance(value, list | tuple) else value
        body.update(self.scalar_fields())
        body.update(self.extra_params or {})
        return body

    def _check_extra(self) -> None:
        check_extra_params(self.extra_params, self.KNOWN_FIELDS)

    def __repr__(self) -> str:
        media = {
            name: (
                [describe_source(v) for v in value]
                if isinstance(value, tuple)
                else describe_source(value)
            )
            for name, value in self.media_inputs().items()
        }
        prompt = str(getattr(self, "prompt", ""))[:40]
        details = ", ".join(f"{k}={v!r}" for k, v in self.scalar_fields().items())
        return (
            f"{type(self).__name__}(model={self.model!r}, prompt={prompt!r}, media={media}, "
            f"{details})"
        )


def as_tuple(field: str, value: object) -> tuple[Any, ...]:
    """A reference list as a tuple; a lone string is refused (a URL is not a list)."""
    if value is None:
        return ()
    if isinstance(value, str | bytes | bytearray) or not hasattr(value, "__iter__"):
        raise InvalidRequestError(field, value, "a list of media sources", reason="not a list:")
    return tuple(value)
