"""A bounded soak run of the embedded default: serve, worker and the shared Lite store.

Ingests a seed folder of generated notes, then starts a real ``searchapp serve``
and ``searchapp worker`` on a fresh state folder and, for ``--minutes``, sends
searches from ``--clients`` threads and uploads a new note every
``--upload-every`` seconds (the worker ingests them). Half-way through, the
store process is killed (SIGKILL by the pid in its info file; ``--restart
stop`` stops it cleanly instead) and the next call starts it again. Then the
traffic stops, the worker drains its queue, and the index is compared with a
clean ingest of the same files (seed folder and uploads) into another state
folder: the same ids, and per id the same text, source and sha256.

It prints requests served, errors by status, latency p50/p99 (overall, and
outside the restart's minute), and RSS of serve, worker and the store process
at start, warm (after the first minute, when the worker has loaded its model)
and end. Not part of the test suite. Figures on a shared machine are
noisy: say how busy it was.

Usage:
    python bench/soak.py                 # 10 minutes
    python bench/soak.py --minutes 2 --clients 4 --work /tmp/soak
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
from _serving import free_port, wait_ready

WORDS = [
    "harbour",
    "ferry",
    "tomato",
    "basil",
    "bread",
    "dough",
    "river",
    "granite",
    "orbit",
    "comet",
    "violin",
    "quartet",
    "glacier",
    "desert",
    "lantern",
    "market",
    "spice",
    "pepper",
    "saffron",
    "copper",
    "meadow",
    "falcon",
    "canyon",
    "thunder",
    "pottery",
    "weaving",
    "orchard",
    "cider",
    "beacon",
    "lighthouse",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=8, help="search threads")
    parser.add_argument("--upload-every", type=float, default=5.0, help="seconds between uploads")
    parser.add_argument("--seed-files", type=int, default=200, help="notes ingested before")
    parser.add_argument("--restart", choices=["kill", "stop"], default="kill")
    parser.add_argument("--work", type=Path, default=None, help="folder (default: a temp one)")
    args = parser.parse_args()

    work = args.work or Path(tempfile.mkdtemp(prefix="searchapp-soak-"))
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    seed, state = work / "seed", work / "state"
    _write_seed(seed, args.seed_files)
    env = {
        **os.environ,
        "SEARCHAPP_STATE_DIR": str(state),
        "SEARCHAPP_LITE_SHARED": "true",
        "HF_HUB_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }
    _cli(env, "ingest", str(seed))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    logs = {name: open(work / f"{name}.log", "w") for name in ("serve", "worker")}  # noqa: SIM115
    serve = _spawn(env, logs["serve"], "serve", "--port", str(port), "--log-level", "warning")
    worker = _spawn(env, logs["worker"], "worker")
    try:
        wait_ready(base, serve)
        figures = _traffic(args, base, state, serve.pid, worker.pid)
        drained = _drain(base)
    finally:
        for process in (serve, worker):
            process.send_signal(signal.SIGTERM)
        for process in (serve, worker):
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs.values():
            log.close()
    figures["queue drained"] = drained
    figures["index equals a clean ingest"] = _compare(env, work, seed, state)
    _cli(env, "store", "stop")
    print(json.dumps(figures, indent=2))


def _traffic(
    args: argparse.Namespace, base: str, state: Path, serve_pid: int, worker_pid: int
) -> dict[str, object]:
    stop = threading.Event()
    lock = threading.Lock()
    statuses: Counter[str] = Counter()
    reasons: Counter[str] = Counter()  # the detail of each answer that was not 200
    latencies: list[tuple[float, float]] = []  # (time since start, seconds)
    uploads: Counter[str] = Counter()
    started = time.monotonic()
    duration = args.minutes * 60

    def searcher(number: int) -> None:
        rng = random.Random(number)
        with httpx.Client(base_url=base, timeout=120) as client:
            while not stop.is_set():
                query = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 4)))
                begun = time.monotonic()
                reason = ""
                try:
                    response = client.get("/api/search", params={"q": query})
                    status = str(response.status_code)
                    if response.status_code != 200:
                        reason = str(response.json().get("detail", ""))[:160]
                except (httpx.HTTPError, ValueError) as exc:
                    status = type(exc).__name__
                with lock:
                    statuses[status] += 1
                    if reason:
                        reasons[reason] += 1
                    latencies.append((begun - started, time.monotonic() - begun))

    def uploader() -> None:
        number = 0
        with httpx.Client(base_url=base, timeout=120) as client:
            while not stop.wait(args.upload_every):
                number += 1
                body = f"# Upload {number}\n\n{_prose(10_000 + number, 120)}\n"
                files = {"files": (f"upload-{number:04}.md", body.encode(), "text/markdown")}
                try:
                    status = str(client.post("/api/ingest", files=files).status_code)
                except httpx.HTTPError as exc:
                    status = type(exc).__name__
                with lock:
                    uploads[status] += 1

    rss_start = _rss_all(state, serve_pid, worker_pid)
    threads = [threading.Thread(target=searcher, args=(n,)) for n in range(args.clients)]
    threads.append(threading.Thread(target=uploader))
    for thread in threads:
        thread.start()
    # Warm: the worker has loaded its model with the first uploads by then.
    stop.wait(min(60.0, duration / 4))
    rss_warm = _rss_all(state, serve_pid, worker_pid)
    stop.wait(max(0.0, duration / 2 - (time.monotonic() - started)))
    restart_at = time.monotonic() - started
    old_pid = _restart_store(state, args.restart)
    stop.wait(max(0.0, duration - (time.monotonic() - started)))
    stop.set()
    for thread in threads:
        thread.join()
    rss_end = _rss_all(state, serve_pid, worker_pid)

    all_ms = sorted(seconds * 1000 for _, seconds in latencies)
    calm_ms = sorted(
        seconds * 1000 for at, seconds in latencies if not restart_at - 5 <= at <= restart_at + 60
    )
    return {
        "minutes": args.minutes,
        "search clients": args.clients,
        "requests served": len(latencies),
        "requests per second": round(len(latencies) / duration, 1),
        "search statuses": dict(statuses),
        "reasons of the errors": dict(reasons.most_common(5)),
        "uploads": dict(uploads),
        "p50 ms": round(_percentile(all_ms, 50), 1),
        "p99 ms": round(_percentile(all_ms, 99), 1),
        "p50 ms outside the restart minute": round(_percentile(calm_ms, 50), 1),
        "p99 ms outside the restart minute": round(_percentile(calm_ms, 99), 1),
        "store restart": f"{args.restart} of pid {old_pid} at {restart_at:.0f} s",
        "RSS MiB at start": rss_start,
        "RSS MiB warm (after the first minute)": rss_warm,
        "RSS MiB at end": rss_end,
        "load average at end": os.getloadavg(),
    }


def _restart_store(state: Path, how: str) -> int:
    info = json.loads((state / "milvus.db.server.json").read_text())
    pid = int(info["pid"])
    if how == "kill":
        os.kill(pid, signal.SIGKILL)
    else:
        os.kill(pid, signal.SIGTERM)
    return pid  # the next request (or the worker's next write) starts it again


def _drain(base: str, deadline: float = 900.0) -> bool:
    """Wait for the worker to finish every queued job (True) or give up."""
    end = time.monotonic() + deadline
    with httpx.Client(base_url=base, timeout=60) as client:
        while time.monotonic() < end:
            try:
                queue = client.get("/api/ingest/status").json()["queue"]
            except (httpx.HTTPError, KeyError, ValueError):
                time.sleep(1)
                continue
            if queue["queued"] == 0 and queue["running"] == 0:
                return True
            time.sleep(1)
    return False


def _compare(env: dict[str, str], work: Path, seed: Path, state: Path) -> dict[str, object]:
    """The soaked index against a clean ingest of the same files (in this process)."""
    from searchapp.app import App
    from searchapp.config import Settings
    from searchapp.ingest import ingest, scan
    from searchapp.store import TEXT_SPEC

    uploads = state / "uploads"
    fields = ["id", "source", "sha256", "text"]
    soaked = App(Settings(state_dir=state, lite_shared=True, search_consistency="Strong"))
    clean = App(
        Settings(state_dir=work / "clean", lite_shared=False, search_consistency="Strong"),
        embedders=soaked.embedders,
    )
    try:
        roots = [seed, uploads] if uploads.exists() else [seed]
        ingest(clean, scan(roots).files, roots=roots)
        rows = []
        for app in (soaked, clean):
            handle = app.store.existing_collection(TEXT_SPEC)
            found = handle.query("", fields) if handle is not None else []
            rows.append({row["id"]: tuple(row[f] for f in fields[1:]) for row in found})
        ours, theirs = rows
        differing = sum(1 for key in theirs if key in ours and ours[key] != theirs[key])
        return {
            "equal": ours == theirs,
            "rows": len(ours),
            "clean rows": len(theirs),
            "missing": len(theirs.keys() - ours.keys()),
            "extra": len(ours.keys() - theirs.keys()),
            "differing": differing,
        }
    finally:
        soaked.close()
        clean.close()


def _rss_all(state: Path, serve_pid: int, worker_pid: int) -> dict[str, float]:
    try:
        store_pid = int(json.loads((state / "milvus.db.server.json").read_text())["pid"])
    except (OSError, ValueError, KeyError):
        store_pid = 0
    return {"serve": _rss(serve_pid), "worker": _rss(worker_pid), "store": _rss(store_pid)}


def _rss(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


def _write_seed(folder: Path, count: int) -> None:
    folder.mkdir(parents=True)
    for n in range(count):
        words = 400 if n % 5 == 0 else 80
        (folder / f"note{n:04}.md").write_text(f"# Note {n}\n\n{_prose(n, words)}\n")


def _prose(seed: int, words: int) -> str:
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < words:
        out.extend(rng.choice(WORDS) for _ in range(rng.randint(6, 14)))
        out[-1] += "."
    return " ".join(out)


def _cli(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "searchapp.cli", *args], env=env, check=True)


def _spawn(env: dict[str, str], log: object, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "searchapp.cli", *args],
        env=env,
        stdout=log,  # type: ignore[arg-type]
        stderr=subprocess.STDOUT,
    )


def _percentile(ordered: list[float], percent: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(len(ordered) * percent / 100))]


if __name__ == "__main__":
    main()
