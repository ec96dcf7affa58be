"""Explore results kept in the state folder, valid while the collection is unchanged.

A result file records the collection fingerprint it was computed from (see
items.fingerprint); a different fingerprint means the collection changed and
the result is computed again. Files are replaced atomically, so a reader never
sees half of one.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from searchapp.private import private_folder


class ResultCache:
    def __init__(self, folder: Path) -> None:
        self._folder = folder

    def _path(self, key: str) -> Path:
        return self._folder / f"{key}.json"

    def get(self, key: str, fingerprint: str) -> dict[str, Any] | None:
        try:
            stored = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # none yet, or unreadable: compute again
        if not isinstance(stored, dict) or stored.get("fingerprint") != fingerprint:
            return None
        result = stored.get("result")
        return result if isinstance(result, dict) else None

    def put(self, key: str, fingerprint: str, result: dict[str, Any]) -> None:
        private_folder(self._folder)
        handle, temporary = tempfile.mkstemp(dir=self._folder, suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                json.dump({"fingerprint": fingerprint, "result": result}, file)
            os.replace(temporary, self._path(key))
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
