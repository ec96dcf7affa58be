"""What happened to each file of an ingest run, and the totals at the end."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol, runtime_checkable


class Outcome(StrEnum):
    INGESTED = "ingested"  # rows written
    UNCHANGED = "unchanged"  # already in the store with the same content
    SKIPPED = "skipped"  # deliberately not ingested (unsupported, empty, no text)
    FAILED = "failed"  # could not be read or written


@dataclass(frozen=True)
class FileResult:
    path: Path
    outcome: Outcome
    reason: str = ""
    chunks: int = 0
    size: int = 0


class Progress(Protocol):
    """What a run reports as it goes (the CLI draws a bar from it)."""

    def advance(self, nbytes: float, chunks: int) -> None: ...

    def file_done(self, result: FileResult) -> None: ...


@runtime_checkable
class AudioProgress(Protocol):
    """A progress that also counts audio transcribed (the CLI's bar shows minutes).
    Called from the reader's threads."""

    def audio_done(self, seconds: float) -> None: ...


@dataclass
class IngestSummary:
    """Totals of a run, and the reasons for every file not ingested."""

    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    results: list[FileResult] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # run-wide messages, said once
    rows_written: Counter[str] = field(default_factory=Counter)  # per space (collection)
    # Files gone from disk whose rows were deleted.
    removed: list[Path] = field(default_factory=list)
    # Per space: inputs the model embedded, and inputs that reused a vector.
    embedded: Counter[str] = field(default_factory=Counter)
    reused: Counter[str] = field(default_factory=Counter)

    def add(self, result: FileResult) -> None:
        self.results.append(result)

    def finish(self) -> IngestSummary:
        self.finished = time.monotonic()
        return self

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.results if r.outcome is outcome)

    @property
    def seen(self) -> int:
        return len(self.results)

    @property
    def chunks(self) -> int:
        return sum(r.chunks for r in self.results)

    @property
    def elapsed(self) -> float:
        return (self.finished or time.monotonic()) - self.started

    def problems(self, outcome: Outcome) -> list[FileResult]:
        return [r for r in self.results if r.outcome is outcome]

    def reasons(self, outcome: Outcome) -> Counter[str]:
        return Counter(r.reason for r in self.problems(outcome))

    @property
    def nothing_ingested(self) -> bool:
        """True when files failed and none made it into (or already was in) the store."""
        return (
            self.count(Outcome.FAILED) > 0
            and self.count(Outcome.INGESTED) == 0
            and self.count(Outcome.UNCHANGED) == 0
        )

    def report(self) -> dict[str, Any]:
        """The ``--report`` file: totals, then every file not ingested with its reason."""
        totals = self.as_dict()
        problems = totals.pop("problems")
        return {
            "summary": totals,
            "files": problems,
            "removed": [str(path) for path in self.removed],
        }

    def as_dict(self) -> dict[str, Any]:
        elapsed = max(self.elapsed, 1e-9)
        return {
            "files_seen": self.seen,
            "ingested": self.count(Outcome.INGESTED),
            "unchanged": self.count(Outcome.UNCHANGED),
            "skipped": self.count(Outcome.SKIPPED),
            "failed": self.count(Outcome.FAILED),
            "chunks_written": self.chunks,
            "elapsed_seconds": round(self.elapsed, 3),
            "files_per_second": round(self.seen / elapsed, 2),
            "chunks_per_second": round(self.chunks / elapsed, 2),
            "rows_written": dict(self.rows_written),
            "removed": len(self.removed),
            "embedded": dict(self.embedded),
            "reused": dict(self.reused),
            "notices": list(self.notices),
            "problems": [
                {"path": str(r.path), "outcome": r.outcome.value, "reason": r.reason}
                for r in self.results
                if r.outcome in (Outcome.SKIPPED, Outcome.FAILED)
            ],
        }
