"""`searchapp search`: run a query and print the best hits."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from searchapp.cli.output import command_errors, out
from searchapp.search import MAX_K, Retrieval, SearchResult


def search_command(
    query: Annotated[str, typer.Argument(help="What to look for, in your own words.")],
    k: Annotated[
        int, typer.Option("-k", "--k", min=1, max=MAX_K, help="How many hits to show.")
    ] = 10,
    offset: Annotated[int, typer.Option(min=0, help="Skip this many hits (paging).")] = 0,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print hits as JSON (a stable shape; see README).")
    ] = False,
    retrieval: Annotated[
        Retrieval | None,
        typer.Option(
            help="dense: by meaning; keyword: by words (BM25); hybrid: both, fused. "
            "Default: SEARCHAPP_RETRIEVAL (hybrid)."
        ),
    ] = None,
    min_relevance: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Drop hits whose calibrated relevance (0-1) is lower; 0 shows every hit. "
            "Default: the measured floor of the retrieval (see README).",
        ),
    ] = None,
) -> None:
    """Search ingested documents by meaning and by words (hybrid, the default)."""
    from searchapp.app import App

    with command_errors():
        app = App()
        result = app.search.search_text(
            query, k=k, offset=offset, retrieval=retrieval, min_relevance=min_relevance
        )
        app.close()
    if as_json:
        out.print_json(json.dumps([hit.as_json() for hit in result.hits]))
    else:
        _print_hits(result)


def _print_hits(result: SearchResult) -> None:
    if result.notice:
        out.print(result.notice, markup=False)
    if not result.hits:
        out.print("no results", markup=False)
        return
    for rank, hit in enumerate(result.hits, start=result.offset + 1):
        where = hit.source + (f"#{hit.record_id}" if hit.record_id else "")
        out.print(
            f"[bold]{rank}. {_escape(hit.title or '(untitled)')}[/]  "
            f"[dim]relevance {hit.relevance or 0:.2f}, score {hit.score:.3f}[/]"
        )
        out.print(f"   {where}", markup=False, style="cyan")
        out.print("   " + " ".join(hit.snippet.split()), markup=False)
    hidden = f", {result.below_floor} below the relevance floor" if result.below_floor else ""
    out.print(
        f"[dim]{len(result.hits)} hits ({result.retrieval}{hidden}) in {result.took_ms:.0f} ms[/]"
    )


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
