"""`searchapp reindex` rebuilds behind the alias while searches go on, on both backends.

A second real text model cannot be downloaded here. The model-change test
uses the MiniLM weights under another identity: a folder of their own (a
symlink to the installed copy), which sentence-transformers loads by path.
The identity recorded on the collection is that path, so the whole
model-change path runs for real: load the "new" model, re-read every source,
re-chunk with its tokenizer, re-embed, switch, and searches that follow the
collection's recorded model. Only the vectors happen to be the same.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from searchapp.app import App
from searchapp.cli import app as cli
from searchapp.embed.text import resolve_text_model
from searchapp.errors import SearchappError
from searchapp.ingest import ingest, scan
from searchapp.ingest.reindex import ReindexRequest, drop_unused, plan_reindex, run_reindex
from searchapp.store import TEXT_SPEC

pytestmark = [pytest.mark.integration, pytest.mark.model]

DOCS = {
    "volcano.md": "# Volcanoes\n\nMagma rises through the crust and erupts as lava and ash.",
    "tea.txt": "Green tea\n\nSteep green tea at 80 degrees for two minutes, never boiling.",
    "bikes.md": "# Chains\n\nA stretched bicycle chain wears the cassette; measure it often.",
    "bread.txt": "Sourdough\n\nFeed the starter flour and water so the dough keeps rising.",
    "stars.md": "# Night sky\n\nThe pole star stays put while the others circle around it.",
}


def write_docs(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in DOCS.items():
        (root / name).write_text(text)
    return root


def renamed_minilm(tmp_path: Path) -> str:
    """The MiniLM weights under a model name of their own (a local folder)."""
    folder = tmp_path / "minilm-renamed"
    folder.symlink_to(resolve_text_model("all-MiniLM-L6-v2"), target_is_directory=True)
    return str(folder)


def test_reindex_with_a_new_model_while_searches_run(
    backend_env, embedders, tmp_path: Path
) -> None:
    settings = backend_env
    prefix = settings.collection_prefix
    docs = write_docs(tmp_path / "docs")
    writer = App(settings, embedders=embedders)
    ingest(writer, scan([docs]).files)
    writer.close()
    new_model = renamed_minilm(tmp_path)

    searcher = App(settings, embedders=embedders)
    stop = threading.Event()
    outcomes: list[tuple[str, int, str, str | None]] = []

    def search_continuously() -> None:
        while not stop.is_set():
            try:
                # Floor off: this counts hits across the switch, relevant or not.
                result = searcher.search.search_text(
                    "molten rock from a mountain", k=3, min_relevance=0
                )
            except Exception as exc:  # recorded, and the test fails on it below
                outcomes.append(("error", 0, repr(exc), None))
            else:
                top = Path(result.hits[0].source).name if result.hits else ""
                outcomes.append(("ok", len(result.hits), top, result.notice))
            time.sleep(0.02)

    thread = threading.Thread(target=search_continuously)
    thread.start()
    try:
        done = CliRunner().invoke(
            cli, ["reindex", "--text-model", new_model, "--grace", "1", "--json"]
        )
    finally:
        stop.set()
        thread.join(timeout=60)
    searcher.close()

    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    assert (report["old_collection"], report["new_collection"]) == (
        f"{prefix}_text_v1",
        f"{prefix}_text_v2",
    )
    assert report["method"] == "re-embedded"
    assert report["new_model"] == new_model
    assert report["rows_after"] == report["rows_before"] == len(DOCS)
    assert report["old_dropped"] is True

    # Every search during the re-index succeeded and found the right document;
    # some ran before the switch (old model) and some after (new model).
    errors = [o for o in outcomes if o[0] != "ok"]
    assert not errors, errors[:3]
    assert all(hits == 3 and top == "volcano.md" for _, hits, top, _ in outcomes)
    before = [o for o in outcomes if o[3] is None]
    after = [o for o in outcomes if o[3] is not None and new_model in o[3]]
    assert before and after, (len(before), len(after))
    assert outcomes.index(after[0]) > outcomes.index(before[0])

    # The alias now means the new collection, which records the new model.
    check = App(settings, embedders=embedders)
    current = check.store.existing_collection(TEXT_SPEC)
    assert current.physical_name == f"{prefix}_text_v2"
    assert current.identity.model_id == new_model
    assert check.store.versions(TEXT_SPEC) == [f"{prefix}_text_v2"]
    check.close()


def test_new_index_parameters_copy_rows_and_vectors(backend_app, tmp_path: Path) -> None:
    ingest(backend_app, scan([write_docs(tmp_path / "docs")]).files)
    old = backend_app.store.existing_collection(TEXT_SPEC)
    fields = ["id", "source", "text", "vector"]
    rows_before = {row["id"]: row for row in old.query("", fields)}

    plan = plan_reindex(backend_app, ReindexRequest(hnsw_m=8, keep_old=True, grace_seconds=0))
    assert plan.embedder is None and plan.files == []  # nothing is read or embedded
    report = run_reindex(backend_app, plan)

    new = backend_app.store.existing_collection(TEXT_SPEC)
    assert report.method == "copied" and not report.old_dropped
    assert (new.physical_name, new.index.m) == (report.new_collection, 8)
    assert new.built_index()["indexed_rows"] == len(rows_before)
    rows_after = {row["id"]: row for row in new.query("", fields)}
    assert rows_after.keys() == rows_before.keys()
    for row_id, row in rows_after.items():
        assert row["text"] == rows_before[row_id]["text"]
        assert row["vector"] == pytest.approx(rows_before[row_id]["vector"], abs=1e-6)
    result = backend_app.search.search_text("molten rock from a mountain", k=1)
    assert Path(result.hits[0].source).name == "volcano.md" and result.notice is None

    # The kept version is listed, then dropped on request; the one in use stays.
    assert backend_app.store.versions(TEXT_SPEC) == [old.physical_name, new.physical_name]
    assert drop_unused(backend_app) == [old.physical_name]
    assert backend_app.store.versions(TEXT_SPEC) == [new.physical_name]


def test_vanished_files_are_reported_and_a_failed_build_changes_nothing(
    backend_app, tmp_path: Path
) -> None:
    docs = write_docs(tmp_path / "docs")
    ingest(backend_app, scan([docs]).files)
    (docs / "tea.txt").unlink()

    with pytest.raises(SearchappError, match="nothing to change"):
        plan_reindex(backend_app, ReindexRequest())
    plan = plan_reindex(backend_app, ReindexRequest(re_embed=True, grace_seconds=0))
    assert plan.vanished == [str(docs / "tea.txt")]
    report = run_reindex(backend_app, plan)
    assert (report.rows_before, report.rows_after) == (len(DOCS), len(DOCS) - 1)
    current = backend_app.store.existing_collection(TEXT_SPEC)
    assert current.physical_name == report.new_collection

    # Nothing left to re-read: the build is abandoned and the alias stays put.
    for path in docs.iterdir():
        path.unlink()
    plan = plan_reindex(backend_app, ReindexRequest(re_embed=True, grace_seconds=0))
    with pytest.raises(SearchappError, match="wrote nothing"):
        run_reindex(backend_app, plan)
    assert backend_app.store.existing_collection(TEXT_SPEC).physical_name == current.physical_name
    assert backend_app.store.versions(TEXT_SPEC) == [current.physical_name]


def test_reindex_before_ingest_says_so(app) -> None:
    with pytest.raises(SearchappError, match="nothing to re-index yet"):
        plan_reindex(app, ReindexRequest(hnsw_m=8))
