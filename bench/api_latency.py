"""End-to-end latency of the JSON search API under concurrent clients, with query
batching off and on.

Builds (or, with ``--work DIR``, reuses) a text collection of SciFact chunks
in Milvus Lite: the 5,183 abstracts cut into small chunks (32 word pieces, 8
overlapping) so the collection holds over 100,000 rows (the run stops if it
holds fewer); ``--docs N`` takes the first N abstracts instead (1,000 make
about 20,000 chunks), for a collection that builds in minutes. Then, for each
``--batching`` mode, it starts a real ``searchapp serve`` process (uvicorn) on
a free port against that store (SEARCHAPP_SEARCH_BATCHING), and sends
SciFact's test queries to ``GET /api/search`` from 1, 8 and 32 concurrent
clients (threads, one httpx client each): a warm-up, then a fixed number of
requests per level. It prints p50/p95/p99 latency and throughput per level,
and where the time went: query encoding and Milvus (the server's
``Server-Timing`` header; with batching, a batch's times) against the latency
the client saw; "elsewhere" is the rest (HTTP, JSON, snippets, waiting for a
thread or a batch). Last, the same queries are encoded and searched in this
process, one at a time and without HTTP: the API's p50 at 1 client over that
is the serving overhead. ``--backend server`` serves from a Milvus 2.3.5
standalone server instead, into which the Lite collection is copied once (kept
in ``--work``); it has no BM25, so compare with ``--retrieval dense``.

Usage:
    python bench/api_latency.py                      # build on first run, then measure
    python bench/api_latency.py --docs 1000 --work .state/bench-api-1000 --retrieval dense
    python bench/api_latency.py --work DIR --requests 100 --levels 1,8,32 --batching on
    python bench/api_latency.py --backend server --retrieval dense
    python bench/api_latency.py --build-only        # build now, measure on a quiet machine
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
from _serving import free_port, wait_ready
from milvus_server import StandaloneServer

from searchapp.app import App
from searchapp.config import Settings
from searchapp.ingest.reindex import copy_rows
from searchapp.search import Retrieval
from searchapp.search.hits import TEXT_FIELDS, chunks_to_fetch
from searchapp.search.retrieval import TextQuery, retrieve
from searchapp.store import TEXT_SPEC, Store

REPO = Path(__file__).resolve().parents[1]
# The shared data folder beside the checkout (/work/main) or beside its worktrees (/work/wt/*).
SCIFACT = (
    next(
        (path for path in (REPO.parent / "shared", REPO.parent.parent / "shared") if path.exists()),
        REPO.parent / "shared",
    )
    / "data"
    / "scifact"
)
MIN_CHUNKS = 100_000
_TIMING = re.compile(r"(\w+);dur=([0-9.]+)")


@dataclass(frozen=True)
class Sample:
    latency_ms: float  # as the client saw it
    encode_ms: float
    milvus_ms: float
    search_ms: float


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=REPO / ".state" / "bench-api-latency")
    parser.add_argument("--levels", default="1,8,32", help="concurrent clients per level")
    parser.add_argument("--requests", type=int, default=96, help="measured requests per level")
    parser.add_argument("--warmup", type=int, default=8, help="unmeasured requests per level")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--retrieval", choices=["dense", "keyword", "hybrid"], default=None)
    parser.add_argument(
        "--batching",
        default="off,on",
        help="serve with query batching off, on, or both in turn (off,on: the default)",
    )
    parser.add_argument("--chunk-tokens", type=int, default=32)
    parser.add_argument("--chunk-overlap", type=int, default=8)
    parser.add_argument(
        "--docs",
        type=int,
        default=None,
        help="ingest only the first N abstracts (a smaller collection that builds in minutes; "
        "use a --work of its own). Default: all 5,183 (over 100,000 chunks)",
    )
    parser.add_argument(
        "--backend",
        choices=["lite", "server"],
        default="lite",
        help="lite: the shared local Milvus Lite process (the default set-up); server: "
        "Milvus 2.3.5 standalone (PyPI package milvus), the Lite rows copied into it once",
    )
    parser.add_argument(
        "--build-only",
        action="store_true",
        help="build the collection (and, with --backend server, copy it into the server) "
        "and stop: the slow part, which can run while the machine is busy",
    )
    args = parser.parse_args()

    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "SEARCHAPP_STATE_DIR": str(args.work.resolve()),
        "SEARCHAPP_CHUNK_TOKENS": str(args.chunk_tokens),
        "SEARCHAPP_CHUNK_OVERLAP": str(args.chunk_overlap),
        "SEARCHAPP_CLIP_TEXT_WINDOWS": "0",
    }
    chunks = _build(env, args.work.resolve(), args.docs)
    docs = f"the first {args.docs:,} abstracts" if args.docs else "all 5,183 abstracts"
    print(f"collection: {chunks:,} chunks of SciFact ({docs}) in {args.work} (Milvus Lite)")
    if chunks < MIN_CHUNKS and args.docs is None:
        sys.exit(f"fewer than {MIN_CHUNKS:,} chunks: use a smaller --chunk-tokens and a new --work")
    with ExitStack() as stack:
        if args.backend == "server":
            server = stack.enter_context(StandaloneServer(args.work.resolve() / "milvus-server"))
            env["SEARCHAPP_MILVUS_URI"] = server.uri
            copied = _copy_to_server(args.work.resolve(), server.uri)
            print(f"server {server.uri}: {copied:,} rows copied from Lite, index built")
        if not args.build_only:
            _measure(args, env)


def _measure(args: argparse.Namespace, env: dict[str, str]) -> None:
    queries = _test_queries()
    modes = [mode.strip() for mode in args.batching.split(",")]
    levels = [int(x) for x in args.levels.split(",")]
    # mode -> level -> (p50 ms, requests/s, CPU seconds per request)
    figures: dict[str, dict[int, tuple[float, float, float]]] = {}
    retrieval = args.retrieval or ""
    try:
        for mode in modes:
            batching = {"SEARCHAPP_SEARCH_BATCHING": "true" if mode == "on" else "false"}
            retrieval, figures[mode] = _serve_and_measure(
                args, {**env, **batching}, queries, levels, f"batching {mode}"
            )
        in_process = _in_process(env, queries, retrieval, args.k, args.requests)
    finally:
        subprocess.run(
            [sys.executable, "-m", "searchapp.cli", "store", "stop"], env=env, check=False
        )
    print(
        f"in-process (no HTTP), one query at a time: query encode + Milvus search p50 "
        f"{statistics.median(in_process):.1f} ms over {len(in_process)} queries"
    )
    for mode, by_level in figures.items():
        if 1 in by_level:
            ratio = by_level[1][0] / statistics.median(in_process)
            print(f"batching {mode}: API p50 at 1 client / in-process p50 = {ratio:.2f}")
    if {"on", "off"} <= figures.keys():
        for level in levels:
            (p50_off, rate_off, cpu_off) = figures["off"][level]
            (p50_on, rate_on, cpu_on) = figures["on"][level]
            print(
                f"{level:>3} clients: batching on/off throughput {rate_on / rate_off:.2f}x "
                f"({rate_on:.1f} vs {rate_off:.1f} req/s), p50 {p50_on:.1f} vs {p50_off:.1f} ms, "
                f"CPU per request {cpu_on * 1000:.0f} vs {cpu_off * 1000:.0f} ms "
                f"({cpu_off / cpu_on:.1f}x less)"
            )


def _serve_and_measure(
    args: argparse.Namespace,
    env: dict[str, str],
    queries: list[str],
    levels: list[int],
    label: str,
) -> tuple[str, dict[int, tuple[float, float, float]]]:
    """Start `searchapp serve` with ``env``, measure each level: the retrieval it
    used, and p50 latency and throughput per level."""
    port = free_port()
    command = [sys.executable, "-m", "searchapp.cli", "serve", "--port", str(port)]
    server = subprocess.Popen([*command, "--log-level", "warning"], env=env)
    figures: dict[int, tuple[float, float, float]] = {}
    try:
        base = f"http://127.0.0.1:{port}"
        started = time.perf_counter()
        wait_ready(base, server)
        print(f"{label}: server ready in {time.perf_counter() - started:.1f} s")
        params = {"k": args.k, **({"retrieval": args.retrieval} if args.retrieval else {})}
        retrieval = httpx.get(f"{base}/api/search", params={**params, "q": queries[0]}).json()
        print(
            f"{label}: {args.backend}, {os.cpu_count()} CPUs, load average "
            + " ".join(f"{x:.1f}" for x in os.getloadavg())
            + f"; k={args.k}, retrieval={retrieval['retrieval']}"
            + ("" if args.retrieval else " (the default, SEARCHAPP_RETRIEVAL)")
        )
        print(
            f"{'clients':>7} {'requests':>8} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9} "
            f"{'req/s':>7} {'encode':>7} {'milvus':>7} {'elsewhere':>9} {'cpu ms/req':>10}"
        )
        offset = 0
        for level in levels:
            _run(base, params, queries, offset, args.warmup, level)
            offset += args.warmup
            processes = [server.pid, *_store_pids(Path(env["SEARCHAPP_STATE_DIR"]))]
            cpu_before = _cpu_seconds(processes)
            began = time.perf_counter()
            samples = _run(base, params, queries, offset, args.requests, level)
            wall = time.perf_counter() - began
            cpu = _cpu_seconds(processes) - cpu_before
            offset += args.requests
            _report(level, samples, wall, cpu)
            latencies = sorted(sample.latency_ms for sample in samples)
            figures[level] = (_percentile(latencies, 50), len(samples) / wall, cpu / len(samples))
        return str(retrieval["retrieval"]), figures
    finally:
        server.terminate()
        server.wait(timeout=60)


def _in_process(
    env: dict[str, str], queries: list[str], retrieval: str, k: int, count: int
) -> list[float]:
    """Milliseconds of query encoding plus the Milvus search, per query, one at a
    time, in this process (no HTTP, no hits shaped) on the same collection."""
    os.environ.update(env)
    app = App(Settings())
    try:
        collection = app.search.text_collection()
        assert collection is not None
        embedder = app.embedders.text_model(collection.identity.model_id)
        took = []
        for n, query in enumerate(queries[: count + 4]):
            began = time.perf_counter()
            vector = embedder.embed([query])[0]
            retrieve(
                collection,
                Retrieval(retrieval),
                [TextQuery(query, vector)],
                limit=chunks_to_fetch(k),
                fields=TEXT_FIELDS,
                expression="",
                settings=app.settings,
            )
            if n >= 4:  # the first few warm up
                took.append((time.perf_counter() - began) * 1000)
        return took
    finally:
        app.close()


def _build(env: dict[str, str], work: Path, docs: int | None) -> int:
    """Rows in the text collection, ingesting SciFact (or its first ``docs``
    abstracts) first when it is empty or, for the whole corpus, holds too few."""
    rows = _text_rows(env)
    if rows == 0 or (docs is None and rows < MIN_CHUNKS):
        print("ingesting SciFact (several minutes on a CPU) ...", flush=True)
        corpus = SCIFACT / "corpus.jsonl.gz"
        if docs is not None:
            corpus = work / f"corpus-first-{docs}.jsonl"
            with gzip.open(SCIFACT / "corpus.jsonl.gz", "rt") as lines:
                corpus.write_text("".join(itertools.islice(lines, docs)))
        subprocess.run(
            [sys.executable, "-m", "searchapp.cli", "ingest", str(corpus)],
            env={**env, "SEARCHAPP_LITE_SHARED": "false"},
            check=True,
        )
        rows = _text_rows(env)
    return rows


def _copy_to_server(work: Path, uri: str) -> int:
    """Copy the Lite text collection into the server, once (vectors and all), and
    wait for its index: rows in the server's collection."""
    lite = Store.connect(Settings(state_dir=work, lite_shared=False))
    server = Store.connect(Settings(state_dir=work, milvus_uri=uri))
    try:
        source = lite.existing_collection(TEXT_SPEC)
        assert source is not None
        target = server.collection(TEXT_SPEC, source.identity)
        if target.count() < source.count():
            print("copying the rows into the server and building its index ...", flush=True)
            copy_rows(source, target)
            target.seal()
        return target.count()
    finally:
        lite.close()
        server.close()


