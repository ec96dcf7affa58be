"""Crash safety, proven by real crashes: `searchapp ingest` is SIGKILLed inside each
phase of a round, resumed, and the index must equal a clean ingest of the same tree.

The kill is aimed with the test-only setting SEARCHAPP_FAULT_PAUSE (faults.py):
the run logs "fault point PHASE #N: pausing" and sleeps there; the test reads
that line from the run's stderr and kills the run then, so every kill lands
inside its phase (the line is the proof; the test log lists them). Which points
a run reaches depends only on the tree and the settings, not on timing: nothing
here waits on the clock.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from searchapp.app import App
from searchapp.config import Settings
from searchapp.embed import Embedders
from searchapp.ingest import ingest, scan
from searchapp.ingest.manifest import manifest_path
from searchapp.store.collection import VectorCollection
from searchapp.store.schema import ALL_SPECS

pytestmark = [pytest.mark.integration, pytest.mark.model, pytest.mark.slow]

log = logging.getLogger(__name__)


def _coco() -> Path | None:
    """../shared/data/coco_mini from the repository or a worktree under it."""
    for folder in Path(__file__).resolve().parents:
        candidate = folder / "shared" / "data" / "coco_mini"
        if candidate.is_dir():
            return candidate
    return None


COCO = _coco()
# Small rounds: many commits and flushes to land in, and a kill redoes little.
ROUND_FILES = "6"
# Where the kills of each pass land: (phase, which time this run reaches it).
# N > 1 lets earlier rounds of the run commit first, so the runs make progress.
# "delete" is reached once files are stored: in pass one from the second run
# on (the killed run's pending files), in pass two by the deleted files first.
FIRST_PASS = [
    ("pending", 1),
    ("upsert", 1),
    ("delete", 1),
    ("flush", 1),  # during: one of three collections flushed
    ("commit", 1),
    ("upsert", 4),
    ("flush", 3),  # after: all three flushed, the manifest not yet written
    ("commit", 2),
    ("pending", 3),
    ("delete", 2),
]
SECOND_PASS = [
    ("delete", 1),  # the rows of deleted files
    ("flush", 2),
    ("pending", 1),
    ("upsert", 2),
    ("delete", 3),
    ("commit", 1),
    ("flush", 6),
    ("pending", 2),
    ("upsert", 1),
    ("commit", 2),
]


@dataclass(frozen=True)
class Landing:
    """Where one kill landed: the run's own log line says so."""

    phase: str
    occurrence: int
    line: str


def build_tree(root: Path, helpers: ModuleType) -> None:
    """300 short documents (every tenth one a few chunks long) and 60 COCO photos,
    one with a caption sidecar."""
    assert COCO is not None
    for n in range(300):
        folder = root / "docs" / f"part{n % 4}"
        folder.mkdir(parents=True, exist_ok=True)
        words = 500 if n % 10 == 0 else 40
        suffix = ".md" if n % 2 == 0 else ".txt"
        (folder / f"doc{n:03}{suffix}").write_text(f"# Note {n}\n\n{helpers.prose(n, words)}\n")
    photos = root / "photos"
    photos.mkdir()
    for picture in sorted((COCO / "train2017").glob("*.jpg"))[:60]:
        shutil.copyfile(picture, photos / picture.name)
    first = min(photos.glob("*.jpg"))
    first.with_suffix(".caption").write_text("a photograph from the COCO collection")


def change_tree(root: Path, helpers: ModuleType) -> None:
    """Modify 10% of the files (30 documents, 6 photos replaced by others) and
    delete 5% (15 documents, 3 photos)."""
    assert COCO is not None
    documents = sorted((root / "docs").rglob("doc*.*"))
    for n, path in enumerate(documents[:30]):
        path.write_text(f"# Changed {n}\n\n{helpers.prose(1000 + n, 60 + 20 * (n % 4))}\n")
    for path in documents[30:45]:
        path.unlink()
    photos = sorted((root / "photos").glob("*.jpg"))
    others = sorted((COCO / "val2017").glob("*.jpg"))
    for photo, other in zip(photos[1:7], others, strict=False):
        shutil.copyfile(other, photo)
    for photo in photos[7:10]:
        photo.unlink()


def kill_at(root: Path, env: dict[str, str], phase: str, occurrence: int, helpers) -> Landing | str:
    """Run ingest until it pauses at ``phase`` for the ``occurrence``-th time, then
    SIGKILL it. A run that ends first returns the tail of its log instead."""
    point = f"fault point {phase} #{occurrence}: pausing"
    # Paused ten minutes: the kill comes long before.
    paused = {**env, "SEARCHAPP_FAULT_PAUSE": f"{phase}@{occurrence}:600000"}
    process = helpers.start_ingest(root, paused)
    seen: list[str] = []
    try:
        assert process.stderr is not None
        for raw in process.stderr:  # blocks until the next line: no polling, no sleeps
            line = raw.decode(errors="replace").rstrip()
            seen.append(line)
            if point in line:
                process.kill()
                return Landing(phase, occurrence, line)
        return f"the run ended before {phase} #{occurrence}:\n" + "\n".join(seen[-20:])
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=120)


def crash_repeatedly(
    root: Path, env: dict[str, str], plan: list[tuple[str, int]], helpers
) -> tuple[list[Landing], list[str]]:
    """The kills of ``plan``, and the runs that ended before their point (which
    the test reports after comparing the index: a broken ordering that leaves
    files done too early also makes runs end early)."""
    landings: list[Landing] = []
    missed: list[str] = []
    for number, (phase, occurrence) in enumerate(plan, start=1):
        landing = kill_at(root, env, phase, occurrence, helpers)
        if isinstance(landing, Landing):
            log.info("kill %d landed at %s #%d: %s", number, phase, occurrence, landing.line)
            landings.append(landing)
        else:
            log.info("kill %d did not land: %s", number, landing)
            missed.append(landing)
    assert {phase for phase, _ in plan} == {"pending", "upsert", "delete", "flush", "commit"}
    return landings, missed


