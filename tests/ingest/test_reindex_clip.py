"""`searchapp reindex` for the CLIP spaces: both rebuilt behind their aliases while
searches go on, switched text space first and image space last.

No second real CLIP model exists here. The "new" model is the tiny test
architecture with other weights (seed 1) saved to a checkpoint file
(``other_clip_checkpoint``): it loads through the checkpoint path real weights
take, its identity carries the file's sha256, and its vectors really differ,
so the tests can tell which model made each vector and each search's query.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from searchapp.app import App
from searchapp.config import Settings
from searchapp.doctor import Status, run_checks
from searchapp.embed import Embedders
from searchapp.embed.clip import TINY_TEST_MODEL
from searchapp.errors import SearchappError
from searchapp.extract.images import ImageLoader
from searchapp.ingest import ingest, scan
from searchapp.ingest.reindex import ReindexRequest, plan_reindex, run_reindex
from searchapp.search import Mode, SearchRequest
from searchapp.store import CLIP_IMAGE_SPEC, CLIP_TEXT_SPEC, TEXT_SPEC

pytestmark = [pytest.mark.integration, pytest.mark.model]

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "images"
QUERY = "a cat looking at the camera"


def write_corpus(root: Path) -> Path:
    """The ten sample photos with their caption sidecars, and two documents."""
    (root / "images").mkdir(parents=True)
    for path in SAMPLES.iterdir():
        (root / "images" / path.name).write_bytes(path.read_bytes())
    (root / "cats.md").write_text("# Cats\n\nCats sleep for most of the day, then hunt at dusk.")
    (root / "space.txt").write_text("Rockets carry satellites into orbit around the Earth.")
    return root


def model_id(checkpoint: Path) -> str:
    return (
        f"open_clip:{TINY_TEST_MODEL}:sha256={hashlib.sha256(checkpoint.read_bytes()).hexdigest()}"
    )


def stored_vectors(app: App, spec, key: str = "id") -> dict[str, np.ndarray]:
    rows = app.store.existing_collection(spec).query("", [key, "vector"])
    return {row[key]: np.asarray(row["vector"], dtype=np.float32) for row in rows}


def best_image(images: dict[str, np.ndarray], query: np.ndarray) -> str:
    return Path(max(images, key=lambda source: float(images[source] @ query))).name


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_reindex_clip_spaces_while_text_to_image_searches_run(
    backend_env: Settings,
    embedders: Embedders,
    reference_clip,
    other_clip_checkpoint,
    while_searching,
    tmp_path: Path,
) -> None:
    settings = backend_env
    prefix = settings.collection_prefix
    corpus = write_corpus(tmp_path / "corpus")
    writer = App(settings, embedders=embedders)  # the configured CLIP: random test weights
    ingest(writer, scan([corpus]).files)
    old_images = stored_vectors(writer, CLIP_IMAGE_SPEC, key="source")
    writer.close()
    checkpoint = other_clip_checkpoint.path
    new_model = model_id(checkpoint)

    searcher = App(settings, embedders=embedders)
    done, outcomes = while_searching(
        lambda: searcher.search.search(SearchRequest(mode=Mode.TEXT_TO_IMAGE, text=QUERY, k=3)),
        [
            "reindex",
            "--clip-model",
            TINY_TEST_MODEL,
            "--clip-checkpoint",
            str(checkpoint),
            "--grace",
            "1",
            "--json",
        ],
        after=0.3,  # a few searches after the switch, on the new model
    )
    searcher.close()

    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    # Both CLIP spaces, the text space first: the order their aliases switched in.
    assert [
        (s["space"], s["old_collection"], s["new_collection"], s["method"], s["new_model"])
        for s in report["spaces"]
    ] == [
        ("clip_text", f"{prefix}_clip_text_v1", f"{prefix}_clip_text_v2", "re-embedded", new_model),
        (
            "clip_image",
            f"{prefix}_clip_image_v1",
            f"{prefix}_clip_image_v2",
            "re-embedded",
            new_model,
        ),
    ]
    assert all(s["rows_after"] == s["rows_before"] > 0 for s in report["spaces"])
    assert report["spaces"][1]["rows_after"] == 10
    assert report["ingest"]["rows_written"].get("text", 0) == 0  # MiniLM's space untouched
    assert report["settings"] == [
        f"SEARCHAPP_CLIP_MODEL={TINY_TEST_MODEL} SEARCHAPP_CLIP_CHECKPOINT={checkpoint}"
    ]

    # Every search during the re-index succeeded, with the old model until the image
    # alias switched and with the new one from then on, never back.
    errors = [o for o in outcomes if o[0] != "ok"]
    assert not errors, errors[:3]
    before = [o for o in outcomes if o[3] is None]
    after = [o for o in outcomes if o[3] is not None and new_model in o[3]]
    assert before and after, (len(before), len(after))
    assert outcomes == before + after
    check = App(settings, embedders=embedders)
    new_images = stored_vectors(check, CLIP_IMAGE_SPEC, key="source")
    expected_before = best_image(old_images, reference_clip.encode_text(QUERY))
    expected_after = best_image(new_images, other_clip_checkpoint.reference.encode_text(QUERY))
    assert {(hits, top) for _, hits, top, _ in before} == {(3, expected_before)}
    assert {(hits, top) for _, hits, top, _ in after} == {(3, expected_after)}

    # Both aliases mean the new collections, which record the new model and its file.
    for spec in (CLIP_TEXT_SPEC, CLIP_IMAGE_SPEC):
        current = check.store.existing_collection(spec)
        assert current.physical_name == f"{prefix}_{spec.space}_v2"
        assert current.identity.model_id == new_model
        assert current.identity.load_from == str(checkpoint)
        assert check.store.versions(spec) == [current.physical_name]  # v1 dropped
    assert check.store.existing_collection(TEXT_SPEC).physical_name == f"{prefix}_text_v1"
    # Every picture was re-embedded with the new weights (open_clip's own encoding).
    loader = ImageLoader(settings.image_max_pixels)
    for source, vector in new_images.items():
        picture = loader.load(Path(source).read_bytes()).image
        assert cosine(vector, other_clip_checkpoint.reference.encode_image(picture)) >= 0.9999
    check.close()


def test_between_the_two_switches_every_direction_works(
    app: App, embedders: Embedders, other_clip_checkpoint, tmp_path: Path
) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    ingest(app, scan([corpus]).files)
    cat = (corpus / "images" / "chelsea-the-cat.png").read_bytes()
    checkpoint = other_clip_checkpoint.path
    new_model = model_id(checkpoint)
    request = ReindexRequest(
        clip_model=TINY_TEST_MODEL, clip_checkpoint=checkpoint, keep_old=True, grace_seconds=0
    )
    plan = plan_reindex(app, request)
    assert [space.spec for space in plan.spaces] == [CLIP_TEXT_SPEC, CLIP_IMAGE_SPEC]
    assert plan.spaces[0].model is plan.spaces[1].model  # one CLIP model for both
    report = run_reindex(app, plan)
    item_id = app.search.search(SearchRequest(mode=Mode.IMAGE, image=cat, k=1)).hits[0].id
    switched = app.search.search(SearchRequest(mode=Mode.IMAGE_TO_TEXT, item_id=item_id, k=5))

    # The state between the two switches: the text space on the new model, the
    # image space still on the old one.
    app.store.switch_alias(CLIP_IMAGE_SPEC, report.spaces[1].old_collection)
    words = app.search.search(SearchRequest(mode=Mode.TEXT_TO_IMAGE, text=QUERY, k=3))
    assert len(words.hits) == 3 and words.notice is None  # the old (configured) model
    alike = app.search.search(SearchRequest(mode=Mode.IMAGE, image=cat, k=3))
    assert alike.hits[0].source.endswith("chelsea-the-cat.png") and alike.hits[0].score > 0.999
    described = app.search.search(SearchRequest(mode=Mode.IMAGE_TO_TEXT, image=cat, k=5))
    assert described.hits and new_model in (described.notice or "")
    # "More like this" into the text space takes the image's vector made by the text
    # space's model, from the image space's new version: the same hits as after.
    between = app.search.search(SearchRequest(mode=Mode.IMAGE_TO_TEXT, item_id=item_id, k=5))
    assert [h.id for h in between.hits] == [h.id for h in switched.hits]
    assert [h.score for h in between.hits] == pytest.approx([h.score for h in switched.hits])

    # doctor explains the state; a re-run without a model cannot choose one.
    checks = {check.name: check for check in run_checks(app.settings, embedders)}
    assert checks["CLIP spaces"].status is Status.WARN
    assert "stopped between its two switches" in checks["CLIP spaces"].detail
    with pytest.raises(SearchappError, match="record different models"):
        plan_reindex(app, ReindexRequest(spaces=("clip",), re_embed=True))
    # Naming the model finishes it: only the space still on the old model is rebuilt.
    plan = plan_reindex(app, ReindexRequest(clip_model=TINY_TEST_MODEL, clip_checkpoint=checkpoint))
    assert [(space.spec, space.method) for space in plan.spaces] == [
        (CLIP_IMAGE_SPEC, "re-embedded")
    ]
    run_reindex(app, plan)
    for spec in (CLIP_TEXT_SPEC, CLIP_IMAGE_SPEC):
        assert app.store.existing_collection(spec).identity.model_id == new_model


def test_index_only_change_of_the_clip_spaces_copies_them(app: App, tmp_path: Path) -> None:
    ingest(app, scan([write_corpus(tmp_path / "corpus")]).files)
    before = {spec: stored_vectors(app, spec) for spec in (CLIP_TEXT_SPEC, CLIP_IMAGE_SPEC)}
    text_before = app.store.existing_collection(TEXT_SPEC).physical_name

    plan = plan_reindex(app, ReindexRequest(spaces=("clip",), hnsw_m=8, grace_seconds=0))
    assert [(s.spec, s.method) for s in plan.spaces] == [
        (CLIP_TEXT_SPEC, "copied"),
        (CLIP_IMAGE_SPEC, "copied"),
    ]
    assert plan.files == []  # nothing is read or embedded
    run_reindex(app, plan)
    for spec, vectors in before.items():
        current = app.store.existing_collection(spec)
        assert (current.physical_name, current.index.m) == (f"searchapp_{spec.space}_v2", 8)
        after = stored_vectors(app, spec)
        assert after.keys() == vectors.keys()
        assert all(np.allclose(after[s], vectors[s], atol=1e-6) for s in vectors)
    assert app.store.existing_collection(TEXT_SPEC).physical_name == text_before


def test_text_reindex_keeps_captions_without_clip(
    app: App, embedders: Embedders, tmp_path: Path
) -> None:
    ingest(app, scan([write_corpus(tmp_path / "corpus")]).files)
    rows_before = app.store.existing_collection(TEXT_SPEC).count()
    # A process whose CLIP weights cannot load: a text re-index needs captions only.
    no_clip = app.settings.model_copy(update={"clip_checkpoint": tmp_path / "missing.pt"})
    blind = App(no_clip)
    plan = plan_reindex(blind, ReindexRequest(spaces=("text",), re_embed=True, grace_seconds=0))
    report = run_reindex(blind, plan)
    blind.close()
    [space] = report.spaces
    assert space.rows_after == space.rows_before == rows_before == 12  # 10 captions, 2 docs
    assert report.ingest is not None and not report.ingest.notices
    hits = app.search.search_text("tabby cat with green eyes", k=1).hits
    assert hits[0].source.endswith("chelsea-the-cat.png") and hits[0].image is not None
