"""The `searchapp` command. Each command lives in its own module and stays thin:
it parses options, calls the services, and prints."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from searchapp.cli.doctor import doctor_command
from searchapp.cli.eval import eval_command
from searchapp.cli.explore import explore_app
from searchapp.cli.ingest import ingest_command
from searchapp.cli.models import models_command
from searchapp.cli.output import command_errors, out, quiet_third_party_logs
from searchapp.cli.reindex import reindex_command
from searchapp.cli.search import search_command
from searchapp.cli.serve import serve_command
from searchapp.cli.stats import stats_command
from searchapp.cli.token import token_app
from searchapp.cli.worker import worker_command

app = typer.Typer(
    name="searchapp",
    help="Semantic search over your own documents, on Milvus.\n\n"
    "Ingest folders, then search them by meaning. Settings come from SEARCHAPP_* "
    "environment variables or a .env file (see docs/configuration.md).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("ingest")(ingest_command)
app.command("search")(search_command)
app.command("stats")(stats_command)
app.command("eval")(eval_command)
app.command("reindex")(reindex_command)
app.command("doctor")(doctor_command)
app.command("models")(models_command)
app.command("serve")(serve_command)
app.command("worker")(worker_command)

app.add_typer(token_app, name="token")
app.add_typer(explore_app, name="explore")

store_app = typer.Typer(help="The shared local Milvus Lite store process.", no_args_is_help=True)
app.add_typer(store_app, name="store")


@store_app.command("status")
def store_status() -> None:
    """Show whether the local store process runs, and where."""
    from searchapp.config import get_settings
    from searchapp.store.local import LocalStore

    settings = get_settings()
    if not settings.uses_milvus_lite:
        out.print(f"using a Milvus server at {settings.shown_milvus_uri}", markup=False)
        return
    local = LocalStore(Path(settings.resolved_milvus_uri).resolve())
    info = local.running()
    if info is None:
        out.print(f"not running (store folder {local.data_dir})", markup=False)
    else:
        out.print(
            f"running: pid {info['pid']}, socket {info['socket']}, folder {local.data_dir}",
            markup=False,
        )


@store_app.command("stop")
def store_stop() -> None:
    """Stop the local store process (the next command starts it again)."""
    from searchapp.config import get_settings
    from searchapp.store.local import LocalStore

    with command_errors():
        settings = get_settings()
        if not settings.uses_milvus_lite:
            out.print("nothing to stop: searchapp uses a Milvus server", markup=False)
            return
        stopped = LocalStore(Path(settings.resolved_milvus_uri).resolve()).stop()
        out.print("stopped" if stopped else "was not running", markup=False)


@app.callback()
def _main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log more detail.")] = False,
) -> None:
    import logging

    from searchapp.private import restrict_new_files

    restrict_new_files()  # the state folder's files and folders: this user's only
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING)
    quiet_third_party_logs()


def main() -> None:
    app()
