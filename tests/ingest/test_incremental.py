"""Re-running ingest is cheap and exact: unchanged files are skipped unembedded,
changed files replace their rows, deleted files lose theirs, identical content is
embedded once, and an interrupted run is finished by the next one."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from searchapp.app import App
from searchapp.ingest import Outcome, ingest, scan
from searchapp.ingest.manifest import Manifest
from searchapp.ingest.rows import row_id
from searchapp.store import CLIP_IMAGE_SPEC, TEXT_SPEC, VectorCollection
from searchapp.store.filters import equals

pytestmark = [pytest.mark.integration, pytest.mark.model]


def run(app: App, root: Path, **kwargs) -> object:
    found = scan([root])
    return ingest(app, found.files, roots=found.roots, **kwargs)


def sources(app: App, space: str = "text") -> set[str]:
    spec = {"text": TEXT_SPEC, "clip_image": CLIP_IMAGE_SPEC}[space]
    handle = app.store.existing_collection(spec)
    return {r["source"] for r in handle.query("", ["source"])} if handle else set()


def test_unchanged_tree_rerun_embeds_and_writes_nothing(
    app: App, tmp_path: Path, helpers, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "tree"
    helpers.mixed_tree(root)
    started = time.monotonic()
    first = run(app, root)
    first_seconds = time.monotonic() - started
    assert first.count(Outcome.INGESTED) == 10  # 6 documents, a records file, 3 images
    assert first.rows_written["clip_image"] == 3
    before = helpers.ids_by_space(app)

    counter = helpers.count_calls(app, monkeypatch)
    started = time.monotonic()
    again = run(app, root)
    again_seconds = time.monotonic() - started
    assert again.count(Outcome.UNCHANGED) == 10
    assert counter.model_inputs == 0 and counter.upserts == 0
    assert helpers.ids_by_space(app) == before
    # Touched, not changed: read and hashed again, still nothing embedded or written.
    os.utime(root / "docs" / "doc0.md", (1_700_000_000, 1_700_000_000))
    touched = run(app, root)
    assert touched.count(Outcome.UNCHANGED) == 10
    assert counter.model_inputs == 0 and counter.upserts == 0
    print(f"first run {first_seconds:.2f} s, unchanged re-run {again_seconds:.2f} s")


def test_changed_file_replaces_its_rows_in_every_space(app: App, tmp_path: Path, helpers) -> None:
    root = tmp_path / "tree"
    helpers.mixed_tree(root)
    run(app, root)
    doc = root / "docs" / "doc0.md"  # 700 words: several chunks
    text = app.store.existing_collection(TEXT_SPEC)
    old = text.query(equals("source", str(doc)), ["id", "text"])
    assert len(old) >= 3

    doc.write_text("# Note 0\n\nOnly basil now, on the windowsill.\n")
    again = run(app, root)
    assert {r.path: r.outcome for r in again.results}[doc] is Outcome.INGESTED
    assert again.count(Outcome.UNCHANGED) == 9
    new = text.query(equals("source", str(doc)), ["id", "text"])
    assert [r["id"] for r in new] == [row_id(str(doc), 0)]
    assert "basil" in new[0]["text"]
    helpers.check_manifest_matches_store(app)

    # A new caption re-ingests its image; its old caption rows go.
    (root / "photos" / "img0.caption").write_text("a lighthouse on a cliff")
    third = run(app, root)
    assert third.count(Outcome.INGESTED) == 1
    captions = text.query(equals("source", str(root / "photos" / "img0.png")), ["text"])
    assert [r["text"] for r in captions] == ["a lighthouse on a cliff"]
    helpers.check_manifest_matches_store(app)


def test_deleted_files_lose_their_rows_unless_no_delete(app: App, tmp_path: Path, helpers) -> None:
    root = tmp_path / "tree"
    helpers.mixed_tree(root)
    run(app, root)
    gone_doc = root / "docs" / "deep" / "doc1.txt"
    gone_image = root / "photos" / "img0.png"
    gone_doc.unlink()
    gone_image.unlink()

    kept = run(app, root, delete_missing=False)
    assert kept.removed == []
    assert str(gone_doc) in sources(app) and str(gone_image) in sources(app, "clip_image")

    removed = run(app, root)
    assert sorted(removed.removed) == sorted([gone_doc, gone_image])
    for space in ("text", "clip_image"):
        assert not {str(gone_doc), str(gone_image)} & sources(app, space)
    clip_text = helpers.store_rows(app)["clip_text"]
    assert not {str(gone_doc), str(gone_image)} & {r["source"] for r in clip_text}
    assert str(root / "docs" / "doc0.md") in sources(app)  # the rest stays
    helpers.check_manifest_matches_store(app)

    # Ingesting one folder never deletes files outside it.
    (root / "docs" / "doc0.md").unlink()
    run(app, root / "photos")
    assert str(root / "docs" / "doc0.md") in sources(app)


def test_same_content_at_two_paths_is_embedded_once(
    app: App, tmp_path: Path, helpers, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "tree"
    helpers.mixed_tree(root, documents=1, images=1)
    shutil.copy(root / "docs" / "doc0.md", root / "docs" / "copy-of-doc0.md")
    shutil.copy(root / "photos" / "img0.png", root / "photos" / "copy-of-img0.png")
    counter = helpers.count_calls(app, monkeypatch)

    first = run(app, root)
    text = app.store.existing_collection(TEXT_SPEC)
    fields = ["id", "chunk_index", "vector"]
    original = text.query(equals("source", str(root / "docs" / "doc0.md")), fields)
    copy = text.query(equals("source", str(root / "docs" / "copy-of-doc0.md")), fields)
    assert len(original) == len(copy) >= 3
    # Each path keeps its own rows (keyed by its own path), with the same vectors...
    assert {r["id"] for r in copy} == {
        row_id(str(root / "docs" / "copy-of-doc0.md"), i) for i in range(len(copy))
    }
    vectors = {r["chunk_index"]: np.asarray(r["vector"]) for r in original}
    for row in copy:
        assert np.allclose(row["vector"], vectors[row["chunk_index"]], atol=1e-6)
    # ...but the model read each distinct input once: the copies reused them.
    assert first.embedded["text"] == counter.inputs["text"]
    assert first.reused["text"] >= len(copy)
    assert counter.inputs["clip_image"] == 1
    assert first.rows_written["clip_image"] == 2

    # A third copy in a later run reuses the stored vectors: no model call at all.
    shutil.copy(root / "docs" / "doc0.md", root / "docs" / "third.md")
    calls = counter.model_inputs
    later = run(app, root)
    assert later.count(Outcome.INGESTED) == 1
    assert counter.model_inputs == calls
    assert later.reused["text"] == len(copy) and later.reused["clip_text"] > 0
    third = text.query(equals("source", str(root / "docs" / "third.md")), ["id"])
    assert len(third) == len(copy)
    helpers.check_manifest_matches_store(app)


def test_a_changed_file_that_now_fails_loses_its_old_rows(
    app: App, tmp_path: Path, helpers
) -> None:
    root = tmp_path / "tree"
    helpers.mixed_tree(root, documents=2, images=1)
    run(app, root)
    doc = root / "docs" / "doc0.md"
    doc.write_bytes(b"\x00\x01\x02\xff" * 100)
    again = run(app, root)
    assert {r.path: r.outcome for r in again.results}[doc] is Outcome.FAILED
    assert str(doc) not in sources(app)
    helpers.check_manifest_matches_store(app)


def test_skipped_and_failed_files_are_recorded_and_read_again_by_the_next_run(
    app: App, tmp_path: Path, helpers
) -> None:
    # Recorded for the worker (which leaves them alone until they change);
    # `searchapp ingest` reads them again and reports them as before.
    root = tmp_path / "tree"
    helpers.mixed_tree(root, documents=2, images=1)
    empty = root / "docs" / "empty.txt"
    empty.write_text("")
    broken = root / "docs" / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 this is not really a pdf")

    def not_ingested(summary) -> dict[Path, tuple[Outcome, str]]:
        return {
            r.path: (r.outcome, r.reason)
            for r in summary.results
            if r.outcome in (Outcome.SKIPPED, Outcome.FAILED)
        }

    first = not_ingested(run(app, root))
    assert [first[empty][0], first[broken][0]] == [Outcome.SKIPPED, Outcome.FAILED]
    manifest = Manifest.open(app.settings)
    try:
        entries = manifest.entries([str(empty), str(broken)])
    finally:
        manifest.close()
    assert {Path(e.source): (e.status.value, e.reason) for e in entries.values()} == {
        path: (outcome.value, reason) for path, (outcome, reason) in first.items()
    }
    assert not_ingested(run(app, root)) == first
    helpers.check_manifest_matches_store(app)
    empty.unlink()
    broken.unlink()
    third = run(app, root)
    assert third.removed == []  # they had no rows
    manifest = Manifest.open(app.settings)
    try:
        assert manifest.entries([str(empty), str(broken)]) == {}
    finally:
        manifest.close()


class _Interrupted(BaseException):
    """Stands for a kill: nothing after it runs (not an Exception, so nothing catches it)."""


@pytest.mark.parametrize("after_upserts", [1, 2, 4])
def test_an_interrupted_run_is_finished_exactly_by_the_next(
    app: App,
    tmp_path: Path,
    helpers,
    monkeypatch: pytest.MonkeyPatch,
    after_upserts: int,
) -> None:
    """A run stopped after some writes (rows written, state not yet updated), with
    files changed and deleted in between, ends like a clean run of the final tree."""
    root = tmp_path / "tree"
    helpers.mixed_tree(root)
    app.settings.ingest_checkpoint_files = 2  # several rounds: interrupted mid-run
    run(app, root)
    (root / "docs" / "doc0.md").write_text("# Note 0\n\nShort now.\n")
    (root / "docs" / "doc3.txt").write_text(helpers.prose(99, 900))
    (root / "docs" / "new.md").write_text(helpers.prose(98, 500))

    upsert = VectorCollection.upsert
    calls = 0

    def failing_upsert(self: VectorCollection, rows) -> None:
        nonlocal calls
        upsert(self, rows)
        calls += 1
        if calls == after_upserts:
            raise _Interrupted

    monkeypatch.setattr(VectorCollection, "upsert", failing_upsert)
    with pytest.raises(_Interrupted):
        run(app, root)
    monkeypatch.setattr(VectorCollection, "upsert", upsert)
    (root / "docs" / "new.md").unlink()  # written, never recorded done, now gone

    run(app, root)
    helpers.check_manifest_matches_store(app)
    resumed = helpers.ids_by_space(app)

    clean_settings = app.settings.model_copy(update={"state_dir": tmp_path / "clean"})
    clean = App(clean_settings, app.embedders)
    try:
        run(clean, root)
        assert resumed == helpers.ids_by_space(clean)
    finally:
        clean.close()


def test_store_outages_are_retried_then_stop_cleanly(
    app: App, tmp_path: Path, helpers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Milvus unreachable: a short outage is retried with backoff; a long one stops
    the run with a clear error, nothing half-recorded, and the next run resumes."""
    from pymilvus.exceptions import MilvusException

    from searchapp.errors import StoreUnavailableError

    root = tmp_path / "tree"
    helpers.mixed_tree(root, documents=3, images=1)
    app.settings.store_retry_backoff = 0.01
    app.settings.store_retries = 3
    client = app.store._client
    upsert = client.upsert
    failures = {"left": 2}

    def flaky_upsert(*args, **kwargs):
        if failures["left"] > 0:
            failures["left"] -= 1
            raise MilvusException(message="server unavailable")
        return upsert(*args, **kwargs)

    monkeypatch.setattr(client, "upsert", flaky_upsert)
    first = run(app, root)  # two failures, each retried
    assert failures["left"] == 0 and first.count(Outcome.FAILED) == 0
    helpers.check_manifest_matches_store(app)

    (root / "docs" / "doc0.md").write_text("# Note 0\n\nRewritten during an outage.\n")
    failures["left"] = 10**6  # down for good
    with pytest.raises(StoreUnavailableError, match="gave up on 'write rows' after 3 attempts"):
        run(app, root)
    failures["left"] = 0
    resumed = run(app, root)
    assert resumed.count(Outcome.INGESTED) == 1
    helpers.check_manifest_matches_store(app)
    text = app.store.existing_collection(TEXT_SPEC)
    rows = text.query(equals("source", str(root / "docs" / "doc0.md")), ["text"])
    assert len(rows) == 1 and "Rewritten during an outage." in rows[0]["text"]


