"""Audio and video in the reader stage: one media file -> the inputs of every space.

:class:`~searchapp.media.MediaReader` probes, transcribes and takes key frames
once per file (searchapp.media); this module turns what it gives into rows,
by the rules every file follows:

- the transcript (one segment per line) is a document titled with the file's
  name, chunked by each text space's :class:`TextPreparer` like any document
  (what the model reads, titles, keyword text, CLIP windows), and every row
  records where its words are said (``metadata.start``/``end``, seconds);
- each key frame is a picture of the image space, its row keyed by the file
  and the frame's number, with the time from that frame to the next.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from searchapp.config import Settings
from searchapp.extract import TextDocument
from searchapp.ingest.discover import FoundFile
from searchapp.ingest.reader import ReadFile, SpaceInputs
from searchapp.ingest.reuse import input_key
from searchapp.ingest.rows import row_id, source_fields
from searchapp.ingest.summary import AudioProgress, Progress
from searchapp.ingest.text import TextPreparer
from searchapp.media.formats import KEY_FRAME_FORMAT
from searchapp.media.transcript import TranscriptTimes, transcript_text

if TYPE_CHECKING:
    from searchapp.embed.clip import Clip
    from searchapp.media import KeyFrame, MediaFile, MediaReader, SpeechModel


@dataclass(frozen=True)
class MediaModels:
    """What a run reads media with beyond the spaces' models: the speech model, or
    why there is none; and why key frames are left out when CLIP is missing."""

    speech: SpeechModel | None
    speech_problem: str = ""
    frames_problem: str = ""

    def preparer(
        self,
        settings: Settings,
        chunkers: Mapping[str, TextPreparer],
        pictures: Clip | None,
        progress: Progress | None = None,
    ) -> MediaPreparer:
        """The reader stage's media part for a run writing ``chunkers``' text spaces
        and, with ``pictures``, the image space."""
        from searchapp.media import ChunkBudget, MediaReader

        # MediaReader's own chunks only tell "speech found" from none; the rows are
        # chunked by the spaces' preparers (titles, windows) like any document.
        chunker = chunkers.get("text") or next(iter(chunkers.values()), None)
        speech, problem = self.speech, self.speech_problem
        if chunker is None:  # a re-index of the image space alone: pictures only
            speech, problem = None, "no text space is written"
        budget = (
            ChunkBudget(chunker.tokenizer, chunker.max_tokens, chunker.overlap)
            if chunker is not None
            else None
        )
        reader = MediaReader(
            settings,
            budget,
            speech,
            speech_problem=problem,
            frames=pictures is not None,
            frames_problem=self.frames_problem,
        )
        on_seconds = progress.audio_done if isinstance(progress, AudioProgress) else None
        return MediaPreparer(reader, chunkers, pictures, on_seconds)


class MediaPreparer:
    """Reads media files with one :class:`MediaReader` into rows for ``chunkers``'
    spaces (the transcript) and, with ``pictures``, the image space (key frames)."""

    def __init__(
        self,
        reader: MediaReader,
        chunkers: Mapping[str, TextPreparer],
        pictures: Clip | None,
        on_seconds: Callable[[float], None] | None = None,
    ) -> None:
        """``on_seconds`` gets the audio seconds transcribed as they are done."""
        self._reader = reader
        self._chunkers = dict(chunkers)
        self._pictures = pictures
        self._on_seconds = on_seconds
        # One recording at a time: transcription already uses every core
        # (SEARCHAPP_SPEECH_THREADS), and one decoded window is the memory bound.
        self._lock = threading.Lock()

    @property
    def spaces(self) -> list[str]:
        return [*self._chunkers, *(["clip_image"] if self._pictures is not None else [])]

    def prepare(self, found: FoundFile, sha256: str) -> ReadFile:
        """The file's rows in every space; FileSkipped or ExtractError say why none."""
        with self._lock:
            media = self._reader.read(found.path, self._progress())
        # Every space, even empty: a new version without frames deletes the old frames.
        read = ReadFile(found, sha256, {space: SpaceInputs() for space in self.spaces}, "text")
        read.warnings.extend(media.notes)
        if media.transcript is not None and media.chunks:
            self._transcript_rows(read, media)
        if self._pictures is not None:
            self._frame_rows(read, media)
        return read

    def _progress(self) -> Callable[[float], None] | None:
        report = self._on_seconds
        if report is None:
            return None
        done = [0.0]

        def seconds(total: float) -> None:  # MediaReader gives the file's seconds so far
            report(total - done[0])
            done[0] = total

        return seconds

    def _transcript_rows(self, read: ReadFile, media: MediaFile) -> None:
        transcript = media.transcript
        assert transcript is not None
        document = TextDocument(
            source=read.found.path,
            title=read.found.path.name,
            text=transcript_text(transcript.segments),
            media_type=media.media_type,
            metadata={
                "language": transcript.language,
                "speech_model": self._reader.speech_model_id,
            },
        )
        times = TranscriptTimes(transcript.segments)
        for space, chunker in self._chunkers.items():
            chunks = chunker.document_chunks(document, mtime=read.found.mtime, sha256=read.sha256)
            for row, model_input in chunks:
                start, end = times.span(row["char_start"], row["char_end"])
                row["metadata"] = {**document.metadata, "start": start, "end": end}
                read.spaces[space].add(row, model_input, input_key(model_input))

    def _frame_rows(self, read: ReadFile, media: MediaFile) -> None:
        assert self._pictures is not None
        document = TextDocument(
            source=read.found.path,
            title=read.found.path.name,
            text="",
            media_type=media.media_type,
        )
        shared = source_fields(document, mtime=read.found.mtime, sha256=read.sha256)
        into = read.spaces["clip_image"]
        frames = media.frames
        for index, frame in enumerate(frames):
            end = frames[index + 1].time if index + 1 < len(frames) else media.info.duration
            row = _frame_row(read.found, index, frame, shared, end)
            # The frame at this time of this content: the same pixels, the same vector.
            key = "frame:" + hashlib.sha256(f"{read.sha256}\x1f{frame.time!r}".encode()).hexdigest()
            into.add(row, self._pictures.preprocess(frame.image), key)


def _frame_row(
    found: FoundFile, index: int, frame: KeyFrame, shared: dict[str, Any], end: float | None
) -> dict[str, Any]:
    start = round(frame.time, 3)
    return {
        # Apart from the transcript's rows of the same path (chunk ids).
        "id": row_id(f"{found.path}#frame", index),
        **shared,
        "width": frame.image.width,
        "height": frame.image.height,
        "format": KEY_FRAME_FORMAT,
        "caption": "",
        "metadata": {"start": start, "end": round(max(end or start, start), 3)},
    }
