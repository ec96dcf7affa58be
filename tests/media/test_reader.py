"""The reader stage's call: each space's inputs from one media file, or its reason."""

from __future__ import annotations

import pytest

from searchapp.config import Settings
from searchapp.errors import ExtractError, FileSkipped
from searchapp.media import ChunkBudget, MediaReader
from tests.media.conftest import SCENE_SECONDS


@pytest.fixture(scope="module")
def budget(tokenizer) -> ChunkBudget:
    return ChunkBudget(tokenizer, max_tokens=128, overlap=16)


def reader(budget, speech, **options) -> MediaReader:
    settings = Settings(keyframe_min_gap_seconds=1.0, **options.pop("settings", {}))
    return MediaReader(settings, budget, speech, **options)


def test_audio_gives_timed_text_chunks(media, budget, speech_model) -> None:
    read = reader(budget, speech_model).read(media.mp3)
    assert read.media_type == "audio/mpeg" and read.frames == [] and read.notes == []
    assert read.chunks and "picnic" in read.chunks[-1].text.lower()
    assert 0.0 <= read.chunks[0].start < read.chunks[-1].end <= media.speech_seconds + 0.5
    assert read.transcript is not None and read.transcript.language == "en"


def test_progress_counts_audio_seconds(media, budget, speech_model) -> None:
    done: list[float] = []
    reader(budget, speech_model).read(media.ogg, on_progress=done.append)
    assert done == [pytest.approx(media.speech_seconds, abs=0.1)]


def test_video_gives_text_and_key_frames(media, budget, speech_model) -> None:
    read = reader(budget, speech_model).read(media.video)
    assert read.media_type == "video/mp4"
    assert "orange" in " ".join(c.text for c in read.chunks).lower()
    assert [f.time for f in read.frames] == pytest.approx([0.0, SCENE_SECONDS, 4.0], abs=0.11)


def test_video_without_sound_still_gives_key_frames(media, budget, speech_model) -> None:
    read = reader(budget, speech_model).read(media.picture_only)
    assert read.chunks == [] and len(read.frames) == 2
    assert read.notes == ["no audio track"]


def test_without_clip_the_sound_of_a_video_still_counts(media, budget, speech_model) -> None:
    read = reader(budget, speech_model, frames=False, frames_problem="no CLIP weights").read(
        media.video
    )
    assert read.chunks and read.frames == []
    assert read.notes == ["no key frames: no CLIP weights"]


def test_without_a_speech_model_audio_is_skipped_with_the_reason(media, budget) -> None:
    unavailable = reader(budget, None, speech_problem="no speech model: install media")
    with pytest.raises(FileSkipped, match="not transcribed: no speech model: install media"):
        unavailable.read(media.mp3)
    assert len(unavailable.read(media.video).frames) == 3  # pictures need no speech


def test_silence_is_skipped_as_no_speech(media, budget, speech_model) -> None:
    with pytest.raises(FileSkipped, match=r"^no speech found$"):
        reader(budget, speech_model).read(media.silent)


def test_corrupt_and_too_long_files_give_their_reasons(media, budget, speech_model) -> None:
    with pytest.raises(ExtractError, match="not a readable audio or video file"):
        reader(budget, speech_model).read(media.corrupt)
    too_short_a_cap = reader(budget, speech_model, settings={"media_max_seconds": 5.0})
    with pytest.raises(FileSkipped, match="longer than SEARCHAPP_MEDIA_MAX_SECONDS"):
        too_short_a_cap.read(media.mp3)
    # A silent video too: checked before anything is decoded.
    one_second = reader(budget, speech_model, settings={"media_max_seconds": 1.0})
    with pytest.raises(FileSkipped, match="longer than SEARCHAPP_MEDIA_MAX_SECONDS"):
        one_second.read(media.picture_only)
