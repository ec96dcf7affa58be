"""The stages of the ingest engine, each alone (fakes, no store, no model), then two
properties of the whole: a file is extracted once per run, and every row made
from text follows one rule of what the model reads."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from searchapp.extract import ExtractOptions, TextDocument
from searchapp.faults import FaultPoints
from searchapp.ingest.discover import FoundFile
from searchapp.ingest.embedder import PendingFile, SpaceEmbedder
from searchapp.ingest.reader import FilePreparer, ReadFile, SpaceInputs
from searchapp.ingest.reuse import input_key
from searchapp.ingest.writer import Writer

# --- fakes ---------------------------------------------------------------------


def found(name: str) -> FoundFile:
    return FoundFile(path=Path("/data") / name, size=100, mtime=1.0)


def read_file(name: str, **rows_per_space: int) -> ReadFile:
    spaces = {}
    for space, count in rows_per_space.items():
        inputs = SpaceInputs()
        for index in range(count):
            inputs.add({"id": f"{name}-{space}-{index}"}, f"{name} {index}", f"key-{name}-{index}")
        spaces[space] = inputs
    return ReadFile(found(name), f"sha-{name}", spaces, primary=next(iter(spaces), ""))


class FakeCollection:
    def __init__(self, log: list[tuple[str, ...]], name: str, *, fail: bool = False) -> None:
        self._log = log
        self._name = name
        self._fail = fail

    def upsert(self, rows: list[dict[str, Any]]) -> None:
        if self._fail:
            raise RuntimeError("store unreachable")
        self._log.append(("upsert", self._name, *(row["id"] for row in rows)))

    def delete(self, expression: str) -> None:
        self._log.append(("delete", self._name, expression))


class FakeVersions:
    def unchanged(self, found: FoundFile, sha256: str) -> bool:
        return False

    def stale_rows(self, path: Path, sha256: str, space: str, new_ids: set[str]) -> str:
        return f"{path.name} not {sorted(new_ids)}"


# --- embedder stage ------------------------------------------------------------


def test_space_embedder_fills_batches_across_files_and_splits_big_ones() -> None:
    calls: list[list[str]] = []

    def embed(keys: Sequence[str], inputs: Sequence[Any]) -> np.ndarray:
        calls.append(list(inputs))
        return np.ones((len(inputs), 2), dtype=np.float32)

    embedder = SpaceEmbedder("text", embed, batch_rows=4)
    files = [PendingFile.of(read_file(n, text=c)) for n, c in (("a", 3), ("b", 6), ("c", 1))]
    for pending in files:
        embedder.add(pending)
    assert embedder.queued == 10 and embedder.full
    batches = []
    while embedder.queued:
        batches.append(embedder.next_batch())
    assert [len(call) for call in calls] == [4, 4, 2]
    assert calls[0] == ["a 0", "a 1", "a 2", "b 0"]  # oldest file first, across files
    assert [[(p.read.found.path.name, n) for p, n in b.owners] for b in batches] == [
        [("a", 3), ("b", 1)],
        [("b", 4)],
        [("b", 1), ("c", 1)],
    ]
    assert all(row["vector"] == [1.0, 1.0] for b in batches for row in b.rows)
    assert all(pending.complete for pending in files)
    assert [row.id for row in files[1].written] == [f"b-text-{i}" for i in range(6)]
    # Handed over: the file keeps no row or input (pictures are big).
    assert set(files[1].read.spaces["text"].inputs) == {None}


def test_space_embedder_ignores_files_without_rows_in_its_space() -> None:
    embedder = SpaceEmbedder("clip_image", lambda k, i: np.zeros((len(i), 2)), batch_rows=2)
    embedder.add(PendingFile.of(read_file("doc", text=2)))
    assert embedder.queued == 0 and not embedder.full


# --- writer stage --------------------------------------------------------------


def test_writer_upserts_then_deletes_stale_rows_of_finished_files_then_follows_up() -> None:
    log: list[tuple[str, ...]] = []
    collections = {space: FakeCollection(log, space) for space in ("text", "clip_image")}
    document = PendingFile.of(read_file("doc", text=1))
    image = PendingFile.of(read_file("pic", text=1, clip_image=1))
    embedders = {
        space: SpaceEmbedder(space, lambda k, i: np.zeros((len(i), 2)), batch_rows=9)
        for space in collections
    }
    for pending in (document, image):
        for space in pending.read.spaces:
            embedders[space].add(pending)
    batch = embedders["clip_image"].next_batch()  # the text batch is left unwritten here
    embedders["text"].next_batch()
    with Writer(collections, depth=1, faults=FaultPoints()) as writer:  # type: ignore[arg-type]
        writer.write([batch], [document, image], FakeVersions(), lambda: log.append(("then",)))
    assert log == [
        ("upsert", "clip_image", "pic-clip_image-0"),
        ("delete", "text", "(doc not ['doc-text-0']) or (pic not ['pic-text-0'])"),
        # A document has no picture rows: no delete of it in the image space.
        ("delete", "clip_image", "pic not ['pic-clip_image-0']"),
        ("then",),
    ]


def test_a_failed_write_records_nothing_after_it() -> None:
    log: list[tuple[str, ...]] = []
    pending = PendingFile.of(read_file("doc", text=1))
    embedder = SpaceEmbedder("text", lambda k, i: np.zeros((len(i), 2)), batch_rows=9)
    embedder.add(pending)
    batch = embedder.next_batch()
    collections = {"text": FakeCollection(log, "text", fail=True)}
    with (
        pytest.raises(RuntimeError, match="unreachable"),
        Writer(collections, depth=1) as writer,  # type: ignore[arg-type]
    ):
        writer.write([batch], [pending], FakeVersions(), lambda: log.append(("then",)))
        writer.write([], [], FakeVersions(), lambda: log.append(("later",)))
    assert log == []


# --- reader stage --------------------------------------------------------------


class FakeChunker:
    """Chunks a document into one row per line; the model reads "title: line"."""

    def __init__(self, prefix: str) -> None:
        self._prefix = prefix

    def document_chunks(
        self, document: TextDocument, *, mtime: float, sha256: str
    ) -> list[tuple[dict[str, Any], str]]:
        lines = [line for line in document.text.splitlines() if line]
        return [
            ({"id": f"{self._prefix}{i}", "text": line}, f"{document.title}: {line}")
            for i, line in enumerate(lines)
        ]


def test_file_preparer_extracts_a_file_once_for_every_space(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import searchapp.ingest.reader as reader

    path = tmp_path / "notes.txt"
    path.write_text("first line\nsecond line\n")
    extracted: list[Path] = []
    extract = reader.extract_text

    def counted(source: Path, *args: Any, **kwargs: Any):
        extracted.append(source)
        return extract(source, *args, **kwargs)

    monkeypatch.setattr(reader, "extract_text", counted)
    chunkers = {"text": FakeChunker("t"), "clip_text": FakeChunker("c")}
    preparer = FilePreparer(chunkers, ExtractOptions())  # type: ignore[arg-type]
    stat = path.stat()
    read = preparer.prepare(FoundFile(path, stat.st_size, stat.st_mtime), "sha")
    assert extracted == [path]
    assert read.primary == "text" and read.chunks == 2 and read.total_rows == 4
    inputs = read.spaces["clip_text"].inputs
    assert [i.split(": ", 1)[1] for i in inputs] == ["first line", "second line"]
    assert read.spaces["text"].keys == [input_key(i) for i in read.spaces["text"].inputs]


# --- the whole engine ----------------------------------------------------------


@pytest.mark.integration
@pytest.mark.model
def test_a_pdf_is_parsed_once_per_ingest_with_clip_on(
    app, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fpdf import FPDF  # test dependency: fpdf2

    import searchapp.extract._pdf as pdf_reader
    from searchapp.ingest import Outcome, ingest, scan
    from searchapp.store import CLIP_TEXT_SPEC, TEXT_SPEC

    folder = tmp_path / "docs"
    folder.mkdir()
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    pdf.add_page()
    pdf.multi_cell(0, 10, "The lighthouse keeper logs every passing ship by lamp light.")
    (folder / "log.pdf").write_bytes(bytes(pdf.output()))
    parsed: list[object] = []
    parse = pdf_reader._open

    def counted(stream: Any) -> Any:
        parsed.append(stream)
        return parse(stream)

    monkeypatch.setattr(pdf_reader, "_open", counted)
    summary = ingest(app, scan([folder]).files)
    assert [r.outcome for r in summary.results] == [Outcome.INGESTED]
    # CLIP was on: the PDF went to both text spaces, from one parse.
    assert summary.rows_written[TEXT_SPEC.space] >= 1
    assert summary.rows_written[CLIP_TEXT_SPEC.space] >= 1
    assert len(parsed) == 1


@pytest.mark.integration
@pytest.mark.model
def test_caption_rows_and_document_rows_follow_one_model_input_rule(app, tmp_path: Path) -> None:
    from PIL import Image

    from searchapp.ingest import ingest, scan
    from searchapp.ingest.titles import Title
    from searchapp.keywords import analyze
    from searchapp.store import CLIP_TEXT_SPEC, TEXT_SPEC

    assert app.settings.chunk_title  # titles in front: the rule has something to say
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "harbour.md").write_text("# Harbour notes\n\nThe ferry leaves at seven.\n")
    Image.new("RGB", (40, 30), (200, 120, 40)).save(folder / "ferry.png")
    (folder / "ferry.caption").write_text("An orange ferry in the morning fog.\n")
    ingest(app, scan([folder]).files)

    text_model = app.embedders.text()
    fields = ["source", "title", "text", "keyword_text", "vector"]
    rows = app.store.existing_collection(TEXT_SPEC).query("", fields, limit=100)
    by_file = {Path(row["source"]).name: row for row in rows}
    assert set(by_file) == {"harbour.md", "ferry.png"}
    for name, row in by_file.items():
        # The title measured in word pieces does not matter to the prefix itself.
        model_input = Title(row["title"], 0).prefix(row["text"])
        if name == "ferry.png":  # the caption is read with its image's name in front
            assert model_input == "ferry.png An orange ferry in the morning fog."
        assert row["keyword_text"] == analyze(model_input), name
        expected = text_model.embed([model_input])[0]
        assert float(np.dot(expected, row["vector"])) > 0.9999, name

    # The CLIP text space prefixes no title, for documents and captions alike.
    clip = app.embedders.clip()
    rows = app.store.existing_collection(CLIP_TEXT_SPEC).query("", [*fields[:3], "vector"])
    assert {Path(row["source"]).name for row in rows} == {"harbour.md", "ferry.png"}
    for row in rows:
        expected = clip.text.embed([row["text"]])[0]
        assert float(np.dot(expected, row["vector"])) > 0.9999, row["source"]


@pytest.mark.integration
@pytest.mark.model
def test_the_extract_options_are_part_of_the_recipe_and_recorded_per_root(
    app, tmp_path: Path
) -> None:
    import json

    from searchapp.ingest import Outcome, ingest, scan
    from searchapp.store import TEXT_SPEC

    folder = tmp_path / "records"
    folder.mkdir()
    record = {
        "id": "r1",
        "title": "Ferries",
        "abstract": "The ferry leaves at seven.",
        "summary": "Bread dough rises overnight.",
    }
    (folder / "records.jsonl").write_text(json.dumps(record) + "\n")
    found = scan([folder])

    def texts() -> list[str]:
        rows = app.store.existing_collection(TEXT_SPEC).query("", ["text"], limit=10)
        return [row["text"] for row in rows]

    summary = ingest(app, found.files, roots=found.roots, options=ExtractOptions())
    assert [r.outcome for r in summary.results] == [Outcome.INGESTED]
    assert texts() == ["The ferry leaves at seven."]
    # Another --text-field: the file is read again with it (not "unchanged").
    summary = ingest(
        app, found.files, roots=found.roots, options=ExtractOptions(text_field="summary")
    )
    assert [r.outcome for r in summary.results] == [Outcome.INGESTED]
    assert texts() == ["Bread dough rises overnight."]
    # A run that names no options (the worker, a re-index) uses the recorded ones.
    summary = ingest(app, found.files, roots=found.roots)
    assert [r.outcome for r in summary.results] == [Outcome.UNCHANGED]
    summary = ingest(app, found.files, force=True)
    assert [r.outcome for r in summary.results] == [Outcome.INGESTED]
    assert texts() == ["Bread dough rises overnight."]


def test_a_shard_is_sorted_and_shared_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import searchapp.ingest.scanning as scanning
    from searchapp.ingest import Shard, scan

    for n in range(8):
        (tmp_path / f"doc{n}.txt").write_text(f"document {n}\n")
        (tmp_path / f"pic{n}.jpg").write_bytes(b"")
        (tmp_path / f"pic{n}.caption").write_text(f"caption {n}\n")
    sorts: list[int] = []
    sort_files = scanning.sort_files

    def counted(files: Any) -> Any:
        sorts.append(len(files))
        return sort_files(files)

    monkeypatch.setattr(scanning, "sort_files", counted)
    found = scan([tmp_path])
    shares = [found.share(Shard(i, 2)) for i in range(2)]
    for share in shares:
        # The share is already sorted: ingest asks for it and sorts nothing.
        assert {image.sidecar for image in share.sorted.images} == {
            f.path for f in share.sorted.sidecars
        }
        assert share.sorted.paths == {f.path for f in share.files}
    assert sorts == [24]
    together = [sorted(share.sorted.paths) for share in shares]
    assert sorted(together[0] + together[1]) == sorted(f.path for f in found.files)
