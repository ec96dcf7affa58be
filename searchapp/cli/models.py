"""`searchapp models`: which models can be used here, and where each loads from."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.text import Text

from searchapp.cli.output import command_errors, out


def models_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print the list as JSON.")] = False,
) -> None:
    """List the models that can be used here, and where each loads from.

    Text: all-MiniLM-L6-v2 and paraphrase-MiniLM-L3-v2 (offline, when their
    packages are installed) and the configured SEARCHAPP_TEXT_MODEL (a folder,
    a hub id, or endpoint:<model>, whose server is asked for one vector to learn
    its dimension). Then the configured CLIP weights, or why there are none,
    and the speech model for audio and video. Each model is loaded to prove it
    works, as `searchapp doctor` does; `*` marks the configured ones. Pick a
    text model with SEARCHAPP_TEXT_MODEL, or move an index to it with
    `searchapp reindex --text-model NAME`.
    """
    from searchapp.config import get_settings
    from searchapp.model_catalog import available_models

    with command_errors():
        models = available_models(get_settings())
    if as_json:
        out.print_json(json.dumps({"models": [model.as_dict() for model in models]}))
        return
    for model in models:
        if not model.usable:
            mark, style = "no ", "bold red"
        elif model.offline:
            mark, style = "yes", "green"
        else:
            mark, style = "net", "yellow"
        out.print(
            Text.assemble(
                (mark, style),
                f" {'*' if model.configured else ' '} {model.family:<6} {model.model}: ",
                model.check.detail.removeprefix(f"{model.model}: "),
            )
        )
    out.print(
        "yes: loads offline; net: needs a network or a server; no: cannot be used here "
        "(the reason says why); *: configured",
        markup=False,
    )
