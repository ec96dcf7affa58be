"""The CLIP embedders against open_clip's own outputs; weights never silently random."""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from searchapp.chunking import chunk_text
from searchapp.config import Settings
from searchapp.embed import Embedders, ModelIdentity
from searchapp.embed.clip import TINY_TEST_MODEL, Clip, ClipSource
from searchapp.errors import ModelUnavailableError

REPO = Path(__file__).resolve().parents[2]
COCO = REPO.parent / "shared" / "data" / "coco_mini"
SAMPLES = REPO / "data" / "images"


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


@pytest.fixture(scope="module")
def clip(embedders: Embedders) -> Clip:
    return embedders.clip()


def test_random_test_model_says_so(clip: Clip) -> None:
    assert clip.identity.model_id == (f"open_clip:{TINY_TEST_MODEL}:random-weights-seed0-test-only")
    assert (clip.identity.dim, clip.identity.metric, clip.identity.normalized) == (
        512,
        "COSINE",
        True,
    )
    assert clip.image.identity == clip.text.identity


def test_image_vectors_equal_open_clip_encode_image(clip: Clip, reference_clip) -> None:
    photos = sorted(SAMPLES.glob("*.png"))[:4] + sorted(SAMPLES.glob("*.jpg"))
    pictures = [Image.open(p).convert("RGB") for p in photos]
    ours = clip.image.embed([clip.preprocess(p) for p in pictures])
    for picture, vector in zip(pictures, ours, strict=True):
        assert cosine(vector, reference_clip.encode_image(picture)) >= 0.9999
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_text_vectors_equal_open_clip_encode_text(clip: Clip, reference_clip) -> None:
    texts = ["a cat", "Astronaut in an orange suit", "espresso " * 100]  # the last is cut at 77
    for text, vector in zip(texts, clip.text.embed(texts), strict=True):
        assert cosine(vector, reference_clip.encode_text(text)) >= 0.9999


@pytest.mark.parametrize(
    "text",
    [
        "Mars looks red because its surface is covered in fine dust. " * 25,
        "naïve café résumé, don't stop-believing: 1234567 & <tags> " * 20,
        "x" * 600 + " short words after a very long one " * 10,
    ],
)
def test_windows_fit_the_clip_context(clip: Clip, reference_clip, text: str) -> None:
    windows = chunk_text(text, clip.text.tokenizer, clip.text.max_tokens, 0)
    assert len(windows) > 1
    for window in windows:
        assert window.text == text[window.start : window.end]
        tokens = reference_clip.tokenizer([window.text])[0]
        assert int((tokens != 0).sum()) - 2 <= clip.text.max_tokens == 75
        assert clip.text.tokenizer.count(window.text) == int((tokens != 0).sum()) - 2
    # Consecutive, non-overlapping, and nothing but whitespace left out.
    for before, after in itertools.pairwise(windows):
        assert before.end <= after.start and not text[before.end : after.start].strip()


def _save_reference_weights(reference_clip, path: Path) -> None:
    if path.suffix == ".safetensors":
        from safetensors.torch import save_file

        state = {k: v.contiguous() for k, v in reference_clip.model.state_dict().items()}
        save_file(state, str(path))
    else:
        import torch

        torch.save(reference_clip.model.state_dict(), path)


def test_checkpoint_file_records_its_sha256(tmp_path: Path, reference_clip) -> None:
    checkpoint = tmp_path / "tiny.pt"
    _save_reference_weights(reference_clip, checkpoint)
    settings = Settings(clip_model=TINY_TEST_MODEL, clip_checkpoint=checkpoint)
    clip = Embedders(settings).clip()
    digest = hashlib.sha256(checkpoint.read_bytes()).hexdigest()
    assert clip.identity.model_id == f"open_clip:{TINY_TEST_MODEL}:sha256={digest}"
    assert "random" not in clip.identity.model_id
    picture = Image.open(SAMPLES / "coffee.png").convert("RGB")
    vector = clip.image.embed([clip.preprocess(picture)])[0]
    assert cosine(vector, reference_clip.encode_image(picture)) >= 0.9999


def test_model_folder_uses_its_own_config(tmp_path: Path, reference_clip) -> None:
    folder = tmp_path / "clip-model"
    folder.mkdir()
    config = json.loads((REPO / "searchapp" / "embed" / f"{TINY_TEST_MODEL}.json").read_text())
    (folder / "open_clip_config.json").write_text(json.dumps({"model_cfg": config}))
    _save_reference_weights(reference_clip, folder / "open_clip_model.safetensors")
    # A folder's architecture comes from its config, whatever SEARCHAPP_CLIP_MODEL says.
    clip = Embedders(Settings(clip_model="ViT-B-32", clip_checkpoint=folder)).clip()
    digest = hashlib.sha256((folder / "open_clip_model.safetensors").read_bytes()).hexdigest()
    assert clip.identity.model_id == f"open_clip:local-dir:sha256={digest}"
    assert cosine(clip.text.embed(["a cat"])[0], reference_clip.encode_text("a cat")) >= 0.9999


def test_folder_without_weights_is_refused_not_random(tmp_path: Path) -> None:
    folder = tmp_path / "empty-model"
    folder.mkdir()
    (folder / "open_clip_config.json").write_text("{}")
    with pytest.raises(ModelUnavailableError, match="holds no CLIP weights"):
        Embedders(Settings(clip_checkpoint=folder)).clip()


