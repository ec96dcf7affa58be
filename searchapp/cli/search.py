"""`searchapp search`: run a query and print the best hits."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from searchapp.cli.output import command_errors, out
from searchapp.errors import InvalidQueryError
from searchapp.item_ids import is_item_id
from searchapp.search import MAX_K, Mode, Retrieval, SearchRequest, SearchResult
from searchapp.search.request import IMAGE_MODES


def search_command(
    query: Annotated[
        str,
        typer.Argument(
            help="What to look for, in your own words; in the image modes, an image file "
            "or the id of an ingested image."
        ),
    ],
    mode: Annotated[
        Mode,
        typer.Option(
            "--mode",
            "-m",
            help="text: documents by meaning; text-to-image: images that look like the "
            "words; image: images like an image; image-to-text: documents and captions "
            "about an image.",
        ),
    ] = Mode.TEXT,
    k: Annotated[
        int, typer.Option("-k", "--k", min=1, max=MAX_K, help="How many hits to show.")
    ] = 10,
    offset: Annotated[int, typer.Option(min=0, help="Skip this many hits (paging).")] = 0,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print hits as JSON (a stable shape; see docs/cli.md).")
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
            "Default: the measured floor of the retrieval (see docs/evaluation.md).",
        ),
    ] = None,
) -> None:
    """Search ingested documents and images by meaning, and documents also by words.

    Text queries use hybrid retrieval (meaning and words, fused) by default.
    """
    from searchapp.app import App

    with command_errors():
        request = _request(query, mode, k, offset)
        if mode is Mode.TEXT:
            request = replace(request, retrieval=retrieval, min_relevance=min_relevance)
        with App() as app:
            result = app.search.search(request)
    if as_json:
        out.print_json(json.dumps([hit.as_json() for hit in result.hits]))
    else:
        _print_hits(result)


def _request(query: str, mode: Mode, k: int, offset: int) -> SearchRequest:
    if mode not in IMAGE_MODES:
        return SearchRequest(mode=mode, text=query, k=k, offset=offset)
    path = Path(query).expanduser()
    if path.is_file():
        try:
            image = path.read_bytes()
        except OSError as exc:
            raise InvalidQueryError(f"cannot read {query}: {exc.strerror or exc}") from exc
        return SearchRequest(mode=mode, image=image, k=k, offset=offset)
    if is_item_id(query):
        return SearchRequest(mode=mode, item_id=query, k=k, offset=offset)
    raise InvalidQueryError(
        f"{query!r} is neither an image file nor the id of an ingested image "
        "(32 hex digits, as printed by `searchapp search`)"
    )


def _print_hits(result: SearchResult) -> None:
    if result.notice:
        out.print(result.notice, markup=False)
    if not result.hits:
        out.print("no results", markup=False)
        return
    for rank, hit in enumerate(result.hits, start=result.offset + 1):
        where = hit.source + (f"#{hit.record_id}" if hit.record_id else "")
        rated = "" if hit.relevance is None else f"relevance {hit.relevance:.2f}, "
        out.print(
            f"[bold]{rank}. {_escape(hit.title or '(untitled)')}[/]  "
            f"[dim]{rated}score {hit.score:.3f}[/]"
        )
        out.print(f"   {where}", markup=False, style="cyan")
        if hit.image is not None:
            out.print(
                f"   image {hit.image.width} x {hit.image.height} {hit.image.format}, id {hit.id}",
                markup=False,
                style="dim",
            )
        if hit.snippet:
            out.print("   " + " ".join(hit.snippet.split()), markup=False)
    hidden = f", {result.below_floor} below the relevance floor" if result.below_floor else ""
    how = f" ({result.retrieval}{hidden})" if result.retrieval else ""
    out.print(f"[dim]{len(result.hits)} hits{how} in {result.took_ms:.0f} ms[/]")


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
