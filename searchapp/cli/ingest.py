"""`searchapp ingest`: put files and folders into the index, with progress and a summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
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

from searchapp.cli.output import command_errors, err, out
from searchapp.ingest import FileResult, IngestSummary, Outcome

# Reasons listed per outcome before "... and N more".
_MAX_LISTED = 10


class _Bar:
    """Draws the run in bytes (rate and ETA: the honest measure of work), with file
    and chunk counts in the description."""

    def __init__(self, progress: Progress, total_bytes: int, total_files: int) -> None:
        self._progress = progress
        self._task: TaskID = progress.add_task("", total=max(total_bytes, 1))
        self._total_files = total_files
        self._files = 0
        self._chunks = 0
        self._describe()

    def advance(self, nbytes: float, chunks: int) -> None:
        self._chunks += chunks
        self._progress.update(self._task, advance=nbytes)
        self._describe()

    def file_done(self, result: FileResult) -> None:
        self._files += 1
        self._describe()

    def _describe(self) -> None:
        self._progress.update(
            self._task,
            description=f"files {self._files}/{self._total_files}, {self._chunks} chunks",
        )


def ingest_command(
    paths: Annotated[
        list[Path], typer.Argument(help="Files and folders to ingest (folders recursively).")
    ],
    text_field: Annotated[
        str | None,
        typer.Option(
            help="Field to embed in .jsonl/.json/.csv records (default: text, "
            "content, body or abstract, whichever exists)."
        ),
    ] = None,
    title_field: Annotated[
        str | None, typer.Option(help="Field holding a record's title (default: title or name).")
    ] = None,
    id_field: Annotated[
        str | None,
        typer.Option(help="Field holding a record's id (default: _id or id, else its position)."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Re-embed files even when they are unchanged.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the summary as JSON on stdout.")
    ] = False,
    no_delete: Annotated[
        bool,
        typer.Option(
            "--no-delete",
            help="Keep the rows of files that are gone from the named folders "
            "(default: they are deleted).",
        ),
    ] = False,
    shard: Annotated[
        str | None,
        typer.Option(
            help="I/N: ingest only this process's share of the files (N processes, "
            "I = 0..N-1, together ingest the tree once).",
            metavar="I/N",
        ),
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option(
            help="Write a JSON report of every skipped or failed file, with its reason.",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Extract, chunk, embed and store the text of files, and embed images.

    Supported: .txt .md .rst .html .pdf, and records in .jsonl .json .csv (one
    document per record); images .jpg .jpeg .png .webp .gif .bmp .tif .tiff
    (CLIP), captioned by a NAME.caption or NAME.txt file next to them or by
    their own metadata. Unchanged files are skipped on re-runs; changed files
    replace their old chunks; rows of files deleted from the named folders are
    deleted (unless --no-delete). A killed run loses nothing: run it again.
    Exit status 1 only when nothing could be ingested or the store is
    unreachable.
    """
    from searchapp.app import App
    from searchapp.extract import ExtractOptions
    from searchapp.ingest import Shard, ingest, scan
    from searchapp.ingest.roots import record_roots

    with command_errors():
        share = Shard.parse(shard) if shard is not None else None
        found = scan(paths).share(share)
        app = App()
        # The web app serves files from under these folders (SEARCHAPP_FILE_ROOTS unset).
        record_roots(app.settings.state_dir, paths)
        options = ExtractOptions(text_field=text_field, title_field=title_field, id_field=id_field)
        try:
            with _progress() as progress:
                bar = _Bar(progress, found.total_bytes, len(found.files))
                summary = ingest(
                    app,
                    found.files,
                    options=options,
                    force=force,
                    progress=bar,
                    roots=found.roots,
                    delete_missing=not no_delete,
                    shard=share,
                )
        finally:
            app.close()
        if report is not None:
            _write_report(report, summary)
    if as_json:
        out.print_json(json.dumps(summary.as_dict()))
    else:
        _print_summary(summary)
    if summary.nothing_ingested:
        raise typer.Exit(1)


def _write_report(path: Path, summary: IngestSummary) -> None:
    from searchapp.errors import SearchappError

    try:
        path.write_text(json.dumps(summary.report(), indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise SearchappError(f"cannot write the report {path}: {exc.strerror or exc}") from exc


def _progress() -> Progress:
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


def _print_summary(summary: IngestSummary) -> None:
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
