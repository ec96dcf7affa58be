"""Read a dataset in the BEIR layout: corpus.jsonl[.gz], queries.jsonl, qrels/<split>.tsv."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from searchapp.errors import DatasetError


@dataclass(frozen=True)
class BeirDataset:
    """The queries that have judgements, their judgements, and where the corpus is.

    The corpus is not read here: it is ingested like any record file (each line
    ``{"_id", "title", "text"}`` is one document whose record id is its ``_id``).
    """

    name: str
    corpus: Path
    queries: dict[str, str]  # query id -> text, judged queries only
    qrels: dict[str, dict[str, int]]  # query id -> document id -> grade

    @classmethod
    def load(cls, folder: Path, split: str = "test") -> BeirDataset:
        folder = folder.expanduser().resolve()
        if not folder.is_dir():
            raise DatasetError(f"no such dataset folder: {folder}")
        corpus = next(
            (folder / n for n in ("corpus.jsonl", "corpus.jsonl.gz") if (folder / n).is_file()),
            None,
        )
        if corpus is None:
            raise DatasetError(f"{folder} has no corpus.jsonl or corpus.jsonl.gz (BEIR layout)")
        qrels = _read_qrels(folder / "qrels" / f"{split}.tsv")
        texts = _read_queries(folder / "queries.jsonl")
        missing = sorted(set(qrels) - set(texts))
        if missing:
            raise DatasetError(
                f"qrels/{split}.tsv judges queries that queries.jsonl lacks: {missing[:5]}"
            )
        return cls(
            name=folder.name,
            corpus=corpus,
            queries={qid: texts[qid] for qid in qrels},
            qrels=qrels,
        )


def _read_queries(path: Path) -> dict[str, str]:
    if not path.is_file():
        raise DatasetError(f"missing {path.name} in {path.parent} (BEIR layout)")
    queries: dict[str, str] = {}
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                queries[str(record["_id"])] = str(record["text"])
            except (ValueError, KeyError, TypeError) as exc:
                raise DatasetError(
                    f'{path.name} line {number}: expected {{"_id": ..., "text": ...}} ({exc})'
                ) from exc
    return queries


def _read_qrels(path: Path) -> dict[str, dict[str, int]]:
    if not path.is_file():
        raise DatasetError(f"missing qrels/{path.name} in {path.parent.parent} (BEIR layout)")
    qrels: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for number, fields in enumerate(csv.reader(handle, delimiter="\t"), start=1):
            if not fields or (number == 1 and fields[0] == "query-id"):
                continue  # blank line, or the header line
            try:
                query_id, doc_id, grade = fields[0], fields[1], int(fields[2])
            except (IndexError, ValueError) as exc:
                raise DatasetError(
                    f"qrels/{path.name} line {number}: expected query-id, corpus-id, score"
                ) from exc
            qrels.setdefault(query_id, {})[doc_id] = grade
    if not qrels:
        raise DatasetError(f"qrels/{path.name} judges no query")
    return qrels
