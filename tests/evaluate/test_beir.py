"""Reading the BEIR layout: judged queries only, graded qrels, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from searchapp.errors import DatasetError
from searchapp.evaluate import BeirDataset

TINY = Path(__file__).resolve().parents[1] / "fixtures" / "beir_tiny"


def test_loads_the_tiny_fixture() -> None:
    dataset = BeirDataset.load(TINY)
    assert dataset.name == "beir_tiny"
    assert dataset.corpus == TINY / "corpus.jsonl"
    # q5 has no judgement: it is not evaluated.
    assert set(dataset.queries) == {"q1", "q2", "q3", "q4"}
    assert dataset.queries["q2"] == "what makes the red planet red"
    assert dataset.qrels["q3"] == {"d4": 2, "d5": 1}


def write_layout(root: Path, qrels: str, queries: str = '{"_id": "q1", "text": "x"}\n') -> Path:
    (root / "qrels").mkdir(parents=True)
    (root / "corpus.jsonl.gz").write_bytes(b"")
    (root / "queries.jsonl").write_text(queries)
    (root / "qrels" / "test.tsv").write_text(qrels)
    return root


def test_gzipped_corpus_and_headerless_qrels(tmp_path: Path) -> None:
    dataset = BeirDataset.load(write_layout(tmp_path / "d", "q1\tdoc\t1\n"))
    assert dataset.corpus.name == "corpus.jsonl.gz"
    assert dataset.qrels == {"q1": {"doc": 1}}


@pytest.mark.parametrize(
    ("qrels", "queries", "message"),
    [
        ("q1\tdoc\n", '{"_id": "q1", "text": "x"}\n', "expected query-id, corpus-id, score"),
        ("q2\tdoc\t1\n", '{"_id": "q1", "text": "x"}\n', "queries.jsonl lacks"),
        ("q1\tdoc\t1\n", '{"id": "q1"}\n', "line 1"),
        ("query-id\tcorpus-id\tscore\n", '{"_id": "q1", "text": "x"}\n', "judges no query"),
    ],
)
def test_malformed_files_are_clear_errors(tmp_path: Path, qrels, queries, message) -> None:
    with pytest.raises(DatasetError, match=message):
        BeirDataset.load(write_layout(tmp_path / "d", qrels, queries))


def test_missing_parts_are_named(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="no such dataset folder"):
        BeirDataset.load(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match=r"corpus.jsonl"):
        BeirDataset.load(tmp_path / "empty")
