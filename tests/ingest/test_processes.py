"""Ingest as separate processes on one store: two shards at once. The store is the
shared local store process; CLIP is the tiny random test model. (Killed runs:
test_crash.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from searchapp.app import App
from searchapp.config import Settings
from searchapp.embed import Embedders
from searchapp.ingest import Shard, ingest, scan

pytestmark = [pytest.mark.integration, pytest.mark.model, pytest.mark.slow]


def opened(state_dir: Path, prefix: str, embedders: Embedders) -> App:
    return App(
        Settings(state_dir=state_dir, collection_prefix=prefix, test_random_clip=True),
        embedders,
    )


def no_duplicates(app: App, helpers) -> None:
    for space, rows in helpers.store_rows(app).items():
        ids = [row["id"] for row in rows]
        assert len(ids) == len(set(ids)), f"duplicate ids in {space}"


def test_two_shards_at_once_write_exactly_the_rows_of_one_process(
    tmp_path: Path, state_dir: Path, helpers, embedders: Embedders
) -> None:
    root = tmp_path / "tree"
    helpers.mixed_tree(root, documents=10, images=4)
    shards = [
        helpers.start_ingest(root, helpers.environment(state_dir, "sharded"), "--shard", f"{i}/2")
        for i in (0, 1)
    ]
    try:
        summaries = [helpers.finish(process) for process in shards]
    finally:
        for process in shards:
            if process.poll() is None:
                process.kill()
                process.communicate()
    assert all(s["ingested"] > 0 for s in summaries)  # each did a real share
    assert sum(s["files_seen"] for s in summaries) == len(scan([root]).files) - 1  # - sidecar
    helpers.finish(helpers.start_ingest(root, helpers.environment(state_dir, "single")))

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
