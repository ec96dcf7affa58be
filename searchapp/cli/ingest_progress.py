"""How an ingest shows itself on the terminal: the progress bar while it runs and
the summary after; shared by `searchapp ingest`, `eval` and `reindex`."""

from __future__ import annotations

from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from searchapp.cli.output import err
from searchapp.ingest import FileResult, IngestSummary, Outcome

# Reasons listed per outcome before "... and N more".
_MAX_LISTED = 10


class IngestBar:
    """Draws the run in bytes (rate and ETA: the honest measure of work), with file
    and chunk counts in the description, and the minutes of audio transcribed."""

    def __init__(self, progress: Progress, total_bytes: int, total_files: int) -> None:
        self._progress = progress
        self._task: TaskID = progress.add_task("", total=max(total_bytes, 1))
        self._total_files = total_files
        self._files = 0
        self._chunks = 0
        self._audio_seconds = 0.0
        self._describe()

    def advance(self, nbytes: float, chunks: int) -> None:
        self._chunks += chunks
        self._progress.update(self._task, advance=nbytes)
        self._describe()

    def file_done(self, result: FileResult) -> None:
        self._files += 1
        self._describe()

    def audio_done(self, seconds: float) -> None:
        """Audio transcribed (the engine's AudioProgress; from a reader thread, one
        recording at a time: rich's updates take a lock)."""
        self._audio_seconds += seconds
        self._describe()

    def _describe(self) -> None:
        self._progress.update(
            self._task,
            description=f"files {self._files}/{self._total_files}, {self._chunks} chunks"
            + (f", audio {self._audio_seconds / 60:.1f} min" if self._audio_seconds else ""),
        )


def ingest_progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    )


def print_ingest_summary(summary: IngestSummary) -> None:
    totals = summary.as_dict()
    table = Table(title="ingest summary", show_header=False, box=None)
    for label, key in (
        ("files seen", "files_seen"),
        ("ingested", "ingested"),
        ("unchanged", "unchanged"),
        ("skipped", "skipped"),
        ("failed", "failed"),
        ("chunks written", "chunks_written"),
        ("removed (gone from disk)", "removed"),
    ):
        table.add_row(label, str(totals[key]))
    if summary.rows_written:
        table.add_row(
            "rows written",
            ", ".join(f"{space} {rows}" for space, rows in sorted(summary.rows_written.items())),
        )
    if summary.reused:
        table.add_row(
            "embedded / reused",
            ", ".join(
                f"{space} {summary.embedded[space]}/{summary.reused[space]}"
                for space in sorted(summary.embedded)
            ),
        )
    table.add_row("elapsed", f"{summary.elapsed:.1f} s")
    table.add_row(
        "throughput",
        f"{totals['files_per_second']} files/s, {totals['chunks_per_second']} chunks/s",
    )
    err.print(table)
    for notice in summary.notices:
        err.print(f"note: {notice}")
    for outcome in (Outcome.SKIPPED, Outcome.FAILED):
        problems = summary.problems(outcome)
        if not problems:
            continue
        err.print(f"{outcome.value} ({len(problems)}):")
        for result in problems[:_MAX_LISTED]:
            err.print(f"  {result.path}: {result.reason}", markup=False)
        if len(problems) > _MAX_LISTED:
            err.print(f"  ... and {len(problems) - _MAX_LISTED} more (use --json for all)")
