"""Shots into one film, the exact last frame of a shot, and a contact sheet, with PyAV.

PyAV, NumPy and Pillow come with the ``stories`` extra; the core imports this module
only when a story is generated. Stitching remuxes without re-encoding when every shot
shares its codec parameters and none is trimmed (the common case: one model, one
resolution), which is as fast as copying; otherwise it re-encodes to H.264/AAC at the
first shot's size, scaling shots of another size rather than refusing them. Each shot's
audio is placed at the shot's video start, so joins never drift by more than a frame.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

__all__ = ["Clip", "contact_sheet", "last_frame_png", "stitch", "video_seconds"]


@dataclass(frozen=True)
class Clip:
    """A shot's file, and where the shot starts in it (extend: after the old footage)."""

    path: Path
    start: float = 0.0


def _av() -> Any:
    try:
        import av
    except ImportError as exc:  # pragma: no cover - the stories extra brings it
        raise RuntimeError("stories need PyAV: pip install 'seedance-workflows[stories]'") from exc
    return av


def last_frame_png(video: Path) -> bytes:
    """The decoded final frame of ``video``, exactly, as PNG bytes."""
    av = _av()
    last = None
    with av.open(str(video)) as container:
        for frame in container.decode(video=0):
            last = frame
    if last is None:
        raise RuntimeError(f"{video} has no video frames")
    buffer = io.BytesIO()
    last.to_image().save(buffer, format="PNG")
    return buffer.getvalue()


def _signature(path: Path) -> tuple[Any, ...]:
    av = _av()
    with av.open(str(path)) as container:
        video = container.streams.video[0].codec_context
        audio = container.streams.audio[0].codec_context if container.streams.audio else None
        return (
            video.name,
            video.width,
            video.height,
            video.pix_fmt,
            audio.name if audio else None,
            audio.sample_rate if audio else None,
            audio.channels if audio else None,
        )


def _video_seconds(container: Any) -> float:
    stream = container.streams.video[0]
    if stream.duration is not None:
        return float(stream.duration * stream.time_base)
    return float(container.duration) / 1e6


def video_seconds(path: Path) -> float:
    """The length of a file's video stream in seconds."""
    av = _av()
    with av.open(str(path)) as container:
        return _video_seconds(container)


