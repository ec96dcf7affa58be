"""Decode a file's audio with PyAV, streamed: 16 kHz mono windows, never the whole file.

Whisper reads 16 kHz mono float samples. A long recording is decoded and
resampled frame by frame and handed on in windows of about
SEARCHAPP_MEDIA_WINDOW_SECONDS (cut at the quietest moment near the window's
end, so a word is rarely split), so memory stays bounded whatever the length.
Files that cannot be used say why: corrupt (ExtractError), no audio track or
longer than SEARCHAPP_MEDIA_MAX_SECONDS (FileSkipped).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from searchapp.errors import ExtractError, FileSkipped

SAMPLE_RATE = 16_000
# A window is cut at the quietest 20 ms in its last few seconds.
_QUIET_FRAME = SAMPLE_RATE // 50
_QUIET_SEARCH_SECONDS = 5.0


@dataclass(frozen=True)
class MediaInfo:
    """What a media file holds, read from its container (nothing decoded)."""

    duration: float | None  # seconds, when the container says
    has_audio: bool
    has_video: bool


@dataclass(frozen=True)
class AudioWindow:
    offset: float  # seconds from the file's start
    samples: np.ndarray  # float32, mono, SAMPLE_RATE

    @property
    def seconds(self) -> float:
        return len(self.samples) / SAMPLE_RATE


def open_media(path: Path) -> Any:
    """The PyAV container of ``path``; a file FFmpeg cannot read is an ExtractError."""
    import av

    try:
        return av.open(str(path), metadata_errors="ignore")
    except av.FFmpegError as exc:
        raise ExtractError(f"not a readable audio or video file: {_reason(exc)}") from None


def probe(path: Path) -> MediaInfo:
    with open_media(path) as container:
        return _info(container)


def check_duration(info: MediaInfo, max_seconds: float) -> None:
    """FileSkipped when the container says the file is longer than ``max_seconds``."""
    if info.duration is not None and info.duration > max_seconds:
        raise FileSkipped(_too_long(info.duration, max_seconds))


def audio_windows(
    path: Path, *, window_seconds: float, max_seconds: float
) -> Iterator[AudioWindow]:
    """The file's first audio track as 16 kHz mono windows, decoded as they are needed.

    Raises FileSkipped (no audio track, too long: checked from the container
    first, and again while decoding, since a container's duration may be
    missing or wrong) or ExtractError (the stream cannot be decoded).
    """
    import av

    with open_media(path) as container:
        info = _info(container)
        if not info.has_audio:
            raise FileSkipped("no audio track")
        check_duration(info, max_seconds)
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        window = int(window_seconds * SAMPLE_RATE)
        limit = int(max_seconds * SAMPLE_RATE)
        pending: list[np.ndarray] = []
        held = offset = 0
        try:
            for frame in _frames(container, stream):
                for out in resampler.resample(frame):
                    pending.append(out.to_ndarray().reshape(-1))
                    held += out.samples
                if offset + held > limit:
                    raise FileSkipped(_too_long((offset + held) / SAMPLE_RATE, max_seconds))
                if held >= window:
                    samples = np.concatenate(pending)
                    cut = _quiet_cut(samples, window)
                    yield AudioWindow(offset / SAMPLE_RATE, samples[:cut])
                    # A copy: a view would keep the whole window alive with the next one.
                    rest = samples[cut:].copy()
                    pending, held, offset = [rest], len(rest), offset + cut
            for out in resampler.resample(None):
                pending.append(out.to_ndarray().reshape(-1))
        except av.FFmpegError as exc:
            raise ExtractError(f"audio cannot be decoded: {_reason(exc)}") from None
        samples = np.concatenate(pending) if pending else np.zeros(0, np.float32)
        if offset == 0 and not len(samples):
            raise ExtractError("audio track holds no decodable sound")
        yield AudioWindow(offset / SAMPLE_RATE, samples)


def _frames(container: Any, stream: Any) -> Iterator[Any]:
    """Decoded frames of ``stream``; a damaged packet in the middle is skipped.

    FFmpeg resynchronises after a bad packet; one lost frame (a click) is
    better than losing the recording. A file with no good frame at all still
    fails (see audio_windows).
    """
    import av

    for packet in container.demux(stream):
        try:
            yield from packet.decode()
        except av.InvalidDataError:
            continue


def _quiet_cut(samples: np.ndarray, window: int) -> int:
    """Where to end a window: the quietest 20 ms within its last few seconds."""
    search = min(int(_QUIET_SEARCH_SECONDS * SAMPLE_RATE), window // 4)
    start = window - search
    frames = samples[start:window][: search - search % _QUIET_FRAME]
    if not len(frames):
        return window
    energy = np.square(frames.reshape(-1, _QUIET_FRAME)).mean(axis=1)
    return start + int(np.argmin(energy)) * _QUIET_FRAME + _QUIET_FRAME // 2


def _info(container: Any) -> MediaInfo:
    duration = None
    if container.duration is not None:
        duration = container.duration / 1_000_000  # AV_TIME_BASE
    else:
        for stream in container.streams:
            if stream.duration is not None and stream.time_base is not None:
                duration = max(duration or 0.0, float(stream.duration * stream.time_base))
    return MediaInfo(
        duration=duration,
        has_audio=bool(container.streams.audio),
        has_video=bool(video_streams(container)),
    )


def video_streams(container: Any) -> list[Any]:
    """The container's video streams; cover art (an mp3's picture) is not a video."""
    import av

    attached = av.stream.Disposition.attached_pic
    return [s for s in container.streams.video if not s.disposition & attached]


def _too_long(seconds: float, max_seconds: float) -> str:
    return (
        f"longer than SEARCHAPP_MEDIA_MAX_SECONDS ({max_seconds:g} s): {seconds / 60:.1f} minutes"
    )


def _reason(exc: Exception) -> str:
    return getattr(exc, "strerror", None) or str(exc)
