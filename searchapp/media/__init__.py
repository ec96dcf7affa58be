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
from searchapp.media.keyframes import KeyFrame, key_frames
from searchapp.media.speech import Segment, SpeechModel, SpeechSource, Transcript
from searchapp.media.transcript import TimedChunk, transcript_chunks, transcript_text

__all__ = [
    "SAMPLE_RATE",
    "AudioWindow",
    "KeyFrame",
    "MediaInfo",
    "Segment",
    "SpeechModel",
    "SpeechSource",
    "TimedChunk",
    "Transcript",
    "audio_windows",
    "check_duration",
    "key_frames",
    "probe",
    "transcript_chunks",
    "transcript_text",
]
