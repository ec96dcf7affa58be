"""Ingest as separate processes on one store: killed with SIGKILL at random moments
and resumed, and two shards at once. The store is the shared local store process
(so a killed ingest never holds the .db); CLIP is the tiny random test model."""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from searchapp.app import App
from searchapp.config import Settings
from searchapp.embed import Embedders
from searchapp.ingest import Shard, ingest, scan
from searchapp.ingest.manifest import manifest_path
from searchapp.store.local import LocalStore

pytestmark = [pytest.mark.integration, pytest.mark.model, pytest.mark.slow]


@pytest.fixture
def state_dir(tmp_path: Path) -> Iterator[Path]:
    state = tmp_path / "state"
    yield state
    LocalStore(state / "milvus.db").stop()


def environment(state_dir: Path, prefix: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCHAPP_")}
    env.update(
        SEARCHAPP_STATE_DIR=str(state_dir),
        SEARCHAPP_COLLECTION_PREFIX=prefix,
        SEARCHAPP_TEST_RANDOM_CLIP="1",
        HF_HUB_OFFLINE="1",
        TOKENIZERS_PARALLELISM="false",
        **extra,
    )
    return env


def start(root: Path, env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "searchapp.cli", "ingest", str(root), "--json", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def finish(process: subprocess.Popen[bytes]) -> dict:
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err.decode()[-2000:]
    return json.loads(out)


def opened(state_dir: Path, prefix: str, embedders: Embedders) -> App:
    return App(
        Settings(state_dir=state_dir, collection_prefix=prefix, test_random_clip=True),
        embedders,
    )


def pending(manifest: Path) -> bool:
    """True once the ingest state lists a file being written."""
    if not manifest.exists():
        return False
    try:
        with contextlib.closing(sqlite3.connect(manifest, timeout=1.0)) as db:
            return bool(db.execute("SELECT count(*) FROM files WHERE done = 0").fetchone()[0])
    except sqlite3.Error:  # not created yet, or locked this instant: ask again
        return False


def no_duplicates(app: App, helpers) -> None:
    for space, rows in helpers.store_rows(app).items():
        ids = [row["id"] for row in rows]
        assert len(ids) == len(set(ids)), f"duplicate ids in {space}"


def mutate(root: Path, step: int, helpers) -> None:
    """Work for the next run: one file changed, one added, one deleted."""
    docs = sorted((root / "docs").rglob("doc*.*"))
    docs[step % len(docs)].write_text(f"# Changed {step}\n\n{helpers.prose(500 + step, 300)}\n")
    (root / "docs" / f"added{step}.md").write_text(helpers.prose(700 + step, 400))
    if step % 3 == 0:
        helpers.picture(root / "photos" / f"added{step}.png", seed=900 + step)
    victims = sorted((root / "docs").glob("added*.md"))
    if step % 2 and len(victims) > 1:
        victims[0].unlink()


def test_sigkill_at_random_moments_then_resume_equals_a_clean_run(
    tmp_path: Path, state_dir: Path, helpers, embedders: Embedders
) -> None:
    root = tmp_path / "tree"
    helpers.mixed_tree(root, documents=14, images=6)
    rounds = {"SEARCHAPP_INGEST_CHECKPOINT_FILES": "3"}  # many checkpoints to land between
    env = environment(state_dir, "crashy", **rounds)
    manifest = manifest_path(Settings(state_dir=state_dir, collection_prefix="crashy"))
    rng = random.Random(20261205)
    kills = attempts = 0
    while kills < 10:
        attempts += 1
        assert attempts <= 20, "the runs kept finishing before the kill"
        process = start(root, env)
        # Models take seconds to load: the moment to aim at is once files are
        # pending (the run is writing), then anywhere in the next few seconds.
        while process.poll() is None and not pending(manifest):
            time.sleep(0.05)
        time.sleep(rng.uniform(0.0, 4.0))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.communicate(timeout=600)
        mutate(root, attempts, helpers)
    resumed = finish(start(root, env))
    assert resumed["failed"] == 0

    finish(start(root, environment(state_dir, "clean", **rounds)))
    crashy = opened(state_dir, "crashy", embedders)
    clean = opened(state_dir, "clean", embedders)
    try:
        assert helpers.ids_by_space(crashy) == helpers.ids_by_space(clean)
        assert all(helpers.ids_by_space(clean).values())  # every space has rows
        no_duplicates(crashy, helpers)
        assert helpers.check_manifest_matches_store(crashy) == len(scan([root]).files) - 1
    finally:
        crashy.close()
        clean.close()


def test_two_shards_at_once_write_exactly_the_rows_of_one_process(
    tmp_path: Path, state_dir: Path, helpers, embedders: Embedders
) -> None:
    root = tmp_path / "tree"
    helpers.mixed_tree(root, documents=10, images=4)
    shards = [start(root, environment(state_dir, "sharded"), "--shard", f"{i}/2") for i in (0, 1)]
    try:
        summaries = [finish(process) for process in shards]
    finally:
        for process in shards:
            if process.poll() is None:
                process.kill()
                process.communicate()
    assert all(s["ingested"] > 0 for s in summaries)  # each did a real share
    assert sum(s["files_seen"] for s in summaries) == len(scan([root]).files) - 1  # - sidecar
    finish(start(root, environment(state_dir, "single")))

    sharded = opened(state_dir, "sharded", embedders)
    single = opened(state_dir, "single", embedders)
    try:
        assert helpers.ids_by_space(sharded) == helpers.ids_by_space(single)
        no_duplicates(sharded, helpers)

        # A shard deletes the rows of missing files in its own share only.
        found = scan([root])
        documents = [f.path for f in found.files if f.path.suffix in (".md", ".txt")]
        zero = Shard(0, 2)
        mine = next(p for p in documents if zero.owns(p, found.roots))
        theirs = next(p for p in documents if not zero.owns(p, found.roots))
        mine.unlink()
        theirs.unlink()
        found = scan([root])
        ingest(sharded, found.share(zero).files, roots=found.roots, shard=zero)
        left = {row["source"] for row in helpers.store_rows(sharded)["text"]}
        assert str(mine) not in left and str(theirs) in left
        one = Shard(1, 2)
        ingest(sharded, found.share(one).files, roots=found.roots, shard=one)
        left = {row["source"] for row in helpers.store_rows(sharded)["text"]}
        assert str(theirs) not in left
        helpers.check_manifest_matches_store(sharded)
    finally:
        sharded.close()
        single.close()
