"""Audio and video: decode (PyAV), transcribe (faster-whisper), chunk, key frames.

Standalone parts the ingest engine calls for a media file; see docs/media.md.
"""

from searchapp.media.audio import (
    SAMPLE_RATE,
    AudioWindow,
    MediaInfo,
    audio_windows,
    check_duration,
    probe,
)
from searchapp.media.formats import (
    AUDIO_TYPES,
    KEY_FRAME_FORMAT,
    VIDEO_TYPES,
    is_media_file,
    media_type,
)
from searchapp.media.keyframes import KeyFrame, iter_key_frames, key_frames
from searchapp.media.reader import ChunkBudget, MediaFile, MediaReader
from searchapp.media.speech import Segment, SpeechModel, SpeechSource, Transcript
from searchapp.media.transcript import (
    TimedChunk,
    TranscriptTimes,
    transcript_chunks,
    transcript_text,
)

__all__ = [
    "AUDIO_TYPES",
    "KEY_FRAME_FORMAT",
    "SAMPLE_RATE",
    "VIDEO_TYPES",
    "AudioWindow",
    "ChunkBudget",
    "KeyFrame",
    "MediaFile",
    "MediaInfo",
    "MediaReader",
    "Segment",
    "SpeechModel",
    "SpeechSource",
    "TimedChunk",
    "Transcript",
    "TranscriptTimes",
    "audio_windows",
    "check_duration",
    "is_media_file",
    "iter_key_frames",
    "key_frames",
    "media_type",
    "probe",
    "transcript_chunks",
    "transcript_text",
]
