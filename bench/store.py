"""Insert throughput and query latency of the store: Milvus Lite and a real server, side by side.

The same workload on each backend, through searchapp's own store layer
(``VectorCollection.upsert`` in its write batches, ``search`` with the search
service's parameters):

- insert N chunk rows (default 100,000) with 384-d unit vectors and a realistic
  payload: a path, its folders, title, ~1,000 characters of text, JSON metadata;
- seal: flush and wait until the HNSW index covers every row (what a re-index
  waits for before switching);
- search: single queries one after another, k=10 fetched as 40 rows (the
  service over-fetches 4x to keep one chunk per document) with ef=64, returning
  the fields the service shows; once plain and once with a folder filter.

Usage:
    python bench/store.py                      # 100,000 rows on lite-shared and server
    python bench/store.py --rows 20000 --backends lite,lite-shared,server

Backends: ``lite`` (embedded, in this process), ``lite-shared`` (the default
configuration: one shared local store process, over gRPC) and ``server``
(Milvus 2.3.5 standalone from the PyPI package ``milvus``, started for the run).
Figures on a shared machine are noisy: compare columns of one run. Milvus Lite
3.2 checks every row in Python on every search (its de-duplication and
tombstone mask), so its latency grows with the collection: at 100,000 rows a
run of many Lite queries takes minutes, hence the modest default counts.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from milvus_server import StandaloneServer

from searchapp.config import Settings
from searchapp.embed import ModelIdentity
from searchapp.store import TEXT_SPEC, Store
from searchapp.store.filters import contains
from searchapp.store.local import LocalStore

DIM = 384
FOLDERS = 50  # documents spread over this many folders
CHUNKS_PER_DOCUMENT = 8
SEARCH_FIELDS = ["source", "record_id", "title", "media_type", "chunk_index", "text", "mtime"]
# Filler text: common words and topic words, as notes are made of.
VOCABULARY = (
    "the of and to in is that for it as with was on be by this are from or at an which "
    "milvus vector index search query chunk model embedding document folder note recipe "
    "bread garden planet river mountain library engine protein battery network ocean "
    "history language market theory signal memory pattern season window harbour"
)


@dataclass
class Figures:
    backend: str
    version: str
    insert_seconds: float
    seal_seconds: float
    latencies_ms: list[float]
    filtered_ms: list[float]
    rows: int

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.insert_seconds


def make_rows(count: int, seed: int = 7) -> list[dict]:
    """Chunk rows as ingest writes them, with random unit vectors."""
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((count, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    words = np.array(VOCABULARY.split())
    rows = []
    for i in range(count):
        document = i // CHUNKS_PER_DOCUMENT
        folder = f"/home/ana/notes/topic{document % FOLDERS:02d}"
        source = f"{folder}/document-{document:06d}.md"
        text = " ".join(rng.choice(words, size=170))[:1000]
        rows.append(
            {
                "id": hashlib.sha256(f"{source}\x1f{i}".encode()).hexdigest()[:32],
                "source": source,
                "folders": ["/", "/home", "/home/ana", "/home/ana/notes", folder],
                "record_id": "",
                "title": f"Document {document}: notes on {words[document % len(words)]}",
                "media_type": "text/markdown",
                "ext": "md",
                "mtime": 1_700_000_000.0 + document,
                "sha256": hashlib.sha256(source.encode()).hexdigest(),
                "metadata": {"author": "ana", "tags": ["notes", f"t{document % 7}"]},
                "chunk_index": i % CHUNKS_PER_DOCUMENT,
                "char_start": (i % CHUNKS_PER_DOCUMENT) * 900,
                "char_end": (i % CHUNKS_PER_DOCUMENT) * 900 + len(text),
                "text": text,
                "vector": vectors[i].tolist(),
            }
        )
    return rows


def make_queries(rows: list[dict], count: int, seed: int = 11) -> np.ndarray:
    """Queries near stored vectors (a stored vector plus noise), as real queries are."""
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(rows), size=count, replace=False)
    base = np.array([rows[i]["vector"] for i in picks], dtype=np.float32)
    noisy = base + rng.standard_normal(base.shape).astype(np.float32) * 0.05
    return noisy / np.linalg.norm(noisy, axis=1, keepdims=True)


def run_backend(
    name: str, settings: Settings, rows: list[dict], queries: np.ndarray, filtered_queries: int
) -> Figures:
    store = Store.connect(settings)
    collection = store.collection(TEXT_SPEC, ModelIdentity("bench", DIM))
    started = time.perf_counter()
    collection.upsert(rows)
    inserted = time.perf_counter()
    collection.seal()
    sealed = time.perf_counter()
    assert collection.count() == len(rows), "rows went missing"

    def timed(expression: str, count: int) -> list[float]:
        latencies = []
        for query in queries[:count]:
            begin = time.perf_counter()
            hits = collection.search(
                query[None, :], limit=40, fields=SEARCH_FIELDS, expression=expression, ef=64
            )[0]
            latencies.append((time.perf_counter() - begin) * 1000)
            assert hits, "a search found nothing"
        return latencies

    timed("", 3)  # warm-up: first searches load segments and caches
    plain = timed("", len(queries))
    filtered = timed(contains("folders", "/home/ana/notes/topic07"), filtered_queries)
    store.close()
    return Figures(
        backend=name,
        version=store.info.version,
        insert_seconds=inserted - started,
        seal_seconds=sealed - inserted,
        latencies_ms=plain,
        filtered_ms=filtered,
        rows=len(rows),
    )


@contextmanager
def backend_settings(name: str, folder: Path) -> Iterator[Settings]:
    state = folder / name
    if name == "lite":
        yield Settings(state_dir=state, lite_shared=False)
    elif name == "lite-shared":
        try:
            yield Settings(state_dir=state, lite_shared=True)
        finally:
            LocalStore(state / "milvus.db").stop()
    elif name == "server":
        with StandaloneServer(folder / "milvus-server") as server:
            yield Settings(state_dir=state, milvus_uri=server.uri)
    else:
        raise SystemExit(f"unknown backend {name!r}: lite, lite-shared or server")


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def report(figures: list[Figures], rows: int, queries: int, filtered: int) -> None:
    load = os.getloadavg()
    print(
        f"store benchmark: {rows:,} chunk rows, {DIM}-d, HNSW M=16 efConstruction=200; "
        f"{queries} queries (and {filtered} filtered) k=10 as limit 40, ef=64; "
        f"{os.cpu_count()} CPUs, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
    )
    width = 26
    print("".ljust(30) + "".join(f.backend.ljust(width) for f in figures))
    lines = [
        ("version", [f.version for f in figures]),
        ("insert (rows/s)", [f"{f.rows_per_second:,.0f}" for f in figures]),
        ("insert (s)", [f"{f.insert_seconds:.1f}" for f in figures]),
        ("flush + index wait (s)", [f"{f.seal_seconds:.1f}" for f in figures]),
        ("query p50 (ms)", [f"{percentile(f.latencies_ms, 50):.2f}" for f in figures]),
        ("query p99 (ms)", [f"{percentile(f.latencies_ms, 99):.2f}" for f in figures]),
        ("query mean (ms)", [f"{statistics.fmean(f.latencies_ms):.2f}" for f in figures]),
        ("filtered query p50 (ms)", [f"{percentile(f.filtered_ms, 50):.2f}" for f in figures]),
        ("filtered query p99 (ms)", [f"{percentile(f.filtered_ms, 99):.2f}" for f in figures]),
    ]
    for label, values in lines:
        print(label.ljust(30) + "".join(str(v).ljust(width) for v in values))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--filtered-queries", type=int, default=30)
    parser.add_argument("--backends", default="lite-shared,server")
    args = parser.parse_args(argv)
    rows = make_rows(args.rows)
    queries = make_queries(rows, args.queries)
    figures = []
    with tempfile.TemporaryDirectory(prefix="searchapp-bench-") as tmp:
        for name in args.backends.split(","):
            print(f"running {name} ...", file=sys.stderr, flush=True)
            with backend_settings(name, Path(tmp)) as settings:
                figures.append(run_backend(name, settings, rows, queries, args.filtered_queries))
    report(figures, args.rows, args.queries, args.filtered_queries)


if __name__ == "__main__":
    main()
