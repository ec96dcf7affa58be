"""Which files are audio or video, by name, and their media types.

The one list of media suffixes: discovery sorts files with :func:`is_media_file`
and rows record :func:`media_type`. A ``.webm`` may hold sound only; whether a
file has pictures is read from the container (:func:`searchapp.media.probe`),
not guessed from its name.
"""

from __future__ import annotations

from pathlib import Path

AUDIO_TYPES = {
    ".mp3": "audio/mpeg",
    ".wav": "audio/wav",
    ".m4a": "audio/mp4",
    ".aac": "audio/aac",
    ".flac": "audio/flac",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".opus": "audio/ogg",
}
VIDEO_TYPES = {
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".mkv": "video/x-matroska",
    ".webm": "video/webm",
    ".mov": "video/quicktime",
    ".avi": "video/x-msvideo",
}

#: ``format`` of a video key frame's row in the image space (an image's is JPEG, PNG, ...).
KEY_FRAME_FORMAT = "VIDEO_FRAME"


def is_media_file(path: Path) -> bool:
    return path.suffix.lower() in AUDIO_TYPES or path.suffix.lower() in VIDEO_TYPES


def media_type(path: Path, *, has_video: bool = True) -> str:
    """The file's media type; a video container without pictures is audio (audio/webm)."""
    suffix = path.suffix.lower()
    if suffix in AUDIO_TYPES:
        return AUDIO_TYPES[suffix]
    if suffix not in VIDEO_TYPES:
        raise ValueError(f"{path.name} is not an audio or video file")
    video = VIDEO_TYPES[suffix]
    return video if has_video else video.replace("video/", "audio/", 1)