def test_overlapped_stages_store_what_one_thread_stores(
    settings, embedders, tmp_path: Path, helpers
) -> None:
    # Readers ahead and writes in the background change when things happen, never
    # what is stored or recorded: compare with every stage inline in one thread.
    root = tmp_path / "tree"
    helpers.mixed_tree(root, documents=12, images=5)
    small = {"embed_batch_size": 4, "clip_batch_size": 2, "ingest_checkpoint_files": 7}
    stored = []
    for name, stages in (
        ("inline", {"ingest_read_workers": 0, "ingest_write_ahead": 0, "image_workers": 1}),
        ("overlapped", {"ingest_read_workers": 3, "ingest_write_ahead": 3, "image_workers": 3}),
    ):
        app = App(
            settings.model_copy(update={**small, **stages, "state_dir": tmp_path / name}),
            embedders=embedders,
        )
        try:
            summary = run(app, root)
            assert summary.count(Outcome.INGESTED) == 18, name
            assert helpers.check_manifest_matches_store(app) == 18
            stored.append(helpers.store_rows(app, ("id", "source", "vector")))
        finally:
            app.close()
    inline, overlapped = stored
    assert inline.keys() == overlapped.keys()
    for space in inline:
        by_id = {row["id"]: row for row in overlapped[space]}
        assert sorted(by_id) == sorted(row["id"] for row in inline[space]), space
        for row in inline[space]:
            assert by_id[row["id"]]["source"] == row["source"]
            np.testing.assert_allclose(by_id[row["id"]]["vector"], row["vector"], atol=1e-5)
