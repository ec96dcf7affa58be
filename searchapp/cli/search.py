"""`searchapp search`: run a query and print the best hits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from searchapp.cli.output import command_errors, out
from searchapp.errors import InvalidQueryError
from searchapp.search import MAX_K, Mode, SearchRequest, SearchResult
from searchapp.search.cross_modal import is_item_id

_IMAGE_MODES = (Mode.IMAGE, Mode.IMAGE_TO_TEXT)


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
        bool, typer.Option("--json", help="Print hits as JSON (a stable shape; see README).")
    ] = False,
) -> None:
    """Search ingested documents and images by meaning (not just by matching words)."""
    from searchapp.app import App

    with command_errors():
        request = _request(query, mode, k, offset)
        app = App()
        try:
            result = app.search.search(request)
        finally:
            app.close()
    if as_json:
        out.print_json(json.dumps([hit.as_json() for hit in result.hits]))
    else:
        _print_hits(result)


def _request(query: str, mode: Mode, k: int, offset: int) -> SearchRequest:
    if mode not in _IMAGE_MODES:
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
        out.print(
            f"[bold]{rank}. {_escape(hit.title or '(untitled)')}[/]  [dim]score {hit.score:.3f}[/]"
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
    out.print(f"[dim]{len(result.hits)} hits in {result.took_ms:.0f} ms[/]")


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
