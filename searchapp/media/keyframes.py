"""Key frames of a video with PyAV: a new scene, at most one every few seconds, capped.

Every decoded frame is shrunk to a 16x16 colour thumbnail (cheap in FFmpeg's
scaler); a frame becomes a key frame when its thumbnail differs from the last
key frame's by at least SEARCHAPP_KEYFRAME_SCENE_CHANGE (mean absolute colour
difference, 0-1) and SEARCHAPP_KEYFRAME_MIN_GAP_SECONDS have passed since it.
The first frame is always one. Only the video stream is decoded (no audio),
with FFmpeg's threads, and decoding stops at SEARCHAPP_KEYFRAME_MAX_PER_VIDEO.
Key frames are PIL RGB images ready for CLIP's preprocessing, at most
``max_side`` pixels on a side.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from searchapp.errors import ExtractError
from searchapp.media.audio import _reason, open_media, video_streams

if TYPE_CHECKING:
    from PIL import Image

_THUMB = 16
# CLIP reads 224x224; a little more keeps its centre crop sharp and memory small.
MAX_SIDE = 448


@dataclass(frozen=True)
class KeyFrame:
    time: float  # seconds from the video's start
    image: Image.Image


def key_frames(
    path: Path,
    *,
    min_gap: float,
    max_frames: int,
    scene_change: float,
    max_seconds: float | None = None,
    max_side: int = MAX_SIDE,
) -> list[KeyFrame]:
    """The key frames of ``path``'s first video stream ([] when it has none)."""
    return list(
        iter_key_frames(
            path,
            min_gap=min_gap,
            max_frames=max_frames,
            scene_change=scene_change,
            max_seconds=max_seconds,
            max_side=max_side,
        )
    )


def iter_key_frames(
    path: Path,
    *,
    min_gap: float,
    max_frames: int,
    scene_change: float,
    max_seconds: float | None = None,
    max_side: int = MAX_SIDE,
) -> Iterator[KeyFrame]:
    """Key frames as they are found (a caller may embed them while decoding goes on)."""
    import av

    with open_media(path) as container:
        streams = video_streams(container)
        if not streams:
            return
        stream = streams[0]
        stream.thread_type = "AUTO"
        last: np.ndarray | None = None
        last_time = -np.inf
        found = 0
        try:
            for frame in container.decode(stream):
                if frame.time is None:
                    continue
                time = float(frame.time)
                if max_seconds is not None and time > max_seconds:
                    break
                if time - last_time < min_gap:
                    continue  # too soon after the last key frame: no need to look
                thumb = frame.to_ndarray(width=_THUMB, height=_THUMB, format="rgb24")
                thumb = thumb.astype(np.int16)
                if last is not None and np.abs(thumb - last).mean() / 255 < scene_change:
                    continue
                yield KeyFrame(time=round(time, 3), image=_image(frame, max_side))
                last, last_time, found = thumb, time, found + 1
                if found >= max_frames:
                    break
        except av.FFmpegError as exc:
            if found == 0:
                raise ExtractError(f"video cannot be decoded: {_reason(exc)}") from None
            # Key frames before the damage are kept; the damaged rest is not read.


def frame_at(path: Path, seconds: float, *, max_side: int = MAX_SIDE) -> Image.Image:
    """The picture shown at ``seconds`` (a key frame's time), for its thumbnail: seek
    to the key frame before it, then decode up to it. ExtractError when there is none."""
    import av

    with open_media(path) as container:
        streams = video_streams(container)
        if not streams:
            raise ExtractError("no video stream")
        stream = streams[0]
        try:
            if seconds > 0 and stream.time_base:
                container.seek(int(seconds / stream.time_base), stream=stream, backward=True)
            shown = None
            for frame in container.decode(stream):
                if frame.time is not None and frame.time > seconds + 1e-3 and shown is not None:
                    break
                shown = frame
            if shown is None:
                raise ExtractError(f"no picture at {seconds:.2f} s")
            return _image(shown, max_side)
        except av.FFmpegError as exc:
            raise ExtractError(f"video cannot be decoded: {_reason(exc)}") from None


def _image(frame: object, max_side: int) -> Image.Image:
    width, height = frame.width, frame.height  # type: ignore[attr-defined]
    scale = min(1.0, max_side / max(width, height))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return frame.to_image(width=size[0], height=size[1])  # type: ignore[attr-defined]
