"""Audio and video through the ingest engine: one ingest of a small media folder
(module-scoped: transcription is the slow part), then what it stored, what it
said about the files it could not use, what a search finds and a re-run."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from searchapp.app import App
from searchapp.config import Settings
from searchapp.errors import ModelUnavailableError
from searchapp.ingest import IngestSummary, Outcome, ingest, scan
from searchapp.ingest.manifest import Manifest
from searchapp.media.formats import KEY_FRAME_FORMAT
from searchapp.search import Mode, SearchRequest
from searchapp.store import CLIP_IMAGE_SPEC, TEXT_SPEC
from searchapp.store.collection import VectorCollection
from searchapp.store.filters import equals
from tests.media.conftest import PAUSE, SCENE_SECONDS, SENTENCES

pytestmark = [pytest.mark.integration, pytest.mark.model]


class AudioCounter:
    """A progress hook that also counts audio seconds (the engine's AudioProgress)."""

    def __init__(self) -> None:
        self.audio_seconds = 0.0

    def advance(self, nbytes: float, chunks: int) -> None:
        pass

    def file_done(self, result) -> None:
        pass

    def audio_done(self, seconds: float) -> None:
        self.audio_seconds += seconds


@dataclass(frozen=True)
class Ingested:
    app: App
    folder: Path
    summary: IngestSummary
    progress: AudioCounter


@pytest.fixture(scope="module")
def ingested(media, embedders, tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("library")
    for source in (media.mp3, media.video, media.silent, media.corrupt):
        shutil.copy(source, folder / source.name)
    (folder / "notes.txt").write_text("Shopping list: apples, flour and candles.\n")
    settings = Settings(
        state_dir=tmp_path_factory.mktemp("state"),
        lite_shared=False,
        # A chunk per sentence or two, so a hit's span is not the whole recording.
        chunk_tokens=24,
        chunk_overlap=0,
        keyframe_min_gap_seconds=1.0,
    )
    app = App(settings, embedders=embedders)
    progress = AudioCounter()
    try:
        summary = ingest(app, scan([folder]), roots=[folder], progress=progress)
        yield Ingested(app, folder, summary, progress)
    finally:
        app.close()


def result(summary: IngestSummary, name: str):
    return next(r for r in summary.results if r.path.name == name)


def sentence_span(media, index: int) -> tuple[float, float]:
    starts = media.sentence_starts
    end = starts[index + 1] if index + 1 < len(starts) else media.speech_seconds
    return starts[index], end - PAUSE


def test_media_go_in_and_the_rest_of_the_batch_too(ingested) -> None:
    summary = ingested.summary
    assert result(summary, "speech.mp3").outcome is Outcome.INGESTED
    assert result(summary, "scenes.mp4").outcome is Outcome.INGESTED
    assert result(summary, "notes.txt").outcome is Outcome.INGESTED
    assert result(summary, "speech.mp3").chunks >= 2


def test_progress_counts_the_audio_seconds_transcribed(ingested, media) -> None:
    video_sound = media.sentence_starts[1] - PAUSE  # the first sentence
    expected = media.speech_seconds + video_sound + 3.0  # the mp3, the video, the silence
    assert ingested.progress.audio_seconds == pytest.approx(expected, abs=0.5)


def test_corrupt_and_silent_files_are_reported_with_their_reasons(ingested) -> None:
    corrupt = result(ingested.summary, "corrupt.mp3")
    assert corrupt.outcome is Outcome.FAILED
    assert corrupt.reason.startswith("not a readable audio or video file")
    silent = result(ingested.summary, "silent.wav")
    assert (silent.outcome, silent.reason) == (Outcome.SKIPPED, "no speech found")


def test_transcript_rows_carry_their_time_and_speech_model(ingested) -> None:
    rows = ingested.app.store.existing_collection(TEXT_SPEC).query(
        equals("source", str(ingested.folder / "speech.mp3")), ["text", "metadata", "media_type"]
    )
    assert rows and all(row["media_type"] == "audio/mpeg" for row in rows)
    for row in rows:
        meta = row["metadata"]
        assert 0.0 <= meta["start"] < meta["end"]
        assert meta["language"] == "en" and meta["speech_model"].startswith("whisper:")


def test_a_paraphrase_finds_the_recording_and_when_it_is_said(ingested, media) -> None:
    # SENTENCES[2], "Please bring fresh bread and cheese to the picnic.", in other words.
    assert "picnic" in SENTENCES[2]
    found = ingested.app.search.search(
        SearchRequest(text="take a loaf and some cheese to our outdoor meal", k=3)
    )
    hit = found.hits[0]
    assert Path(hit.source).name == "speech.mp3"
    start, end = sentence_span(media, 2)  # the sentence's WAV, espeak's own silence included
    assert hit.start is not None and hit.end is not None
    # The span is where the sentence is said: inside its stretch of the recording
    # (Whisper's word times, a quarter second either way), over most of it, not
    # the whole recording.
    assert start - 0.25 <= hit.start < hit.end <= end + 0.25
    assert hit.end - hit.start >= (end - start) / 2
    assert hit.start <= (start + end) / 2 <= hit.end
    shape = hit.as_json()  # the API's and --json's hit
    assert (shape["start"], shape["end"]) == (hit.start, hit.end)


def test_video_key_frames_land_in_the_image_space_with_their_times(ingested) -> None:
    video = ingested.folder / "scenes.mp4"
    frames = ingested.app.store.existing_collection(CLIP_IMAGE_SPEC).query(
        equals("source", str(video)), ["format", "media_type", "metadata"]
    )
    frames.sort(key=lambda row: row["metadata"]["start"])
    assert [row["format"] for row in frames] == [KEY_FRAME_FORMAT] * 3
    assert {row["media_type"] for row in frames} == {"video/mp4"}
    starts = [row["metadata"]["start"] for row in frames]
    ends = [row["metadata"]["end"] for row in frames]
    assert starts == pytest.approx([0.0, SCENE_SECONDS, 2 * SCENE_SECONDS], abs=0.11)
    assert ends == pytest.approx([SCENE_SECONDS, 2 * SCENE_SECONDS, 3 * SCENE_SECONDS], abs=0.11)
    # A text -> image search finds a frame and says when it is shown.
    found = ingested.app.search.search(SearchRequest(mode=Mode.TEXT_TO_IMAGE, text="a red wall"))
    frame_hits = [hit for hit in found.hits if Path(hit.source) == video]
    assert frame_hits and frame_hits[0].start in starts


def test_stats_count_media_rows(ingested) -> None:
    infos = {info.space: info for info in ingested.app.store.describe([TEXT_SPEC, CLIP_IMAGE_SPEC])}
    text = infos["text"]
    assert 0 < text.media_rows < text.rows  # notes.txt is not media
    assert infos["clip_image"].media_rows == infos["clip_image"].rows == 3


def test_a_rerun_skips_unchanged_recordings(ingested) -> None:
    # A new mtime, the same bytes: read and hashed, found unchanged, not transcribed.
    os.utime(ingested.folder / "speech.mp3", (1_000_000_000, 1_000_000_000))
    again = ingest(ingested.app, scan([ingested.folder]), roots=[ingested.folder])
    for name in ("speech.mp3", "scenes.mp4", "notes.txt"):
        assert result(again, name).outcome is Outcome.UNCHANGED, name
    assert again.embedded["text"] == 0 and again.embedded["clip_image"] == 0


def test_without_a_speech_model_audio_is_skipped_and_the_rest_goes_in(
    media, embedders, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unavailable():
        raise ModelUnavailableError("no speech model: install searchapp[media]")

    monkeypatch.setattr(embedders, "speech", unavailable)
    folder = tmp_path / "library"
    folder.mkdir()
    for source in (media.mp3, media.picture_only):
        shutil.copy(source, folder / source.name)
    (folder / "notes.txt").write_text("Shopping list: apples, flour and candles.\n")
    settings = Settings(state_dir=tmp_path / "state", lite_shared=False)
    with App(settings, embedders=embedders) as app:
        summary = ingest(app, scan([folder]), roots=[folder])
    skipped = result(summary, "speech.mp3")
    assert skipped.outcome is Outcome.SKIPPED
    assert skipped.reason == "not transcribed: no speech model (see the note above)"
    assert any("install searchapp[media]" in notice for notice in summary.notices)
    # A video without sound needs no speech model; documents none either.
    assert result(summary, "mute.mp4").outcome is Outcome.INGESTED
    assert result(summary, "notes.txt").outcome is Outcome.INGESTED


def test_a_recording_whose_write_failed_is_not_done_and_goes_in_next_time(
    media, embedders, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The video without sound: key frames only, nothing to transcribe (cheap).
    folder = tmp_path / "library"
    folder.mkdir()
    video = Path(shutil.copy(media.picture_only, folder / media.picture_only.name))
    settings = Settings(
        state_dir=tmp_path / "state", lite_shared=False, keyframe_min_gap_seconds=0.5
    )
    real_upsert = VectorCollection.upsert

    def failing(self: VectorCollection, rows) -> None:
        raise RuntimeError("the store went away")

    with App(settings, embedders=embedders) as app:
        monkeypatch.setattr(VectorCollection, "upsert", failing)
        with pytest.raises(RuntimeError, match="the store went away"):
            ingest(app, scan([folder]), roots=[folder])
        manifest = Manifest.open(settings)
        try:  # marked pending before the write, never done
            assert not manifest.entries([str(video)])[str(video)].done
        finally:
            manifest.close()
        monkeypatch.setattr(VectorCollection, "upsert", real_upsert)
        again = ingest(app, scan([folder]), roots=[folder])
        assert result(again, video.name).outcome is Outcome.INGESTED
        frames = app.store.existing_collection(CLIP_IMAGE_SPEC).query(
            equals("source", str(video)), ["id"]
        )
        assert len(frames) == 2
