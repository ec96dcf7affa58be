"""`searchapp stats`: what the index holds, collection by collection."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from searchapp.cli.output import command_errors, out


def stats_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Each collection: rows, model, dimension, metric and HNSW parameters."""
    from searchapp.app import App
    from searchapp.store.schema import ALL_SPECS

    with command_errors(), App() as app:
        infos = app.store.describe(list(ALL_SPECS))
        store = {"uri": app.store.uri, "server": app.store.info.describe()}
    if as_json:
        out.print_json(json.dumps({"store": store, "collections": [i.as_dict() for i in infos]}))
        return
    out.print(f"store: {store['server']} at {store['uri']}", markup=False)
    if not infos:
        out.print("no collections yet: run `searchapp ingest PATH`", markup=False)
        return
    for info in infos:
        index = info.index
        media = f" ({info.media_rows} of audio and video)" if info.media_rows else ""
        out.print(f"{info.name} -> {info.physical_name}: {info.rows} rows{media}", markup=False)
        out.print(
            f"  model {info.model}, {info.dim}-d, {info.metric}"
            + (", normalised" if info.normalized else "")
            + (f", {info.backend} backend" if info.backend else ""),
            markup=False,
        )
        out.print(
            f"  index {index['type']} M={index['M']} efConstruction={index['efConstruction']}, "
            f"search ef={index['search_ef']}",
            markup=False,
        )