def opened(state_dir: Path, prefix: str, embedders: Embedders) -> App:
    settings = Settings(
        state_dir=state_dir,
        collection_prefix=prefix,
        test_random_clip=True,
        ingest_checkpoint_files=int(ROUND_FILES),
    )
    return App(settings, embedders)


def clean_ingest(root: Path, state_dir: Path, prefix: str, embedders: Embedders) -> App:
    app = opened(state_dir, prefix, embedders)
    found = scan([root])
    summary = ingest(app, found.files, roots=found.roots).as_dict()
    assert summary["failed"] == 0, summary
    return app


def stored(app: App) -> dict[str, dict[str, dict[str, Any]]]:
    """space -> id -> every field of the row, the vector included; no duplicate ids."""
    spaces: dict[str, dict[str, dict[str, Any]]] = {}
    for spec in ALL_SPECS:
        handle = app.store.existing_collection(spec)
        assert handle is not None, f"no {spec.space} collection"
        rows = handle.query("", ["id", "vector", *handle.stored_fields])
        by_id = {row["id"]: row for row in rows}
        assert len(by_id) == len(rows), f"duplicate ids in {spec.space}"
        spaces[spec.space] = by_id
    return spaces


def manifest_tables(app: App) -> tuple[set[tuple], set[tuple]]:
    """The manifest's files (source, signature, sha256, recipe, done) and rows
    (space, id, source, input key), without its timestamps."""
    with closing(sqlite3.connect(manifest_path(app.settings))) as db:
        files = set(
            db.execute("SELECT source, signature, sha256, recipe, status = 'done' FROM files")
        )
        rows = set(db.execute("SELECT space, id, source, key FROM rows"))
    return files, rows


def assert_same_index(crashy: App, clean: App) -> None:
    """Same ids in every collection; per id the same vector (cosine >= 0.9999) and
    the same fields (text, sha256, source, chunk span, ...); the same manifest."""
    ours, theirs = stored(crashy), stored(clean)
    for space in theirs:
        assert theirs[space], f"the clean run wrote no {space} rows"
        assert sorted(ours[space]) == sorted(theirs[space]), f"other ids in {space}"
        for row_id, expected in theirs[space].items():
            got = ours[space][row_id]
            a, b = np.asarray(got["vector"]), np.asarray(expected["vector"])
            cosine = float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
            assert cosine >= 0.9999, f"{space} {row_id}: cosine {cosine}"
            fields = {k: v for k, v in got.items() if k != "vector"}
            assert fields == {k: v for k, v in expected.items() if k != "vector"}, row_id
    crashy_files, crashy_rows = manifest_tables(crashy)
    clean_files, clean_rows = manifest_tables(clean)
    assert crashy_files == clean_files
    assert crashy_rows == clean_rows
    assert all(done for *_, done in crashy_files), "pending entries left"
    assert {(space, row_id) for space, row_id, *_ in crashy_rows} == {
        (space, row_id) for space, rows in ours.items() for row_id in rows
    }, "the manifest and the store disagree"


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every upsert and delete any collection is asked for, in this process."""
    calls: list[str] = []
    upsert, delete = VectorCollection.upsert, VectorCollection.delete

    def counted_upsert(self: VectorCollection, rows: Any) -> None:
        calls.append(f"upsert {len(rows)} rows into {self.physical_name}")
        upsert(self, rows)

    def counted_delete(self: VectorCollection, expression: str) -> None:
        calls.append(f"delete {expression} from {self.physical_name}")
        delete(self, expression)

    monkeypatch.setattr(VectorCollection, "upsert", counted_upsert)
    monkeypatch.setattr(VectorCollection, "delete", counted_delete)
    return calls


def assert_rerun_changes_nothing(crashy: App, root: Path, writes: list[str]) -> None:
    before = stored(crashy)
    found = scan([root])
    summary = ingest(crashy, found.files, roots=found.roots).as_dict()
    assert summary["ingested"] == 0 and summary["removed"] == 0, summary
    assert summary["unchanged"] == len(found.files) - 1, summary  # - the caption sidecar
    assert not any(summary["rows_written"].values()), summary
    assert writes == [], writes
    assert stored(crashy) == before


@pytest.mark.timeout(2700)
@pytest.mark.skipif(COCO is None, reason="needs ../shared/data/coco_mini")
def test_killed_in_every_phase_then_resumed_equals_a_clean_run(
    tmp_path: Path,
    state_dir: Path,
    helpers: ModuleType,
    embedders: Embedders,
    writes: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=__name__)
    root = tmp_path / "tree"
    build_tree(root, helpers)
    env = helpers.environment(state_dir, "crashy", SEARCHAPP_INGEST_CHECKPOINT_FILES=ROUND_FILES)

    for number, (change, plan) in enumerate(((None, FIRST_PASS), (change_tree, SECOND_PASS))):
        if change is not None:
            change(root, helpers)
        landings, missed = crash_repeatedly(root, env, plan, helpers)
        resumed = helpers.finish(helpers.start_ingest(root, env))
        assert resumed["failed"] == 0, resumed

        crashy = opened(state_dir, "crashy", embedders)
        clean = clean_ingest(root, state_dir, f"clean{number}", embedders)
        try:
            assert_same_index(crashy, clean)
            writes.clear()
            assert_rerun_changes_nothing(crashy, root, writes)
        finally:
            crashy.close()
            clean.close()
        assert not missed, "\n\n".join(missed)
        assert len(landings) == len(plan) == 10
