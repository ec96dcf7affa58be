"""`searchapp serve`: the JSON API and the search page in one web process."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Annotated

import typer

from searchapp.cli.output import command_errors, err, out

if TYPE_CHECKING:
    from searchapp.config import Settings

# The token serve makes when a login is needed and none exists (as Jupyter does).
FIRST_TOKEN = "serve"


def serve_command(
    host: Annotated[
        str,
        typer.Option(
            help="Interface to listen on; 0.0.0.0 serves other machines too (then a token "
            "is needed: see docs/deployment.md, Security)."
        ),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    log_level: Annotated[
        str, typer.Option(help="uvicorn's log level: critical, error, warning, info, debug.")
    ] = "info",
    read_only: Annotated[
        bool,
        typer.Option("--read-only", help="Refuse uploads to ingest (also SEARCHAPP_READ_ONLY)."),
    ] = False,
) -> None:
    """Serve the search page at / and the JSON API at /api (OpenAPI docs at /docs).

    The store connection and the models load once at start-up; without CLIP
    weights the image directions say why, and text search keeps working.
    """
    import uvicorn

    from searchapp.auth.policy import host_pattern
    from searchapp.config import get_settings
    from searchapp.web import create_app
    from searchapp.web.server import server_config

    with command_errors():
        settings = get_settings()
        if read_only:
            settings = settings.model_copy(update={"read_only": True})
        # An address a browser on this machine can open (IPv6 in brackets).
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host_pattern(host)
        login = _login_address(settings, host, shown, port)
        web = create_app(settings=settings, bind_host=host)
        out.print(f"searchapp: http://{shown}:{port}/  (API docs: /docs)", markup=False)
        if login:
            out.print(login, markup=False)
        # The login URL carries a token: uvicorn's access log must not keep it.
        logging.getLogger("uvicorn.access").addFilter(MaskTokens())
        config = server_config(
            web,
            host=host,
            port=port,
            log_level=log_level,
            header_timeout=settings.header_timeout_seconds,
        )
        uvicorn.Server(config).run()


class MaskTokens(logging.Filter):
    """Masks ``token=...`` in logged request paths (uvicorn's access log line)."""

    _TOKEN = re.compile(r"(token=)[^&\s]+", re.IGNORECASE)

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                self._TOKEN.sub(r"\1***", arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        return True


def _login_address(settings: Settings, host: str, shown: str, port: int) -> str | None:
    """Say what protects this server; when a login is needed and no token exists yet,
    make one and return the address that logs in with it (printed this once)."""
    from searchapp.auth import AccessPolicy, Scope, TokenStore

    policy = AccessPolicy.of(settings, host)
    if not policy.login_required:
        if settings.auth == "off" and host not in ("127.0.0.1", "localhost", "::1"):
            err.print(
                "warning: SEARCHAPP_AUTH=off: anyone who can reach this address can read "
                "and upload; only do this behind a proxy that authenticates",
                markup=False,
            )
        return None
    if host in ("0.0.0.0", "::"):
        err.print(
            "listening on every interface: name the host names or addresses clients use in "
            "SEARCHAPP_ALLOWED_HOSTS (others get 400)",
            markup=False,
        )
    tokens = TokenStore(settings.state_dir)
    if tokens.records():
        err.print("a token is needed: log in at /login (see `searchapp token list`)", markup=False)
        return None
    token = tokens.create(FIRST_TOKEN, Scope.ADMIN)
    err.print(
        f"no token existed, so an admin token named {FIRST_TOKEN!r} was made; it is shown "
        "this once. Open this address to log in (revoke it with `searchapp token revoke "
        f"{FIRST_TOKEN}`):",
        markup=False,
    )
    return f"http://{shown}:{port}/login?token={token}"
