"""`searchapp reindex`: rebuild the index with a new model or HNSW parameters, no downtime."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from searchapp.cli.ingest_progress import IngestBar, ingest_progress, print_ingest_summary
from searchapp.cli.output import command_errors, err, out
from searchapp.ingest import Outcome

if TYPE_CHECKING:  # the re-index code loads every extractor: imported when it runs
    from searchapp.ingest.reindex import ReindexPlan, ReindexReport


class Space(StrEnum):
    TEXT = "text"
    CLIP = "clip"
    ALL = "all"


def reindex_command(
    text_model: Annotated[
        str | None,
        typer.Option(
            help="Re-embed the text space with this text model: any SEARCHAPP_TEXT_MODEL "
            "value (a sentence-transformers hub id or local folder, "
            "sentence-transformers/paraphrase-MiniLM-L3-v2, endpoint:<model>; `searchapp "
            "models` lists those usable here). Default: the model the index already uses."
        ),
    ] = None,
    clip_model: Annotated[
        str | None,
        typer.Option(
            help="Re-embed the CLIP spaces (images, CLIP texts) with this open_clip "
            "architecture, with --clip-pretrained or --clip-checkpoint (default: "
            "SEARCHAPP_CLIP_PRETRAINED / SEARCHAPP_CLIP_CHECKPOINT)."
        ),
    ] = None,
    clip_pretrained: Annotated[
        str | None,
        typer.Option(help="open_clip pretrained tag of the new CLIP weights (from the hub)."),
    ] = None,
    clip_checkpoint: Annotated[
        Path | None,
        typer.Option(
            help="Local CLIP weights: a checkpoint file for --clip-model, or an open_clip "
            "model folder."
        ),
    ] = None,
    space: Annotated[
        Space | None,
        typer.Option(
            help="The spaces to rebuild: text (MiniLM), clip (both CLIP spaces, which share "
            "a model) or all. Default: those whose model you change; without a model "
            "option, all of them."
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
        typer.Option("--keep-old", help="Keep the old collections after the switch."),
    ] = False,
    grace: Annotated[
        float,
        typer.Option(
            min=0.0,
            help="Seconds between the switch and dropping the old collections, so that "
            "searches already running on them finish.",
        ),
    ] = 5.0,
    text_field: Annotated[
        str | None,
        typer.Option(
            help="As for ingest: the field to embed in record files (default: the "
            "fields each root was ingested with)."
        ),
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
    """Rebuild the index into new collections while searches keep using the old ones.

    A new --text-model or CLIP model re-reads every source file of its spaces
    and re-embeds it; new HNSW parameters alone copy the stored vectors. When
    the new collections are fully indexed, each alias switches to its new
    collection in one atomic step and the old collections are dropped (or kept
    with --keep-old).
    """
    from searchapp.app import App
    from searchapp.extract import ExtractOptions
    from searchapp.ingest.reindex import ReindexRequest, plan_reindex, run_reindex
    from searchapp.ingest.reindex import drop_unused as drop_unused_versions

    with command_errors(), App() as app:
        if drop_unused:
            dropped = drop_unused_versions(app)
            out.print(
                f"dropped {', '.join(dropped)}" if dropped else "no unused collections",
                markup=False,
            )
            return
        request = ReindexRequest(
            text_model=text_model,
            clip_model=clip_model,
            clip_pretrained=clip_pretrained,
            clip_checkpoint=clip_checkpoint,
            spaces=_spaces(space),
            hnsw_m=hnsw_m,
            ef_construction=ef_construction,
            re_embed=re_embed,
            keep_old=keep_old,
            grace_seconds=grace,
        )
        plan = plan_reindex(app, request)
        _print_plan(plan)
        # No field named: each file is read with the options recorded for its root.
        fields = (text_field, title_field, id_field)
        options = (
            ExtractOptions(text_field=text_field, title_field=title_field, id_field=id_field)
            if any(field is not None for field in fields)
            else None
        )
        with ingest_progress() as progress:
            bar = IngestBar(progress, plan.total_bytes, len(plan.files)) if plan.re_embeds else None
            copying = (
                progress.add_task("copying rows", total=plan.rows_to_copy)
                if plan.rows_to_copy
                else None
            )
            report = run_reindex(
                app,
                plan,
                options=options,
                progress=bar,
                on_rows_copied=(
                    (lambda n: progress.update(copying, advance=n)) if copying is not None else None
                ),
            )
    if as_json:
        out.print_json(json.dumps(report.as_dict()))
    else:
        _print_report(report)


def _spaces(space: Space | None) -> tuple[str, ...]:
    if space is None:
        return ()
    return ("text", "clip") if space is Space.ALL else (space.value,)


def _print_plan(plan: ReindexPlan) -> None:
    for space in plan.spaces:
        err.print(
            f"building the next version of {space.current.name} ({space.method} with "
            f"{space.identity.model_id}, HNSW M={space.index.m} "
            f"efConstruction={space.index.ef_construction}); searches keep using "
            f"{space.current.physical_name}",
            markup=False,
        )


def _print_report(report: ReindexReport) -> None:
    say = out.print
    say(f"re-indexed in {report.elapsed:.1f} s:", markup=False)
    for space in report.spaces:
        say(
            f"  {space.alias}: {space.old_collection} -> {space.new_collection} ({space.method})",
            markup=False,
        )
        say(f"    model  {space.old_model} -> {space.new_model}", markup=False)
        say(
            f"    index  HNSW M={space.old_index.m} "
            f"efConstruction={space.old_index.ef_construction} -> M={space.new_index.m} "
            f"efConstruction={space.new_index.ef_construction}",
            markup=False,
        )
        say(f"    rows   {space.rows_before} -> {space.rows_after}", markup=False)
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
        print_ingest_summary(report.ingest)
    old = ", ".join(space.old_collection for space in report.spaces)
    say(
        f"  old collections {old} "
        + (
            "dropped" if report.old_dropped else "kept (searchapp reindex --drop-unused drops them)"
        ),
        markup=False,
    )
    for setting in report.settings:
        say(f"set {setting} so that ingest uses the new model (searches already do)", markup=False)
