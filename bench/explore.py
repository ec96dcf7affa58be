"""Explore's cost: time and peak memory of duplicates, clusters and the map.

    PYTHONPATH=. .venv/bin/python bench/explore.py [--only sample|scifact|synthetic]
        [--rows 100000] [--state /tmp/searchapp-explore-bench]

Two collections, both in Milvus Lite (in-process) under --state:
- SciFact's chunks (about 10,000, MiniLM), the scratch collection `searchapp eval`
  builds (embedded on the first run, then reused);
- a synthetic text collection of --rows rows inserted directly (no model): unit
  vectors around 200 random centres in 384-d, 1% of them planted near-copies,
  each row one document with a few words of its centre's vocabulary.

Each measurement runs in a fresh child process with an empty result cache:
wall and CPU seconds (every thread), the child's peak RSS (which includes Python, pymilvus and the
in-process Lite store holding the collection), the same for a child that only
opens the store and counts rows (the baseline). No tracemalloc: tracing every
allocation made the 100,000-row duplicates step 4.6 times slower (274 s instead of
60 s; pymilvus and Lite allocate per row and per float). Also prints the near-duplicate groups
found at several thresholds. Figures on a shared 2-core machine are noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

STEPS = ("baseline", "duplicates", "clusters", "map")
# Not timed: how close each item's nearest other item is, to choose the threshold.
NEAREST = "nearest"
THRESHOLDS = (0.90, 0.93, 0.95, 0.97, 0.99)
SYNTHETIC_PREFIX = "explorebench"
CENTRES = 200
DIM = 384


def _settings(state: Path, prefix: str):
    from searchapp.config import Settings

    # Long deadlines: Lite's upserts and searches slow down on a busy shared machine.
    return Settings(
        state_dir=state,
        lite_shared=False,
        collection_prefix=prefix,
        store_timeout=300,
        store_slow_timeout=3600,
    )


def run_step(state: Path, prefix: str, step: str, cache: Path) -> dict:
    """In the child: one step on a fresh cache."""
    import logging

    logging.getLogger("pymilvus").setLevel(logging.CRITICAL)
    from searchapp.explore import ExploreService
    from searchapp.store import Store

    settings = _settings(state, prefix)
    store = Store.connect(settings)
    service = ExploreService(settings.model_copy(update={"state_dir": cache}), store)
    started = time.perf_counter()
    cpu_started = _cpu_seconds()
    extra: dict = {}
    if step == "baseline":
        from searchapp.store import TEXT_SPEC

        extra["rows"] = store.existing_collection(TEXT_SPEC).count()
    elif step == "duplicates":
        report = service.duplicates("text", threshold=min(THRESHOLDS))
        extra["groups"] = _groups_by_threshold(report)
        # The closest and the loosest groups found from the lowest threshold up.
        close = sorted(
            (g for g in report["groups"] if not g["exact"]), key=lambda g: -g["similarity"]
        )
        extra["examples"] = [
            [g["similarity"], *(m["title"][:50] for m in g["members"][:3])]
            for g in (close[:2] + close[-2:] if len(close) > 4 else close)
        ]
        extra["items"] = report["item_count"]
    elif step == NEAREST:
        extra.update(_nearest_report(store, local=settings.uses_milvus_lite))
    elif step == "clusters":
        report = service.clusters("text")
        extra["clusters"] = len(report["clusters"])
        extra["labels"] = [c["label"] for c in report["clusters"][:5]]
    else:
        report = service.map("text")
        extra["points"] = len(report["points"])
    seconds = time.perf_counter() - started
    cpu = _cpu_seconds() - cpu_started
    store.close()
    return {
        "step": step,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "rss_peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        **extra,
    }


def _cpu_seconds() -> float:
    """CPU time of this process, every thread (the in-process Lite server's too): on a
    shared machine wall seconds measure the other jobs as much as this one."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _nearest_report(store, *, local: bool) -> dict:
    """Percentiles of each item's similarity to its nearest other item, and the
    closest distinct pairs (not the same bytes) with their titles. Neighbours come
    from where the service gets them (a local faiss index on Lite: its searches
    would take hours at 100,000 items)."""
    import numpy as np

    from searchapp.explore.items import read_items
    from searchapp.explore.neighbours import nearest, nearest_local
    from searchapp.store import TEXT_SPEC

    collection = store.existing_collection(TEXT_SPEC)
    items = read_items(collection, "text")
    found = nearest_local(items, 1) if local else nearest(collection, items, 1, ef=64)
    top = found.similarity[:, 0]
    top = top[np.isfinite(top)]
    pairs, seen = [], set()
    for i in np.argsort(-found.similarity[:, 0])[:40]:
        j = int(found.index[i, 0])
        # Distinct: not the same bytes (records of one file share its hash), once a pair.
        distinct = items.sha256[i] != items.sha256[j] or items.record_ids[i]
        if distinct and frozenset((int(i), j)) not in seen:
            seen.add(frozenset((int(i), j)))
            pairs.append(
                (
                    round(float(found.similarity[i, 0]), 3),
                    items.titles[i][:50],
                    items.titles[j][:50],
                )
            )
    return {
        "items": len(items),
        "nearest_similarity_percentiles": {
            q: round(float(np.percentile(top, q)), 3) for q in (50, 90, 99, 99.9, 100)
        },
        "items_with_a_neighbour_at_or_above": {
            f"{t:.2f}": int((top >= t).sum()) for t in THRESHOLDS
        },
        "closest_pairs": pairs[:8],
    }


def _groups_by_threshold(report: dict) -> dict[str, int]:
    """Groups at each threshold, from the pairs found at the lowest one: a group at a
    higher threshold is counted by its weakest link (an approximation that ignores
    groups splitting; fine for choosing a default)."""
    return {
        f"{t:.2f}": sum(1 for g in report["groups"] if g["exact"] or g["similarity"] >= t)
        for t in THRESHOLDS
    }


def prepare_scifact(state: Path, rows: int = 0) -> str:
    sys.path.insert(0, str(Path(__file__).parent))
    from _scifact import scifact_evaluator

    with scifact_evaluator(state_dir=state, lite_shared=False) as evaluator:
        return evaluator.prefix


def prepare_sample(state: Path, rows: int = 0) -> str:
    """The sample corpus (data/) ingested with MiniLM (its images by caption only: no CLIP)."""
    from searchapp.app import App
    from searchapp.ingest import ingest, scan
    from searchapp.store import TEXT_SPEC

    settings = _settings(state, "searchapp")
    app = App(settings)
    try:
        if app.store.existing_collection(TEXT_SPEC) is None:
            ingest(app, scan([Path(__file__).resolve().parents[1] / "data"]).files)
    finally:
        app.close()
    return "searchapp"


def prepare_synthetic(state: Path, rows: int) -> str:
    import numpy as np

    from searchapp.embed.base import ModelIdentity
    from searchapp.ingest.rows import row_id
    from searchapp.store import TEXT_SPEC, Store

    settings = _settings(state, SYNTHETIC_PREFIX)
    store = Store.connect(settings)
    try:
        identity = ModelIdentity(model_id="synthetic-unit-vectors", dim=DIM)
        collection = store.collection(TEXT_SPEC, identity)
        # Resumable: rows are the same on every run (seeded), and upserts are idempotent.
        done = collection.count()
        if done == rows:
            return SYNTHETIC_PREFIX
        rng = np.random.default_rng(0)
        centres = rng.normal(size=(CENTRES, DIM)).astype(np.float32)
        words = [f"w{c}x{j}" for c in range(CENTRES) for j in range(8)]
        started = time.perf_counter()
        batch = 5000
        for start in range(0, rows, batch):
            n = min(batch, rows - start)
            centre = rng.integers(0, CENTRES, size=n)
            vectors = centres[centre] + rng.normal(scale=1.2, size=(n, DIM)).astype(np.float32)
            copies = rng.random(n) < 0.01  # near-copies of the previous row
            for i in np.flatnonzero(copies):
                if i > 0:
                    centre[i] = centre[i - 1]
                    vectors[i] = vectors[i - 1] + rng.normal(scale=0.05, size=DIM)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            chosen = rng.integers(0, 8, size=(n, 6))
            if start + n <= done:
                continue
            out = []
            for i in range(n):
                number = start + i
                source = f"/synthetic/doc{number:06d}.txt"
                text = " ".join(words[centre[i] * 8 + j] for j in chosen[i])
                out.append(
                    {
                        "id": row_id(source, 0),
                        "source": source,
                        "folders": ["/", "/synthetic"],
                        "record_id": "",
                        "title": f"doc {number} (centre {centre[i]})",
                        "media_type": "text/plain",
                        "ext": "txt",
                        "mtime": 0.0,
                        "sha256": f"{number:064x}",
                        "metadata": {},
                        "chunk_index": 0,
                        "char_start": 0,
                        "char_end": len(text),
                        "text": text,
                        "keyword_text": text,
                        "vector": vectors[i].tolist(),
                    }
                )
            collection.upsert(out)
        collection.flush()
        print(
            f"inserted {rows} synthetic rows in {time.perf_counter() - started:.0f} s", flush=True
        )
    finally:
        store.close()
    return SYNTHETIC_PREFIX


TITLES = {
    "sample": "the sample corpus (data/), MiniLM",
    "scifact": "SciFact (MiniLM chunks)",
    "synthetic": "synthetic, {rows} rows inserted directly (no model)",
}


def measure(name: str, state: Path, prefix: str) -> None:
    print(f"\n## {name}", flush=True)
    print("| step | seconds | CPU seconds | peak RSS MB | notes |")
    print("| --- | --- | --- | --- | --- |", flush=True)
    for step in (*STEPS, NEAREST):
        cache = Path(state) / "bench-cache" / f"{prefix}-{step}-{time.time_ns()}"
        child = subprocess.run(
            [sys.executable, __file__, "--child", step, "--state", str(state), "--prefix", prefix,
             "--cache", str(cache)],
            capture_output=True,
            text=True,
            check=False,
        )  # fmt: skip
        if child.returncode != 0:
            print(f"| {step} | failed | | | {child.stderr.strip().splitlines()[-1:]} |")
            continue
        result = json.loads(child.stdout.strip().splitlines()[-1])
        notes = {
            k: v
            for k, v in result.items()
            if k not in ("step", "seconds", "cpu_seconds", "rss_peak_mb")
        }
        print(
            f"| {step} | {result['seconds']} | {result['cpu_seconds']} | {result['rss_peak_mb']} | "
            f"{json.dumps(notes)} |",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("sample", "scifact", "synthetic"))
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--state", type=Path, default=Path("/tmp/searchapp-explore-bench"))
    parser.add_argument("--child", choices=(*STEPS, NEAREST))
    parser.add_argument("--prefix")
    parser.add_argument("--cache", type=Path)
    parser.add_argument("--prepare", choices=("sample", "scifact", "synthetic"))
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_step(args.state, args.prefix, args.child, args.cache)))
        return
    if args.prepare:  # in a child too: an in-process Lite store stays open until exit
        print(PREPARE[args.prepare](args.state, args.rows))
        return
    for name in ("sample", "scifact", "synthetic"):
        if args.only not in (None, name):
            continue
        state = args.state / (f"synthetic-{args.rows}" if name == "synthetic" else name)
        prepared = subprocess.run(
            [sys.executable, __file__, "--prepare", name, "--state", str(state),
             "--rows", str(args.rows)],
            stdout=subprocess.PIPE,
            text=True,
            check=True,
        )  # fmt: skip
        prefix = prepared.stdout.strip().splitlines()[-1]
        measure(TITLES[name].format(rows=args.rows), state, prefix)


PREPARE = {"sample": prepare_sample, "scifact": prepare_scifact, "synthetic": prepare_synthetic}

if __name__ == "__main__":
    main()
