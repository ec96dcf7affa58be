"""The manifest as the one record of what was ingested: its statuses, its migration
from the done flag, and what the worker asks it (no store, no model)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from searchapp.config import Settings
from searchapp.ingest.changes import IngestedFiles, signature
from searchapp.ingest.discover import FoundFile
from searchapp.ingest.manifest import _MIGRATIONS, Finished, Manifest, Settled, Status


def _found(path: Path) -> FoundFile:
    stat = path.stat()
    return FoundFile(path, stat.st_size, stat.st_mtime)


def _record(settings: Settings, *, done=(), skipped=(), pending=(), signatures=None) -> None:
    signatures = signatures or {}
    manifest = Manifest.open(settings)
    try:
        manifest.begin(str(p) for p in pending)
        manifest.commit(
            Finished(str(p), signatures.get(p) or signature(_found(p)), "sha", "recipe", [])
            for p in done
        )
        manifest.settle(
            Settled(str(p), signature(_found(p)), Status.SKIPPED, "unsupported file type")
            for p in skipped
        )
    finally:
        manifest.close()


def test_what_changed_under_a_root_is_what_the_manifest_does_not_record(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path / "state")
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    same, edited, new, odd, cut = (root / n for n in ("a.txt", "b.txt", "c.txt", "d.xyz", "e.md"))
    for path in (same, edited, new, odd, cut):
        path.write_text(path.name)
    picture, caption = root / "sub" / "p.png", root / "sub" / "p.txt"
    picture.write_bytes(b"not looked at")
    caption.write_text("a caption")
    hidden = root / ".hidden.txt"  # ingested by name: not listed, not gone either
    hidden.write_text("h")
    gone = root / "sub" / "gone.txt"
    _record(
        settings,
        done=[same, edited, hidden, picture],
        skipped=[odd],
        pending=[cut],  # a run was cut short: read it again
        signatures={edited: "1:1.0", picture: signature(_found(picture), caption)},
    )
    manifest = Manifest.open(settings)
    manifest.commit([Finished(str(gone), "1:1.0", "sha", "recipe", [])])
    manifest.close()

    files = IngestedFiles(settings)
    changes = files.changes_under([root])
    assert sorted(changes.changed) == [edited, new, cut]  # the caption is its image's
    assert changes.vanished == [gone]
    assert files.unchanged([same, edited, new, odd, picture, caption, gone]) == {
        same,
        odd,
        picture,
    }
    caption.write_text("another caption, longer")  # changes its image
    assert files.changes_under([root]).changed == [edited, new, cut, picture]
    assert sorted(files.under(root / "sub")) == [gone, picture]


def test_a_manifest_with_the_done_flag_is_migrated_to_statuses(tmp_path: Path) -> None:
    path = tmp_path / "manifest.sqlite"
    with closing(sqlite3.connect(path)) as db:
        for script in _MIGRATIONS[:2]:
            db.executescript(script)
        db.execute("INSERT INTO files VALUES ('/r/a.txt', '1:1.0', 'sha', 'rc', 1, 5.0)")
        db.execute("INSERT INTO files VALUES ('/r/b.txt', NULL, NULL, NULL, 0, 6.0)")
        db.execute("INSERT INTO rows VALUES ('text', 'id1', '/r/a.txt', 'key')")
        db.execute("PRAGMA user_version = 2")
        db.commit()
    manifest = Manifest(path)
    try:
        entries = manifest.entries(["/r/a.txt", "/r/b.txt"])
        assert entries["/r/a.txt"].status is Status.DONE and entries["/r/a.txt"].done
        assert entries["/r/a.txt"].signature == "1:1.0"
        assert entries["/r/b.txt"].status is Status.PENDING
        assert manifest.row_ids("/r/a.txt") == {"text": ["id1"]}
        assert manifest.done_count() == 1
    finally:
        manifest.close()


def test_a_settled_file_holds_no_rows_and_is_not_counted_done(tmp_path: Path) -> None:
    manifest = Manifest(tmp_path / "manifest.sqlite")
    try:
        manifest.begin(["/r/a.txt"])
        manifest.commit([Finished("/r/a.txt", "1:1.0", "sha", "rc", [])])
        manifest.settle([Settled("/r/a.txt", "2:2.0", Status.FAILED, "not a PDF")])
        entry = manifest.entries(["/r/a.txt"])["/r/a.txt"]
        assert (entry.status, entry.reason, entry.signature) == (
            Status.FAILED,
            "not a PDF",
            "2:2.0",
        )
        assert not entry.may_hold_rows and not entry.done
        assert manifest.done_count() == 0 and manifest.row_ids("/r/a.txt") == {}
        manifest.begin(["/r/a.txt"])  # read again: pending, its reason gone
        entry = manifest.entries(["/r/a.txt"])["/r/a.txt"]
        assert (entry.status, entry.reason) == (Status.PENDING, "")
    finally:
        manifest.close()