@pytest.mark.parametrize("content", [b"", b"not a checkpoint at all", b"PK\x03\x04broken zip"])
def test_broken_checkpoint_is_refused(tmp_path: Path, content: bytes) -> None:
    checkpoint = tmp_path / "broken.bin"
    checkpoint.write_bytes(content)
    with pytest.raises(ModelUnavailableError) as caught:
        Embedders(Settings(clip_model=TINY_TEST_MODEL, clip_checkpoint=checkpoint)).clip()
    message = str(caught.value)
    assert str(checkpoint) in message and "SEARCHAPP_CLIP_CHECKPOINT" in message
    assert "\n" not in message


def test_missing_checkpoint_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailableError, match="does not exist"):
        ClipSource.from_settings(Settings(clip_checkpoint=tmp_path / "nowhere.pt"))


def test_unknown_tag_is_refused_and_remembered() -> None:
    embedders = Embedders(Settings(clip_pretrained="no-such-tag"))
    with pytest.raises(ModelUnavailableError) as first:
        embedders.clip()
    assert "no-such-tag" in str(first.value) and "SEARCHAPP_CLIP_CHECKPOINT" in str(first.value)
    with pytest.raises(ModelUnavailableError) as second:  # said again, not retried
        embedders.clip()
    assert str(second.value) == str(first.value)


def test_default_weights_offline_are_refused() -> None:
    """The situation on this machine: no hub access, nothing cached."""
    try:
        clip = Embedders(Settings()).clip()
    except ModelUnavailableError as exc:
        assert "laion2b_s34b_b79k" in str(exc)
        assert "text ingest and text search work without" in str(exc)
    else:  # pragma: no cover - only where the real weights are cached
        assert clip.identity.model_id == "open_clip:ViT-B-32:laion2b_s34b_b79k"


@pytest.mark.skipif(not COCO.exists(), reason="needs ../shared/data/coco_mini")
def test_batches_give_the_same_vectors_as_single_images(clip: Clip) -> None:
    photos = sorted((COCO / "val2017").glob("*.jpg"))[:5]
    pixels = [clip.preprocess(Image.open(p).convert("RGB")) for p in photos]
    together = clip.image.embed(pixels)
    alone = np.concatenate([clip.image.embed([p]) for p in pixels])
    assert np.allclose(together, alone, atol=1e-5)


def test_a_recorded_checkpoint_is_loaded_by_another_process(tmp_path: Path, other_clip_checkpoint):
    """A collection records the checkpoint's path; a process configured otherwise loads it."""
    checkpoint = other_clip_checkpoint.path
    built = Embedders(Settings(clip_model=TINY_TEST_MODEL, clip_checkpoint=checkpoint)).clip()
    assert built.identity.load_from == str(checkpoint)
    elsewhere = Embedders(Settings(test_random_clip=True))  # configured with other weights
    recorded = ModelIdentity(built.identity.model_id, 512, load_from=str(checkpoint))
    clip = elsewhere.recorded_clip(recorded)
    assert clip.identity == built.identity and clip is not elsewhere.clip()
    assert elsewhere.recorded_clip(recorded) is clip  # loaded once
    expected = other_clip_checkpoint.reference.encode_text("a cat")
    assert cosine(clip.text.embed(["a cat"])[0], expected) >= 0.9999
    # The configured model is used as is when it is the one recorded.
    assert elsewhere.recorded_clip(elsewhere.clip().identity) is elsewhere.clip()


def test_recorded_weights_that_cannot_be_had_are_refused(tmp_path: Path, other_clip_checkpoint):
    checkpoint = tmp_path / "weights.safetensors"
    checkpoint.write_bytes(other_clip_checkpoint.path.read_bytes())
    digest = hashlib.sha256(checkpoint.read_bytes()).hexdigest()
    identity = ModelIdentity(f"open_clip:{TINY_TEST_MODEL}:sha256={digest}", 512)
    assert ClipSource.recorded(replace(identity, load_from=str(checkpoint))).model_id == (
        identity.model_id
    )
    refusals = [
        (identity, "does not record where its checkpoint is"),
        (
            ModelIdentity(f"open_clip:{TINY_TEST_MODEL}:random-weights-seed0-test-only", 512),
            "random test weights",
        ),
        (ModelIdentity("sentence-transformers/all-MiniLM-L6-v2", 384), "does not name open_clip"),
    ]
    for recorded, message in refusals:
        with pytest.raises(ModelUnavailableError, match=message):
            ClipSource.recorded(recorded)
    # The file changed since the collection was built: its sha256 no longer matches.
    checkpoint.write_bytes(checkpoint.read_bytes() + b"\0")
    embedders = Embedders(Settings(test_random_clip=True))
    with pytest.raises(ModelUnavailableError, match="no longer holds those weights") as first:
        embedders.recorded_clip(replace(identity, load_from=str(checkpoint)))
    with pytest.raises(ModelUnavailableError) as second:  # remembered, not hashed again
        embedders.recorded_clip(replace(identity, load_from=str(checkpoint)))
    assert str(second.value) == str(first.value)


def test_a_recorded_tag_names_its_weights() -> None:
    source = ClipSource.recorded(ModelIdentity("open_clip:ViT-B-16:laion2b_s34b_b88k", 512))
    assert (source.architecture, source.pretrained) == ("ViT-B-16", "laion2b_s34b_b88k")
    hub = ClipSource.recorded(ModelIdentity("open_clip:hf-hub:org/repo:tag", 512))
    assert (hub.architecture, hub.pretrained) == ("hf-hub:org/repo", "tag")
