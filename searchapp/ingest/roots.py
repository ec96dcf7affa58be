"""The folders given to `searchapp ingest`, recorded in the state folder.

The web app serves an ingested item's file only from under a served root
(``SEARCHAPP_FILE_ROOTS``); when that setting is empty, the roots are the
paths ingest was given, as recorded here. A path is recorded resolved
(symlinks followed), so a root names the real folder whose files may be served.

The record is one JSON file, replaced atomically (write a temporary file, then
rename), so a reader never sees half of it; each run adds its paths to it.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

ROOTS_FILE = "ingest-roots.json"

_log = logging.getLogger("searchapp.ingest")


def record_roots(state_dir: Path, paths: Iterable[Path]) -> list[Path]:
    """Add ``paths`` (resolved) to the recorded roots; returns them all, sorted."""
    roots = sorted({*recorded_roots(state_dir), *(Path(p).resolve() for p in paths)})
    state_dir.mkdir(parents=True, exist_ok=True)
    payload = json.dumps({"roots": [str(root) for root in roots]}, indent=2)
    handle, temporary = tempfile.mkstemp(dir=state_dir, prefix=".roots-", suffix=".json")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(payload + "\n")
        os.replace(temporary, state_dir / ROOTS_FILE)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return roots


def recorded_roots(state_dir: Path) -> list[Path]:
    """The recorded roots; none before the first ingest (or when the record is unreadable)."""
    path = state_dir / ROOTS_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [Path(root) for root in data["roots"] if isinstance(root, str) and root]
    except FileNotFoundError:
        return []
    except (OSError, ValueError, KeyError, TypeError) as exc:
        # Serving nothing is the safe reading of a damaged record; ingest rewrites it.
        _log.warning("ignoring unreadable %s: %s", path, exc)
        return []
