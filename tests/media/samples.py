"""Media made on the machine: speech by espeak-ng, re-encoded and muxed by PyAV.

Used by the media tests and bench/media.py; nothing is downloaded.
"""

from __future__ import annotations

import shutil
import subprocess
import wave
from collections.abc import Iterable, Iterator, Sequence
from fractions import Fraction
from pathlib import Path

import numpy as np

ESPEAK = shutil.which("espeak-ng")
# Encoders by file suffix (PyAV's wheels ship these).
_AUDIO_CODECS = {
    ".mp3": ("libmp3lame", None),
    ".ogg": ("libopus", 48_000),
    ".webm": ("libopus", 48_000),
    ".m4a": ("aac", None),
    ".flac": ("flac", None),
}


def speak(text: str, path: Path, *, words_per_minute: int = 150) -> Path:
    """A WAV of espeak-ng saying ``text`` (en-us)."""
    if ESPEAK is None:
        raise RuntimeError("espeak-ng is not installed (apt-get install espeak-ng)")
    subprocess.run(
        [ESPEAK, "-v", "en-us", "-s", str(words_per_minute), "-w", str(path), text],
        check=True,
        capture_output=True,
    )
    return path


def silence(path: Path, seconds: float, rate: int = 22_050) -> Path:
    """A WAV of digital silence."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(np.zeros(int(seconds * rate), np.int16).tobytes())
    return path


def noise(path: Path, seconds: float, rate: int = 16_000) -> Path:
    """A WAV of quiet noise, written in pieces (a long file without a long array)."""
    rng = np.random.default_rng(0)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        left = int(seconds * rate)
        while left:
            piece = min(left, 60 * rate)
            out.writeframes((rng.standard_normal(piece) * 300).astype(np.int16).tobytes())
            left -= piece
    return path


def join_wavs(parts: Sequence[Path], path: Path, *, pause: float = 0.7) -> Path:
    """One WAV of ``parts`` in turn, ``pause`` seconds of silence between them."""
    frames, rate = [], 0
    for part in parts:
        with wave.open(str(part), "rb") as source:
            rate = source.getframerate()
            frames.append(source.readframes(source.getnframes()))
            frames.append(bytes(2 * int(pause * rate)))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"".join(frames))
    return path


def reencode(wav: Path, path: Path) -> Path:
    """``wav`` encoded by the codec ``path``'s suffix names (.mp3, .ogg, .webm, .m4a, .flac)."""
    import av

    codec, rate = _AUDIO_CODECS[path.suffix]
    with av.open(str(wav)) as source, av.open(str(path), "w") as target:
        sample_rate = rate or source.streams.audio[0].rate
        stream = target.add_stream(codec, rate=sample_rate, layout="mono")
        _encode_audio(source, stream, target)
    return path


def colour_video(
    path: Path,
    colours: Sequence[tuple[int, int, int]],
    *,
    seconds_each: float,
    fps: int = 10,
    audio: Path | None = None,
    size: tuple[int, int] = (160, 120),
) -> Path:
    """An H.264 mp4 of flat colours, ``seconds_each`` per colour, optionally with ``audio``."""

    def frames() -> Iterator[np.ndarray]:
        for colour in colours:
            picture = np.empty((size[1], size[0], 3), np.uint8)
            picture[:] = colour
            for _ in range(round(seconds_each * fps)):
                yield picture

    return _write_h264(path, frames(), fps=fps, size=size, audio=audio)


def scene_video(
    path: Path,
    *,
    seconds: float,
    scene_seconds: float,
    fps: int = 25,
    size: tuple[int, int] = (640, 360),
    audio: Path | None = None,
) -> Path:
    """An H.264 mp4 of moving stripes whose colours change every ``scene_seconds``.

    The stripes move every frame, so the decoder has real work (unlike flat colours).
    """
    rng = np.random.default_rng(0)
    width, height = size
    stripes = (np.sin(np.arange(width) / 9.0)[None, :, None] * 60).astype(np.int16)

    def frames() -> Iterator[np.ndarray]:
        colour = rng.integers(40, 215, 3)
        for index in range(round(seconds * fps)):
            if index and index % round(scene_seconds * fps) == 0:
                colour = rng.integers(40, 215, 3)
            moved = np.roll(stripes, index * 3, axis=1)
            picture = np.clip(colour[None, None, :] + moved, 0, 255).astype(np.uint8)
            yield np.ascontiguousarray(np.broadcast_to(picture, (height, width, 3)))

    return _write_h264(
        path, frames(), fps=fps, size=size, audio=audio, options={"preset": "veryfast"}
    )


def _write_h264(
    path: Path,
    frames: Iterable[np.ndarray],
    *,
    fps: int,
    size: tuple[int, int],
    audio: Path | None,
    options: dict[str, str] | None = None,
) -> Path:
    """An H.264 mp4 of ``frames`` (RGB, ``size``) at ``fps``, with ``audio`` re-encoded
    to AAC when given."""
    import av

    with av.open(str(path), "w") as target:
        video = target.add_stream("libx264", rate=fps, options=options or {})
        video.width, video.height = size
        video.pix_fmt = "yuv420p"
        video.time_base = Fraction(1, fps)
        # Every stream is added before the first packet is written (the header).
        source = av.open(str(audio)) if audio is not None else None
        sound = (
            target.add_stream("aac", rate=source.streams.audio[0].rate, layout="mono")
            if source is not None
            else None
        )
        for index, picture in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts = index
            target.mux(video.encode(frame))
        target.mux(video.encode(None))
        if source is not None and sound is not None:
            with source:
                _encode_audio(source, sound, target)
    return path


def _encode_audio(source, stream, target) -> None:  # type: ignore[no-untyped-def]
    import av

    resampler = av.AudioResampler(
        format=stream.codec_context.codec.audio_formats[0].name, layout="mono", rate=stream.rate
    )
    for frame in source.decode(audio=0):
        frame.pts = None
        for out in resampler.resample(frame):
            target.mux(stream.encode(out))
    for out in resampler.resample(None):
        target.mux(stream.encode(out))
    target.mux(stream.encode(None))
