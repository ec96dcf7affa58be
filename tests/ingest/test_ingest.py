"""Text ingest on both backends (Milvus Lite, a real server): outcomes, reasons, keys,
re-runs, updates and deletes."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest

from searchapp.ingest import Outcome, ingest, scan
from searchapp.ingest.rows import row_id
from searchapp.store import TEXT_SPEC
from searchapp.store.filters import equals

pytestmark = [pytest.mark.integration, pytest.mark.model]

SCIFACT = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "scifact"


@pytest.fixture
def app(backend_app):
    """Every test here runs on Milvus Lite and on the real server."""
    return backend_app


def write_tree(root: Path) -> dict[str, Path]:
    files = {
        "notes": root / "notes.md",
        "letter": root / "sub" / "letter.txt",
        "page": root / "sub" / "page.html",
        "binary": root / "broken.txt",
        "empty": root / "empty.md",
        "unknown": root / "photo.xyz",
    }
    files["letter"].parent.mkdir(parents=True)
    files["notes"].write_text(
        "# Garden notes\n\n" + "Tomatoes need full sun and deep watering twice a week. " * 60
    )
    files["letter"].write_text("Dear Ana,\n\nThe ferry leaves the harbour at seven tomorrow.")
    files["page"].write_text(
        "<html><head><title>Bread</title><script>var x=1;</script></head>"
        "<body><h1>Bread</h1><p>Knead the dough for ten minutes.</p></body></html>"
    )
    files["binary"].write_bytes(b"\x00\x01\x02\xff" * 100)
    files["empty"].write_bytes(b"")
    files["unknown"].write_bytes(b"\x89PNG whatever")
    return files


def collection_rows(app) -> list[dict]:
    handle = app.store.existing_collection(TEXT_SPEC)
    return handle.query("", ["id", "source", "record_id", "chunk_index", "sha256", "text"])


def test_ingest_reports_every_file_and_writes_chunks(app, tmp_path: Path) -> None:
    files = write_tree(tmp_path / "tree")
    summary = ingest(app, scan([tmp_path / "tree"]).files)

    by_path = {result.path: result for result in summary.results}
    assert summary.seen == 6
    assert by_path[files["notes"]].outcome is Outcome.INGESTED
    assert by_path[files["notes"]].chunks >= 2  # ~900 words: more than one window
    assert by_path[files["letter"]].outcome is Outcome.INGESTED
    assert by_path[files["page"]].outcome is Outcome.INGESTED
    assert by_path[files["binary"]].outcome is Outcome.FAILED
    assert "binary" in by_path[files["binary"]].reason
    assert by_path[files["empty"]].outcome is Outcome.SKIPPED
    assert "empty" in by_path[files["empty"]].reason
    assert by_path[files["unknown"]].outcome is Outcome.SKIPPED
    assert not summary.nothing_ingested

    rows = collection_rows(app)
    assert len(rows) == summary.chunks
    notes_rows = sorted(
        (r for r in rows if r["source"] == str(files["notes"])), key=lambda r: r["chunk_index"]
    )
    # The documented key: sha256(path + "\x1f" + chunk index), first 32 hex digits.
    assert [r["id"] for r in notes_rows] == [
        row_id(str(files["notes"]), i) for i in range(len(notes_rows))
    ]
    page_text = " ".join(r["text"] for r in rows if r["source"] == str(files["page"]))
    assert "Knead the dough" in page_text and "var x" not in page_text


def test_rerun_skips_unchanged_and_replaces_changed(app, tmp_path: Path) -> None:
    files = write_tree(tmp_path / "tree")
    first = ingest(app, scan([tmp_path / "tree"]).files)
    rows_before = collection_rows(app)

    again = ingest(app, scan([tmp_path / "tree"]).files)
    assert again.count(Outcome.UNCHANGED) == first.count(Outcome.INGESTED)
    assert again.chunks == 0
    assert sorted(r["id"] for r in collection_rows(app)) == sorted(r["id"] for r in rows_before)

    # A shorter new version: its old chunks beyond the new end must go.
    files["notes"].write_text("# Garden notes\n\nOnly basil now, on the windowsill.")
    os.utime(files["notes"], (1_700_000_000, 1_700_000_000))
    third = ingest(app, scan([files["notes"]]).files)
    assert third.count(Outcome.INGESTED) == 1
    notes_rows = [r for r in collection_rows(app) if r["source"] == str(files["notes"])]
    assert len(notes_rows) == 1
    assert "basil" in notes_rows[0]["text"]
    others = [r for r in collection_rows(app) if r["source"] != str(files["notes"])]
    assert sorted(r["id"] for r in others) == sorted(
        r["id"] for r in rows_before if r["source"] != str(files["notes"])
    )


def test_force_re_embeds_unchanged_files(app, tmp_path: Path) -> None:
    write_tree(tmp_path / "tree")
    first = ingest(app, scan([tmp_path / "tree"]).files)
    forced = ingest(app, scan([tmp_path / "tree"]).files, force=True)
    assert forced.count(Outcome.INGESTED) == first.count(Outcome.INGESTED)
    assert len(collection_rows(app)) == first.chunks


def test_only_failures_means_nothing_ingested(app, tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\x00" * 64)
    summary = ingest(app, scan([bad]).files)
    assert summary.nothing_ingested


@pytest.mark.skipif(not SCIFACT.exists(), reason="needs ../shared/data/scifact")
def test_scifact_records_are_documents(app, tmp_path: Path) -> None:
    subset = tmp_path / "corpus.jsonl.gz"
    with gzip.open(SCIFACT / "corpus.jsonl.gz", "rt") as source, gzip.open(subset, "wt") as out:
        records = [json.loads(next(source)) for _ in range(40)]
        for record in records:
            out.write(json.dumps(record) + "\n")
    summary = ingest(app, scan([subset]).files)
    assert summary.count(Outcome.INGESTED) == 1
    handle = app.store.existing_collection(TEXT_SPEC)
    first = records[0]
    rows = handle.query(equals("record_id", first["_id"]), ["title", "source", "chunk_index"])
    assert rows and rows[0]["title"] == first["title"]
    assert {r["source"] for r in rows} == {str(subset)}
    assert len({r["record_id"] for r in handle.query("", ["record_id"])}) == 40
    # Searching with a record's own title finds that record first.
    result = app.search.search_text(records[5]["title"], k=3)
    assert result.hits[0].record_id == records[5]["_id"]
