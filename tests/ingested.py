"""Ingesting a test library: every file must go in, or the fixture fails and says why."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from searchapp.app import App
from searchapp.ingest import IngestSummary, Outcome, ingest, scan


def ingest_cleanly(
    app: App, paths: Sequence[Path], *, follow_outside: bool = False
) -> IngestSummary:
    """Ingest every file under ``paths`` into ``app``; a file that failed fails the test
    (with the problems), so no test runs on a library missing part of its data."""
    summary = ingest(app, scan(paths, follow_outside=follow_outside).files)
    assert summary.count(Outcome.FAILED) == 0, summary.problems(Outcome.FAILED)
    return summary
