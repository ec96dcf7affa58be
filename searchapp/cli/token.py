"""`searchapp token`: the API tokens of this state folder (create, list, revoke)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer

from searchapp.auth.scopes import Scope
from searchapp.cli.output import command_errors, err, out

token_app = typer.Typer(
    help="API tokens for the web app: `read` searches and opens files, `ingest` uploads "
    "and follows ingest, `admin` does everything and sees server paths and store details.",
    no_args_is_help=True,
)


def _store():
    from searchapp.auth import TokenStore
    from searchapp.config import get_settings

    return TokenStore(get_settings().state_dir)


@token_app.command("create")
def create(
    name: Annotated[str, typer.Option(help="A name to tell it by (and to revoke it with).")],
    scope: Annotated[Scope, typer.Option(help="What it may do.")] = Scope.READ,
) -> None:
    """Make a token and print it once: only its hash is kept."""
    with command_errors():
        token = _store().create(name, scope)
    out.print(token, markup=False)
    err.print(
        f"token {name!r} ({scope.value}): shown once, keep it safe. Send it as "
        "'Authorization: Bearer TOKEN' (or X-API-Key), or log in with it at /login.",
        markup=False,
    )


@token_app.command("list")
def list_tokens(
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Each token's name, scope and creation time (never the token)."""
    with command_errors():
        records = _store().records()
    rows = [
        {
            "name": record.name,
            "scope": record.scope.value,
            "created_at": datetime.fromtimestamp(record.created_at, tz=UTC).isoformat(),
        }
        for record in records
    ]
    if as_json:
        out.print_json(json.dumps(rows))
        return
    if not rows:
        out.print("no tokens: `searchapp token create --name NAME --scope read`", markup=False)
    for row in rows:
        out.print(f"{row['name']}\t{row['scope']}\t{row['created_at']}", markup=False)


@token_app.command("revoke")
def revoke(name: Annotated[str, typer.Argument(help="The token's name.")]) -> None:
    """Delete a token: requests and page sessions using it are refused from now on."""
    with command_errors():
        _store().revoke(name)
    out.print(f"revoked {name}", markup=False)
