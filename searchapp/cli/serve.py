"""`searchapp serve`: the JSON API and the search page in one web process."""

from __future__ import annotations

from typing import Annotated

import typer

from searchapp.cli.output import command_errors, out


def serve_command(
    host: Annotated[
        str,
        typer.Option(help="Interface to listen on; 0.0.0.0 serves other machines too."),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    log_level: Annotated[
        str, typer.Option(help="uvicorn's log level: critical, error, warning, info, debug.")
    ] = "info",
) -> None:
    """Serve the search page at / and the JSON API at /api (OpenAPI docs at /docs).

    The store connection and the models load once at start-up; without CLIP
    weights the image directions say why, and text search keeps working.
    """
    import uvicorn

    from searchapp.config import get_settings
    from searchapp.web import create_app
    from searchapp.web.server import server_config

    with command_errors():
        web = create_app()
        config = server_config(
            web,
            host=host,
            port=port,
            log_level=log_level,
            header_timeout=get_settings().header_timeout_seconds,
        )
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        out.print(f"searchapp: http://{shown}:{port}/  (API docs: /docs)", markup=False)
        uvicorn.Server(config).run()
