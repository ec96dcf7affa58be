"""`searchapp doctor`: check the set-up and say what to fix."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.text import Text

from searchapp.cli.output import out

_STYLES = {"ok": "green", "warn": "yellow", "fail": "bold red"}


def doctor_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print the checks as JSON.")] = False,
) -> None:
    """Check the set-up and say what to fix.

    Checks the settings, that the state folder is writable, that the store
    answers (its version and features), each collection's model and index, and
    that the models load. Exits 1 when an essential check fails.
    """
    from searchapp.doctor import run_checks

    checks = run_checks()
    failed = [check for check in checks if check.failed]
    if as_json:
        out.print_json(json.dumps({"healthy": not failed, "checks": [c.as_dict() for c in checks]}))
    else:
        for check in checks:
            out.print(
                Text.assemble(
                    (f"{check.status.value:<5}", _STYLES[check.status.value]),
                    f" {check.name}: ",
                    check.detail,
                )
            )
        out.print(
            f"{len(failed)} essential check(s) failed" if failed else "all essential checks passed",
            markup=False,
        )
    if failed:
        raise typer.Exit(1)