def _text_rows(env: dict[str, str]) -> int:
    stats = subprocess.run(
        [sys.executable, "-m", "searchapp.cli", "stats", "--json"],
        env={**env, "SEARCHAPP_LITE_SHARED": "false"},
        check=True,
        capture_output=True,
        text=True,
    )
    collections = json.loads(stats.stdout)["collections"]
    return sum(c["rows"] for c in collections if c["space"] == "text")


def _test_queries() -> list[str]:
    judged = {
        line.split("\t")[0]
        for line in (SCIFACT / "qrels" / "test.tsv").read_text().splitlines()[1:]
        if line.strip()
    }
    with (SCIFACT / "queries.jsonl").open() as lines:
        records = [json.loads(line) for line in lines if line.strip()]
    return [r["text"] for r in records if r["_id"] in judged]


def _run(
    base: str, params: dict[str, object], queries: list[str], first: int, count: int, level: int
) -> list[Sample]:
    """``count`` searches from ``level`` client threads; each takes the next query."""
    samples: list[Sample] = []
    failures: list[str] = []
    lock = threading.Lock()
    cursor = iter(range(first, first + count))

    def client() -> None:
        with httpx.Client(base_url=base, timeout=600) as http:
            while True:
                with lock:
                    index = next(cursor, None)
                if index is None:
                    return
                query = queries[index % len(queries)]
                began = time.perf_counter()
                response = http.get("/api/search", params={**params, "q": query})
                latency = (time.perf_counter() - began) * 1000
                if response.status_code != 200:
                    with lock:
                        failures.append(f"{response.status_code}: {response.text[:200]}")
                    continue
                timing = dict(_TIMING.findall(response.headers.get("server-timing", "")))
                with lock:
                    samples.append(
                        Sample(
                            latency,
                            float(timing.get("encode", 0)),
                            float(timing.get("milvus", 0)),
                            float(timing.get("search", 0)),
                        )
                    )

    threads = [threading.Thread(target=client) for _ in range(level)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        sys.exit(f"{len(failures)} searches failed, e.g. {failures[0]}")
    return samples


def _store_pids(state_dir: Path) -> list[int]:
    """The local Milvus Lite store process serving ``state_dir``, if one runs."""
    info = state_dir / "milvus.db.server.json"
    try:
        return [int(json.loads(info.read_text())["pid"])]
    except (OSError, ValueError, KeyError):
        return []


def _cpu_seconds(pids: list[int]) -> float:
    """CPU time (user + system) the processes have used so far. Unlike wall time,
    it barely depends on what else runs on the machine."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _report(level: int, samples: list[Sample], wall: float, cpu: float) -> None:
    latencies = sorted(s.latency_ms for s in samples)
    total = sum(latencies)
    encode = sum(s.encode_ms for s in samples) / total
    milvus = sum(s.milvus_ms for s in samples) / total
    print(
        f"{level:>7} {len(samples):>8} {_percentile(latencies, 50):>9.1f} "
        f"{_percentile(latencies, 95):>9.1f} {_percentile(latencies, 99):>9.1f} "
        f"{len(samples) / wall:>7.2f} {encode:>7.1%} {milvus:>7.1%} "
        f"{1 - encode - milvus:>9.1%} {cpu * 1000 / len(samples):>10.1f}",
        flush=True,
    )


def _percentile(ordered: list[float], percent: float) -> float:
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[int(percent) - 1]


if __name__ == "__main__":
    main()
