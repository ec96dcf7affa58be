"""`searchapp explore duplicates|clusters|outliers|map`: what the library holds,
what is repeated and what stands out (see searchapp.explore)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from searchapp.cli.output import command_errors, err, out

if TYPE_CHECKING:
    from searchapp.app import App
    from searchapp.explore import ExploreService

explore_app = typer.Typer(
    help="Explore the library: near-duplicates, clusters, outliers and a 2-D map.",
    no_args_is_help=True,
)

Space = Annotated[
    str, typer.Option("--space", help="text (documents) or image (CLIP images).")
]  # fmt: skip
AsJson = Annotated[bool, typer.Option("--json", help="Print as JSON.")]
Limit = Annotated[int, typer.Option("--limit", min=1, help="Show at most this many.")]
Clusters = Annotated[
    int | None,
    typer.Option("--clusters", min=1, help="Number of clusters (default: best silhouette)."),
]


def open_app() -> App:
    """The process's App (a seam: tests hand in one already ingested)."""
    from searchapp.app import App

    return App()


@contextmanager
def _service() -> Iterator[ExploreService]:
    from searchapp.explore import ExploreService

    with command_errors():
        app = open_app()
        try:
            if err.is_terminal:  # a progress bar only for a person watching
                with _progress() as (progress, report):
                    yield ExploreService(app.settings, app.store, progress=report)
                    progress.stop()
            else:
                yield ExploreService(app.settings, app.store)
        finally:
            app.close()


@contextmanager
def _progress() -> Iterator[tuple[Progress, Callable[[str, int, int], None]]]:
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    tasks: dict[str, Any] = {}

    def report(step: str, done: int, total: int) -> None:
        if step not in tasks:
            tasks[step] = progress.add_task(step, total=total)
        progress.update(tasks[step], completed=done, total=total)

    with progress:
        yield progress, report


def _print_json(data: dict[str, Any]) -> None:
    out.print_json(json.dumps(data))


@explore_app.command("duplicates")
def duplicates_command(
    space: Space = "text",
    threshold: Annotated[
        float | None,
        typer.Option(
            "--threshold",
            min=0.0,
            max=1.0,
            help="Cosine similarity for near-duplicates (default: the setting for the space).",
        ),
    ] = None,
    limit: Limit = 20,
    as_json: AsJson = False,
) -> None:
    """Groups of near-duplicate items (same bytes marked exact)."""
    with _service() as service:
        report = service.duplicates(space, threshold)
    groups = report["groups"][:limit]
    if as_json:
        _print_json({**report, "groups": groups, "total_groups": len(report["groups"])})
        return
    out.print(
        f"{len(report['groups'])} duplicate groups among {report['item_count']} {space} items "
        f"(similarity >= {report['threshold']})",
        markup=False,
    )
    table = _table("group", "similarity", "title", "source")
    for number, group in enumerate(groups, 1):
        similarity = "exact" if group["exact"] else f"{group['similarity']:.3f}"
        for i, member in enumerate(group["members"]):
            first = i == 0
            table.add_row(
                str(number) if first else "",
                similarity if first else "",
                member["title"]
                + (" (same bytes)" if member["exact"] and not group["exact"] else ""),
                _source(member),
            )
    out.print(table)


@explore_app.command("clusters")
def clusters_command(
    space: Space = "text", clusters: Clusters = None, limit: Limit = 50, as_json: AsJson = False
) -> None:
    """Clusters of similar items, each labelled by its most distinctive words."""
    with _service() as service:
        report = service.clusters(space, clusters)
    shown = report["clusters"][:limit]
    if as_json:
        _print_json({**report, "clusters": shown})
        return
    out.print(
        f"{len(report['clusters'])} clusters of {report['item_count']} {space} items", markup=False
    )
    table = _table("cluster", "size", "label", "examples")
    for c in shown:
        examples = "; ".join(e["title"] for e in c["examples"])
        table.add_row(str(c["cluster"]), str(c["size"]), Text(c["label"]), Text(examples))
    out.print(table)


@explore_app.command("outliers")
def outliers_command(
    space: Space = "text",
    neighbours: Annotated[
        int | None,
        typer.Option("--neighbours", min=1, max=100, help="k nearest items scored against."),
    ] = None,
    limit: Limit = 20,
    as_json: AsJson = False,
) -> None:
    """Items furthest from their nearest neighbours (mean cosine distance to the k nearest)."""
    with _service() as service:
        report = service.outliers(space, neighbours)
    shown = report["items"][:limit]
    if as_json:
        _print_json({**report, "items": shown})
        return
    table = _table("score", "title", "source", title=f"top outliers ({space})")
    for item in shown:
        table.add_row(f"{item['score']:.3f}", Text(item["title"]), Text(_source(item)))
    out.print(table)


@explore_app.command("map")
def map_command(
    space: Space = "text", clusters: Clusters = None, limit: Limit = 20, as_json: AsJson = False
) -> None:
    """2-D coordinates of every item (a sample when large), with its cluster."""
    with _service() as service:
        report = service.map(space, clusters)
    if as_json:  # every point: the map is what a plotting tool wants
        _print_json(report)
        return
    out.print(
        f"{len(report['points'])} points ({report['method']}) of {report['item_count']} {space} "
        f"items, {len(report['clusters'])} clusters; --json prints every point",
        markup=False,
    )
    table = _table("x", "y", "cluster", "title")
    for point in report["points"][:limit]:
        table.add_row(
            f"{point['x']:.3f}", f"{point['y']:.3f}", str(point["cluster"]), point["title"]
        )
    out.print(table)


def _table(*columns: str, title: str | None = None) -> Table:
    table = Table(title=title)
    for column in columns:  # long paths and titles wrap, never cut
        table.add_column(column, overflow="fold")
    return table


def _source(item: dict[str, Any]) -> str:
    record = item.get("record_id")
    return f"{item['source']}#{record}" if record else item["source"]