def stitch(clips: Sequence[Clip], dest: Path) -> tuple[Path, bool]:
    """Join ``clips`` in order into ``dest``; returns the path and whether it re-encoded."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    signatures = {_signature(c.path) for c in clips}
    copy = len(signatures) == 1 and all(c.start == 0 for c in clips)
    if copy:
        _remux(clips, tmp)
    else:
        _reencode(clips, tmp)
    tmp.replace(dest)
    return dest, not copy


def _remux(clips: Sequence[Clip], dest: Path) -> None:
    av = _av()
    with av.open(str(clips[0].path)) as first, av.open(str(dest), "w", format="mp4") as out:
        v_out = out.add_stream_from_template(first.streams.video[0])
        a_in = first.streams.audio[0] if first.streams.audio else None
        a_out = out.add_stream_from_template(a_in) if a_in is not None else None
        offset = 0.0
        last_dts: dict[str, int] = {}
        for clip in clips:
            with av.open(str(clip.path)) as source:
                streams = [source.streams.video[0], *source.streams.audio[:1]]
                end = _video_seconds(source)
                for packet in source.demux(streams):
                    if packet.dts is None:
                        continue
                    kind = packet.stream.type
                    target = v_out if kind == "video" else a_out
                    if target is None:
                        continue
                    base = packet.stream.time_base
                    end = max(end, float((packet.pts or 0) + (packet.duration or 0)) * base)
                    shift = round(offset / base)
                    dts = max(packet.dts + shift, last_dts.get(kind, -1) + 1)
                    packet.pts = max((packet.pts or 0) + shift, dts)
                    packet.dts = last_dts[kind] = dts
                    packet.stream = target
                    out.mux(packet)
                # the next shot starts where this one's longest stream ends: AAC's last
                # frame may overhang the video by a few ms, never by a video frame
                offset += end


def _reencode(clips: Sequence[Clip], dest: Path) -> None:
    av = _av()
    with av.open(str(clips[0].path)) as first:
        ctx = first.streams.video[0].codec_context
        width, height = ctx.width - ctx.width % 2, ctx.height - ctx.height % 2
        rate = first.streams.video[0].average_rate or Fraction(24, 1)
    with av.open(str(dest), "w", format="mp4") as out:
        video = out.add_stream("libx264", rate=rate)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        audio = out.add_stream("aac", rate=44_100, layout="stereo")
        resampler = av.AudioResampler(format="fltp", layout="stereo", rate=44_100)
        frame_index, sample_index, offset = 0, 0, 0.0

        def emit(picture: Any) -> None:
            nonlocal frame_index
            picture.pts, picture.time_base = frame_index, 1 / rate
            frame_index += 1
            for packet in video.encode(picture):
                out.mux(packet)

        for clip in clips:
            with av.open(str(clip.path)) as source:
                length = _video_seconds(source) - clip.start
                held = None
                for frame in source.decode(video=0):
                    if frame.time is not None and frame.time < clip.start - 1e-3:
                        continue
                    # the output slot this frame starts at: a source at another frame rate
                    # is converted (frames dropped or repeated), so it keeps its length and
                    # its audio stays in sync; at the film's rate each frame gets one slot
                    since = (frame.time - clip.start) if frame.time is not None else None
                    due = round((offset + since) * rate) if since is not None else frame_index
                    if due < frame_index:
                        continue
                    scaled = frame.reformat(width=width, height=height, format="yuv420p")
                    while frame_index < due:
                        emit(held if held is not None else scaled)
                    emit(scaled)
                    held = scaled
                while held is not None and frame_index < round((offset + length) * rate):
                    emit(held)
            # audio: the shot's own, placed at its video start; silence where it has none
            sample_index = _audio(clip, offset, length, audio, resampler, out, sample_index)
            offset += length
        for packet in video.encode():
            out.mux(packet)
        for packet in audio.encode():
            out.mux(packet)


def _audio(
    clip: Clip, offset: float, length: float, stream: Any, resampler: Any, out: Any, at: int
) -> int:
    import numpy as np

    av = _av()
    start = round(offset * 44_100)
    end = start + round(length * 44_100)
    if at < start:  # silence up to the shot's start keeps the next shot in sync
        at = _emit(np.zeros((2, start - at), np.float32), at, stream, out)
    with av.open(str(clip.path)) as source:
        if source.streams.audio:
            for frame in source.decode(audio=0):
                if frame.time is not None and frame.time < clip.start - 1e-3:
                    continue
                for chunk in resampler.resample(frame):
                    data = chunk.to_ndarray()[:, : max(0, end - at)]
                    if data.shape[1]:
                        at = _emit(data.astype(np.float32), at, stream, out)
    if at < end:
        at = _emit(np.zeros((2, end - at), np.float32), at, stream, out)
    return at


def _emit(data: Any, at: int, stream: Any, out: Any) -> int:
    av = _av()
    frame = av.AudioFrame.from_ndarray(data, format="fltp", layout="stereo")
    frame.sample_rate, frame.time_base, frame.pts = 44_100, Fraction(1, 44_100), at
    for packet in stream.encode(frame):
        out.mux(packet)
    return at + int(data.shape[1])


def contact_sheet(
    videos: Sequence[Path], dest: Path, *, width: int = 320, frames: int = 1, columns: int = 0
) -> Path:
    """One PNG for review: ``frames`` evenly spaced frames of each video (1: its middle
    frame), tiled left to right in rows of ``columns`` tiles (0: one row).

    A story's sheet is one middle frame per shot in a row; ``make demo`` writes a grid
    of one video's frames beside it, so a reader sees the motion without a player."""
    from PIL import Image

    if frames < 1 or columns < 0:
        raise ValueError(
            f"contact_sheet: frames must be >= 1 and columns >= 0, got {frames}, {columns}"
        )
    thumbs = [thumb for path in videos for thumb in _frames_of(path, frames)]
    for thumb in thumbs:
        thumb.thumbnail((width, width * 4))
    per_row = columns or len(thumbs)
    rows = [thumbs[i : i + per_row] for i in range(0, len(thumbs), per_row)]
    heights = [max(t.height for t in row) for row in rows]
    sheet_width = max(sum(t.width for t in row) + 8 * (len(row) + 1) for row in rows)
    sheet = Image.new("RGB", (sheet_width, sum(heights) + 8 * (len(rows) + 1)))
    y = 8
    for row, height in zip(rows, heights, strict=True):
        x = 8
        for thumb in row:
            sheet.paste(thumb, (x, y))
            x += thumb.width + 8
        y += height + 8
    dest.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(dest)
    return dest


def _frames_of(path: Path, count: int) -> list[Any]:
    """``count`` decoded frames at the centres of ``count`` equal parts of the video."""
    av = _av()
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        total = stream.frames or round(_video_seconds(container) * 24)
        wanted = sorted({(2 * i + 1) * total // (2 * count) for i in range(count)})
        images: list[Any] = []
        last = None
        for index, frame in enumerate(container.decode(video=0)):
            last = frame
            if index in wanted:
                images.append(frame.to_image())
                if len(images) == len(wanted):
                    break
    if last is None:
        raise RuntimeError(f"{path} has no video frames")
    while len(images) < count:  # the stream held fewer frames than its header said
        images.append(last.to_image())
    return images
