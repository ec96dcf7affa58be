"""`searchapp ingest`: put files and folders into the index, with progress and a summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from searchapp.cli.ingest_progress import IngestBar, ingest_progress, print_ingest_summary
from searchapp.cli.output import command_errors, out
from searchapp.ingest import IngestSummary


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
        app = App()
        try:
            found = scan(paths, follow_outside=app.settings.follow_symlinks_outside).share(share)
            # The web app serves files from under these folders (SEARCHAPP_FILE_ROOTS unset).
            record_roots(app.settings.state_dir, paths)
            options = ExtractOptions(
                text_field=text_field, title_field=title_field, id_field=id_field
            )
            with ingest_progress() as progress:
                bar = IngestBar(progress, found.total_bytes, len(found.files))
                summary = ingest(
                    app,
                    found,  # this shard's share, sorted once
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
        print_ingest_summary(summary)
    if summary.nothing_ingested:
        raise typer.Exit(1)


def _write_report(path: Path, summary: IngestSummary) -> None:
    from searchapp.errors import SearchappError

    try:
        path.write_text(json.dumps(summary.report(), indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise SearchappError(f"cannot write the report {path}: {exc.strerror or exc}") from exc
