"""The explore library on a constructed library with planted duplicates, topics and an
outlier (tests/explore/library.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from searchapp.app import App
from searchapp.explore import ExploreService
from searchapp.explore import service as service_module
from searchapp.explore.items import fingerprint, read_items, space_spec
from searchapp.explore.neighbours import nearest, nearest_local
from searchapp.ingest import ingest, scan
from tests.explore.library import TOPICS

pytestmark = [pytest.mark.integration, pytest.mark.model]


def _names(members: list[dict]) -> set[str]:
    return {Path(m["source"]).name for m in members}


@pytest.fixture
def explore(explore_app: App, tmp_path: Path) -> ExploreService:
    """A service with its own (empty) cache folder, so each test computes."""
    settings = explore_app.settings.model_copy(update={"state_dir": tmp_path})
    return ExploreService(settings, explore_app.store)


def test_text_duplicates_are_the_planted_pairs(explore: ExploreService) -> None:
    report = explore.duplicates("text")
    groups = {frozenset(_names(g["members"])): g for g in report["groups"]}
    assert set(groups) == {
        frozenset({"chess-1.txt", "chess-1-edited.txt"}),
        frozenset({"sourdough-2.txt", "sourdough-2-backup.txt"}),
    }
    exact = groups[frozenset({"sourdough-2.txt", "sourdough-2-backup.txt"})]
    assert exact["exact"] and all(m["exact"] for m in exact["members"])
    edited = groups[frozenset({"chess-1.txt", "chess-1-edited.txt"})]
    assert not edited["exact"] and report["threshold"] <= edited["similarity"] < 1.0


def test_a_reencoded_resized_image_is_a_duplicate(explore: ExploreService) -> None:
    report = explore.duplicates("image")
    assert [_names(g["members"]) for g in report["groups"]] == [
        {"astronaut.png", "astronaut-small.jpg"}
    ]
    assert not report["groups"][0]["exact"]


def test_a_lower_threshold_groups_more(explore: ExploreService) -> None:
    # The random test CLIP puts unrelated images close together: 0.9 joins them.
    loose = explore.duplicates("image", threshold=0.9)
    assert max(len(g["members"]) for g in loose["groups"]) > 2


def test_planted_topics_come_out_as_three_labelled_clusters(explore: ExploreService) -> None:
    report = explore.clusters("text")
    titles = {e["id"]: e["title"] for c in report["clusters"] for e in c["examples"]}
    assert titles  # examples name their items
    found = explore.map("text")
    by_topic: dict[str, set[int]] = {topic: set() for topic in TOPICS}
    for point in found["points"]:
        topic = point["title"].split()[0].lower()
        if topic in by_topic:
            by_topic[topic].add(point["cluster"])
    clusters = {topic: next(iter(c)) for topic, c in by_topic.items() if len(c) == 1}
    assert len(clusters) == 3 and len(set(clusters.values())) == 3, by_topic
    labels = {c["cluster"]: set(c["words"]) for c in report["clusters"]}
    expected = {
        "beekeeping": {"bees", "beekeeping", "honey", "hive", "queen"},
        "chess": {"chess", "king", "pawns", "pawn", "rook", "queen"},
        "sourdough": {"sourdough", "flour", "starter", "dough", "loaf", "bread"},
    }
    for topic, cluster in clusters.items():
        assert labels[cluster] & expected[topic], (topic, labels[cluster])


def test_the_off_topic_document_is_the_top_outlier(explore: ExploreService) -> None:
    report = explore.outliers("text", k=5)
    assert report["items"][0]["title"] == "Company tax deadlines"
    assert report["items"][0]["score"] > report["items"][1]["score"]


def test_the_map_has_one_point_per_item_and_is_stable(
    explore: ExploreService, explore_app: App, tmp_path: Path
) -> None:
    first = explore.map("text")
    assert first["method"] == "pca"
    assert len(first["points"]) == first["item_count"] == 15
    assert len({p["id"] for p in first["points"]}) == 15
    again = ExploreService(
        explore_app.settings.model_copy(update={"state_dir": tmp_path / "other"}),
        explore_app.store,
    ).map("text")
    assert again["points"] == first["points"]


def test_a_sample_cap_bounds_what_is_drawn(explore_app: App, tmp_path: Path) -> None:
    settings = explore_app.settings.model_copy(update={"state_dir": tmp_path, "explore_sample": 6})
    capped = ExploreService(settings, explore_app.store)
    report = capped.map("text")
    assert len(report["points"]) == report["sampled"] == 6
    assert sum(c["size"] for c in report["clusters"]) == report["item_count"] == 15


@pytest.mark.parametrize("space", ["text", "image"])
def test_milvus_and_the_local_index_find_the_same_neighbours(explore_app: App, space: str) -> None:
    """On Lite the local faiss index answers by default; Milvus's batched searches
    (a server's default) must give the same neighbours."""
    collection = explore_app.store.existing_collection(space_spec(space))
    items = read_items(collection, space)
    local = nearest_local(items, 3)
    milvus = nearest(collection, items, 3, ef=64)
    assert np.allclose(local.similarity, milvus.similarity, atol=1e-4)
    # The same items, up to ties between identical copies (same bytes, same vector).
    for mine, theirs in zip(local.index.tolist(), milvus.index.tolist(), strict=True):
        assert sorted(items.sha256[i] for i in mine) == sorted(items.sha256[i] for i in theirs)


def test_unknown_space_is_a_clear_error(explore: ExploreService) -> None:
    from searchapp.errors import InvalidQueryError

    with pytest.raises(InvalidQueryError, match="unknown space 'audio'"):
        explore.duplicates("audio")


def test_results_are_cached_until_the_collection_changes(
    explore: ExploreService, explore_app: App, library: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Runs last: it adds a document to the shared library."""
    first = explore.outliers("text")
    reads = []
    real_read = service_module.read_items
    monkeypatch.setattr(
        service_module, "read_items", lambda *a, **k: reads.append(1) or real_read(*a, **k)
    )
    # A new service (as each request and command makes) finds the result cached on disk.
    explore = ExploreService(explore.settings, explore_app.store)
    assert explore.outliers("text") == first and reads == []
    collection = explore_app.store.existing_collection(space_spec("text"))
    before = fingerprint(collection)
    (library / "docs" / "late.txt").write_text("Late note\n\nA note about kites and wind.\n")
    ingest(explore_app, scan([library]).files)
    assert fingerprint(collection) != before
    changed = ExploreService(explore.settings, explore_app.store).outliers("text")
    assert reads == [1] and changed["items"] != first["items"]
    assert len(changed["items"]) == len(first["items"]) + 1
