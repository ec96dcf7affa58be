"""Trees and store read-backs shared by the incremental, crash and shard tests."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from searchapp.app import App
from searchapp.ingest.manifest import Manifest, Status
from searchapp.store.collection import VectorCollection
from searchapp.store.schema import ALL_SPECS
from tests.environment import searchapp_environment
from tests.warm_cli import WarmRun

WORDS = [
    "harbour",
    "ferry",
    "tomato",
    "basil",
    "bread",
    "dough",
    "kneading",
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
]


def environment(state_dir: Path, prefix: str, **extra: str) -> dict[str, str]:
    """The environment of a `searchapp` process on ``state_dir``'s store (the tiny
    random CLIP), without the developer's own SEARCHAPP_* variables."""
    return searchapp_environment(state_dir, SEARCHAPP_COLLECTION_PREFIX=prefix, **extra)


def start_ingest(root: Path, env: dict[str, str], *args: str) -> WarmRun:
    """`searchapp ingest ROOT --json` as a process (stdout: the summary, stderr: the log),
    forked from a process that has imported torch and open_clip already
    (tests/warm_cli.py)."""
    return WarmRun(["ingest", str(root), "--json", *args], env)


def finish(process: WarmRun) -> dict:
    """The summary of a run that must succeed. No clock of its own: the test's
    time limit (pytest-timeout) stops a run that hangs, and the run is killed then."""
    try:
        out, err = process.communicate()
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err.decode()[-2000:]
    return json.loads(out)


def prose(seed: int, words: int) -> str:
    rng = random.Random(seed)
    sentences = []
    while sum(len(s.split()) for s in sentences) < words:
        sentences.append(" ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14))) + ".")
    return " ".join(sentences)


def picture(path: Path, seed: int, size: int = 48) -> None:
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 255, (size, size, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)


def mixed_tree(root: Path, *, documents: int = 6, images: int = 3, long_every: int = 3) -> None:
    """Markdown and text documents (some several chunks long), a records file,
    and images, one with a caption sidecar."""
    (root / "docs" / "deep").mkdir(parents=True)
    (root / "photos").mkdir()
    for n in range(documents):
        folder = root / "docs" / ("deep" if n % 2 else "")
        words = 700 if n % long_every == 0 else 60
        suffix = ".md" if n % 2 == 0 else ".txt"
        (folder / f"doc{n}{suffix}").write_text(f"# Note {n}\n\n{prose(n, words)}\n")
    (root / "docs" / "records.jsonl").write_text(
        "".join(
            f'{{"_id": "r{n}", "title": "Record {n}", "text": "{prose(100 + n, 40)}"}}\n'
            for n in range(5)
        )
    )
    for n in range(images):
        picture(root / "photos" / f"img{n}.png", seed=n)
    (root / "photos" / "img0.caption").write_text("a square of coloured noise")


def store_rows(app: App, fields: tuple[str, ...] = ("id", "source")) -> dict[str, list[dict]]:
    """space -> every row (the given fields) of that space's current collection."""
    rows: dict[str, list[dict]] = {}
    for spec in ALL_SPECS:
        handle = app.store.existing_collection(spec)
        rows[spec.space] = handle.query("", list(fields)) if handle is not None else []
    return rows


def ids_by_space(app: App) -> dict[str, list[str]]:
    return {space: sorted(r["id"] for r in rows) for space, rows in store_rows(app).items()}


def check_manifest_matches_store(app: App) -> int:
    """No manifest entry is pending, and each records exactly the rows the store holds
    for its source (a skipped or failed one: none); every stored row belongs to a
    recorded source. Returns the number of done entries (files in the store)."""
    manifest = Manifest.open(app.settings)
    try:
        stored: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        for space, rows in store_rows(app).items():
            for row in rows:
                stored[row["source"]][space].add(row["id"])
        sources = [r[0] for r in manifest._db.execute("SELECT source FROM files")]
        entries = manifest.entries(sources)
        assert all(e.status is not Status.PENDING for e in entries.values()), "pending entries left"
        for source in sources:
            recorded = {s: set(ids) for s, ids in manifest.row_ids(source).items()}
            assert recorded == {s: ids for s, ids in stored.get(source, {}).items() if ids}
        assert set(stored) <= set(sources), "rows of sources the manifest does not know"
        return sum(entry.done for entry in entries.values())
    finally:
        manifest.close()


class Counter:
    """Counts model inputs and store writes through seams on the loaded models."""

    def __init__(self) -> None:
        self.inputs: dict[str, int] = defaultdict(int)
        self.upserts = 0

    def wrap(self, name: str, embed: Callable[[Any], np.ndarray]) -> Callable[[Any], np.ndarray]:
        def counted(items: Any) -> np.ndarray:
            self.inputs[name] += len(items)
            return embed(items)

        return counted

    @property
    def model_inputs(self) -> int:
        return sum(self.inputs.values())


def count_calls(app: App, monkeypatch: pytest.MonkeyPatch) -> Counter:
    counter = Counter()
    text = app.embedders.text()
    clip = app.embedders.clip()
    monkeypatch.setattr(text, "embed", counter.wrap("text", text.embed))
    monkeypatch.setattr(clip.text, "embed", counter.wrap("clip_text", clip.text.embed))
    monkeypatch.setattr(clip.image, "embed", counter.wrap("clip_image", clip.image.embed))
    upsert = VectorCollection.upsert

    def counted_upsert(self: VectorCollection, rows: Any) -> None:
        if rows:
            counter.upserts += 1
        upsert(self, rows)

    monkeypatch.setattr(VectorCollection, "upsert", counted_upsert)
    return counter
