"""Text model backends side by side: speed and retrieval quality on SciFact.

For each backend (torch, onnx, onnx-int8), with the same number of threads:

- short queries: SciFact's test queries, one per call (as a search embeds them), texts/s;
- chunks: SciFact abstracts cut as ingest cuts them, in batches of
  SEARCHAPP_EMBED_BATCH_SIZE, texts/s;
- nDCG@10 (dense and hybrid) through the evaluator: the corpus ingested with the
  backend and queried with it; then every backend's queries against the corpus
  ingested by torch (the query backend alone).

The whole corpus (5,183 abstracts) takes tens of minutes per backend on a busy
machine, so by default the corpus is a subset, the same for every backend:
every abstract judged for a test query, plus a fixed random sample (seed 0) of
the others, up to --docs. Figures on a shared machine are noisy: compare the
backends of one run, not runs with each other.

    .venv/bin/python bench/encoders.py                  # 1,500 abstracts, 2 threads
    .venv/bin/python bench/encoders.py --docs 0         # the whole corpus
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _scifact import SCIFACT

from searchapp.chunking import chunk_text
from searchapp.config import DEFAULT_TEXT_MODEL, Settings
from searchapp.embed import Embedders
from searchapp.evaluate import BeirDataset, Evaluator
from searchapp.search import Retrieval

BACKENDS = ("torch", "onnx", "onnx-int8")
_RETRIEVALS = (Retrieval.DENSE, Retrieval.HYBRID)


def subset(source: Path, folder: Path, docs: int) -> Path:
    """SciFact with the judged abstracts plus a fixed sample of the rest (``docs`` in all)."""
    dataset = BeirDataset.load(source)
    judged = {doc for judgements in dataset.qrels.values() for doc in judgements}
    with gzip.open(source / "corpus.jsonl.gz", "rt") as corpus:
        lines = corpus.readlines()
    if docs <= 0 or docs >= len(lines):
        return source
    keep = [line for line in lines if json.loads(line)["_id"] in judged]
    others = [line for line in lines if json.loads(line)["_id"] not in judged]
    keep += random.Random(0).sample(others, max(0, docs - len(keep)))
    folder.mkdir(parents=True)
    (folder / "corpus.jsonl").write_text("".join(keep))
    shutil.copy(source / "queries.jsonl", folder / "queries.jsonl")
    shutil.copytree(source / "qrels", folder / "qrels")
    print(f"corpus: {len(keep)} of {len(lines)} abstracts ({len(judged)} judged, seed 0)")
    return folder


def speed(settings: Settings, backend: str, queries: list[str], chunks: list[str]) -> dict:
    model = Embedders(settings).text_model(DEFAULT_TEXT_MODEL, backend)  # type: ignore[arg-type]
    model.embed(queries[:16])  # warm-up
    model.embed(chunks[:64])
    best_q = best_c = float("inf")
    for _ in range(2):  # the faster of two rounds: less noise from other work
        started = time.perf_counter()
        for query in queries:
            model.embed([query])
        best_q = min(best_q, time.perf_counter() - started)
        started = time.perf_counter()
        model.embed(chunks)
        best_c = min(best_c, time.perf_counter() - started)
    return {"queries/s": len(queries) / best_q, "chunks/s": len(chunks) / best_c}


def quality(settings: Settings, dataset: Path, ingest: str, query: str) -> dict:
    run = settings.model_copy(update={"ingest_backend": ingest, "query_backend": query})
    evaluator = Evaluator(run, Embedders(run), BeirDataset.load(dataset))
    try:
        started = time.perf_counter()
        reused = evaluator.prepare()
        built = time.perf_counter() - started
        report = evaluator.run(_RETRIEVALS, k=10, reused=reused)
    finally:
        evaluator.close()
    figures = {r: report.metrics[r]["ndcg@10"] for r in report.metrics}
    if not reused:
        figures["ingest s"] = round(built, 1)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=1500, help="abstracts (0: all 5,183)")
    parser.add_argument("--threads", type=int, default=2, help="threads per model call")
    parser.add_argument("--chunks", type=int, default=512, help="chunks for the speed test")
    parser.add_argument("--queries", type=int, default=300, help="queries for the speed test")
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--state", type=Path, help="state folder (kept; default: a temp one)")
    parser.add_argument("--scifact", type=Path, default=SCIFACT, help="the BEIR folder")
    parser.add_argument("--no-quality", action="store_true", help="speed only")
    parser.add_argument("--no-speed", action="store_true", help="quality only")
    args = parser.parse_args()
    backends = args.backends.split(",")
    scratch = Path(tempfile.mkdtemp(prefix="bench-encoders-"))
    state = args.state or scratch / "state"
    settings = Settings(state_dir=state, lite_shared=False, embed_threads=args.threads)
    dataset = BeirDataset.load(args.scifact)
    queries = list(dataset.queries.values())[: args.queries]
    torch_model = Embedders(settings).text_model(DEFAULT_TEXT_MODEL, "torch")
    with gzip.open(args.scifact / "corpus.jsonl.gz", "rt") as corpus:
        abstracts = [json.loads(line)["text"] for _, line in zip(range(400), corpus, strict=False)]
    chunks = [
        c.text for text in abstracts for c in chunk_text(text, torch_model.tokenizer, 254, 32)
    ][: args.chunks]
    print(
        f"speed: {len(queries)} queries one per call, {len(chunks)} chunks in batches of "
        f"{settings.embed_batch_size}; {args.threads} threads"
    )
    speeds = {} if args.no_speed else {b: speed(settings, b, queries, chunks) for b in backends}
    for backend, figures in speeds.items():
        ratio_q = figures["queries/s"] / speeds[backends[0]]["queries/s"]
        ratio_c = figures["chunks/s"] / speeds[backends[0]]["chunks/s"]
        print(
            f"  {backend:10} {figures['queries/s']:7.1f} queries/s ({ratio_q:.2f}x)  "
            f"{figures['chunks/s']:6.1f} chunks/s ({ratio_c:.2f}x)"
        )
    sys.stdout.flush()
    if args.no_quality:
        return
    data = subset(args.scifact, scratch / "scifact", args.docs)
    print("nDCG@10 (ingest backend -> query backend):")
    for backend in backends:
        print(f"  {backend:10} -> {backend:10} {quality(settings, data, backend, backend)}")
        sys.stdout.flush()
    for backend in backends:
        if backend != "torch":
            print(f"  {'torch':10} -> {backend:10} {quality(settings, data, 'torch', backend)}")
    if args.state is None:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
