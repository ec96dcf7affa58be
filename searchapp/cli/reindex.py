"""`searchapp reindex`: rebuild the index with a new model or HNSW parameters, no downtime."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from searchapp.cli.ingest import _Bar, _print_summary, _progress
from searchapp.cli.output import command_errors, err, out
from searchapp.ingest import Outcome
from searchapp.ingest.reindex import ReindexReport


def reindex_command(
    text_model: Annotated[
        str | None,
        typer.Option(
            help="Re-embed everything with this sentence-transformers model (hub id or local "
            "folder). Default: the model the index already uses."
        ),
    ] = None,
    hnsw_m: Annotated[
        int | None, typer.Option(min=2, max=2048, help="New HNSW M (links per node).")
    ] = None,
    ef_construction: Annotated[
        int | None,
        typer.Option(min=8, max=65535, help="New HNSW efConstruction (build candidate list)."),
    ] = None,
    re_embed: Annotated[
        bool,
        typer.Option(
            "--re-embed",
            help="Re-read and re-embed every source file even if the model stays (e.g. "
            "after changing SEARCHAPP_CHUNK_TOKENS).",
        ),
    ] = False,
    keep_old: Annotated[
        bool,
        typer.Option("--keep-old", help="Keep the old collection after the switch."),
    ] = False,
    grace: Annotated[
        float,
        typer.Option(
            min=0.0,
            help="Seconds between the switch and dropping the old collection, so that "
            "searches already running on it finish.",
        ),
    ] = 5.0,
    text_field: Annotated[
        str | None,
        typer.Option(help="As for ingest: the field to embed in record files."),
    ] = None,
    title_field: Annotated[
        str | None, typer.Option(help="As for ingest: the field holding a record's title.")
    ] = None,
    id_field: Annotated[
        str | None, typer.Option(help="As for ingest: the field holding a record's id.")
    ] = None,
    drop_unused: Annotated[
        bool,
        typer.Option(
            "--drop-unused",
            help="Only drop old collection versions that no alias uses (kept by --keep-old, "
            "or left by an interrupted re-index), then exit.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Rebuild the index into a new collection while searches keep using the old one.

    A new --text-model re-reads every source file and re-embeds it; new HNSW
    parameters alone copy the stored vectors. When the new collection is fully
    indexed, the alias switches to it in one atomic step and the old collection
    is dropped (or kept with --keep-old).
    """
    from searchapp.app import App
    from searchapp.extract import ExtractOptions
    from searchapp.ingest.reindex import ReindexRequest, plan_reindex, run_reindex
    from searchapp.ingest.reindex import drop_unused as drop_unused_versions

    with command_errors():
        app = App()
        if drop_unused:
            dropped = drop_unused_versions(app)
            app.close()
            out.print(
                f"dropped {', '.join(dropped)}" if dropped else "no unused collections",
                markup=False,
            )
            return
        request = ReindexRequest(
            text_model=text_model,
            hnsw_m=hnsw_m,
            ef_construction=ef_construction,
            re_embed=re_embed,
            keep_old=keep_old,
            grace_seconds=grace,
        )
        plan = plan_reindex(app, request)
        err.print(
            f"building the next version of {plan.current.name} with {plan.model}, "
            f"HNSW M={plan.index.m} efConstruction={plan.index.ef_construction}; "
            f"searches keep using {plan.current.physical_name}",
            markup=False,
        )
        options = ExtractOptions(text_field=text_field, title_field=title_field, id_field=id_field)
        with _progress() as progress:
            if plan.embedder is not None:
                bar = _Bar(progress, plan.total_bytes, len(plan.files))
                report = run_reindex(app, plan, options=options, progress=bar)
            else:
                task = progress.add_task("copying rows", total=max(plan.rows_before, 1))
                report = run_reindex(
                    app, plan, on_rows_copied=lambda n: progress.update(task, advance=n)
                )
        app.close()
    if as_json:
        out.print_json(json.dumps(report.as_dict()))
    else:
        _print_report(report)


def _print_report(report: ReindexReport) -> None:
    say = out.print
    say(
        f"re-indexed {report.alias}: {report.old_collection} -> {report.new_collection} "
        f"({report.method}, {report.elapsed:.1f} s)",
        markup=False,
    )
    say(f"  model  {report.old_model} -> {report.new_model}", markup=False)
    say(
        f"  index  HNSW M={report.old_index.m} efConstruction={report.old_index.ef_construction}"
        f" -> M={report.new_index.m} efConstruction={report.new_index.ef_construction}",
        markup=False,
    )
    say(f"  rows   {report.rows_before} -> {report.rows_after}", markup=False)
    if report.vanished:
        say(
            f"  {len(report.vanished)} source files no longer exist; their rows were not "
            "carried over:",
            markup=False,
        )
        for source in report.vanished[:10]:
            say(f"    {source}", markup=False)
    if report.ingest is not None and any(
        report.ingest.count(outcome) for outcome in (Outcome.FAILED, Outcome.SKIPPED)
    ):
        _print_summary(report.ingest)
    say(
        f"  old collection {report.old_collection} "
        + ("dropped" if report.old_dropped else "kept (searchapp reindex --drop-unused drops it)"),
        markup=False,
    )
    if report.new_model != report.old_model:
        say(
            f"set SEARCHAPP_TEXT_MODEL={report.new_model} so that ingest uses the new model "
            "(searches already do)",
            markup=False,
        )
