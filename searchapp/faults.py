"""Fault points: the named moments of an ingest round and of a worker batch where
a crash test aims its kill.

A run passes each point as it goes (``faults.reached("flush")``); normally that
does nothing. ``SEARCHAPP_FAULT_PAUSE`` (test only) names points to pause at,
e.g. ``flush@2:60000``: the second time this process reaches ``flush`` it logs
``fault point flush #2: pausing 60000 ms`` on stderr and sleeps there. A test
that reads the line SIGKILLs the process while it is paused, so the kill lands
inside that phase, and the log says where. The pause changes timing only, never
what is written or in which order.

The points, in the order of a round (manifest.py explains why each is safe):

- ``pending``: the round's files are marked pending; no row written yet.
- ``upsert``: one collection's batch of rows is upserted, before the rest of
  the batch's writes and before the batch's stale-row delete.
- ``delete``: one stale-row delete is done (rows of an older version, of a file
  now skipped or of a deleted file), before the rest and before the flush.
- ``flush``: one collection is flushed, before the others and before the
  manifest records the round.
- ``commit``: inside the manifest's transaction that marks the round done, its
  rows written, not yet committed.
- ``lease``: the worker leased a batch of jobs, before ingesting it.
- ``ack``: the worker ingested the batch, before marking its jobs done.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass

PHASES = ("pending", "upsert", "delete", "flush", "commit", "lease", "ack")

log = logging.getLogger("searchapp.faults")


@dataclass(frozen=True)
class Pause:
    phase: str
    occurrence: int | None  # None: every time
    milliseconds: int


def parse_pauses(spec: str) -> tuple[Pause, ...]:
    """``PHASE[@N]:MS`` items separated by commas ("": none); ValueError says what is wrong."""
    pauses: list[Pause] = []
    for item in filter(None, (part.strip() for part in spec.split(","))):
        point, sep, ms = item.partition(":")
        phase, at, nth = point.partition("@")
        if not sep or phase not in PHASES:
            raise ValueError(
                f"{item!r}: expected PHASE[@N]:MS with PHASE one of {', '.join(PHASES)}"
            )
        try:
            occurrence = int(nth) if at else None
            milliseconds = int(ms)
        except ValueError:
            raise ValueError(f"{item!r}: N and MS must be whole numbers") from None
        if (occurrence is not None and occurrence < 1) or milliseconds < 0:
            raise ValueError(f"{item!r}: N must be 1 or more and MS 0 or more")
        pauses.append(Pause(phase, occurrence, milliseconds))
    return tuple(pauses)


class FaultPoints:
    """Counts the points a process reaches and pauses where the settings say."""

    def __init__(self, pauses: tuple[Pause, ...] = ()) -> None:
        self._pauses = pauses
        self._seen: Counter[str] = Counter()
        self._lock = threading.Lock()  # writes run in a background thread

    @classmethod
    def parse(cls, spec: str) -> FaultPoints:
        return cls(parse_pauses(spec))

    def reached(self, phase: str) -> None:
        if not self._pauses:
            return
        with self._lock:
            self._seen[phase] += 1
            occurrence = self._seen[phase]
        for pause in self._pauses:
            if pause.phase == phase and pause.occurrence in (None, occurrence):
                # A warning so it shows without --verbose: the crash test reads it.
                log.warning(
                    "fault point %s #%d: pausing %d ms", phase, occurrence, pause.milliseconds
                )
                time.sleep(pause.milliseconds / 1000)
