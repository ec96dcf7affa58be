"""Where CLIP weights are, as `searchapp doctor` reports it: nothing is downloaded."""

from __future__ import annotations

from pathlib import Path

from searchapp.embed.clip import TINY_TEST_MODEL, ClipSource
from searchapp.embed.clip_weights import locate

REPO_ID = "laion/CLIP-ViT-B-32-laion2B-s34B-b79K"  # ViT-B-32 laion2b_s34b_b79k's hub repo


def fake_hub_cache(root: Path, filename: str) -> Path:
    """A Hugging Face cache holding one file of the repo, laid out as huggingface_hub does."""
    repo = root / ("models--" + REPO_ID.replace("/", "--"))
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text("0" * 40)
    snapshot = repo / "snapshots" / ("0" * 40)
    snapshot.mkdir(parents=True)
    (snapshot / filename).write_bytes(b"weights")
    return snapshot / filename


def test_a_tag_is_found_in_the_hub_cache_or_named_on_the_hub(tmp_path: Path) -> None:
    source = ClipSource.tag("ViT-B-32", "laion2b_s34b_b79k")
    missing = locate(source, cache_dir=tmp_path / "empty")
    assert not missing.local and missing.hub_repo == REPO_ID
    # open_clip asks for the safetensors twin first, then the pickle.
    assert missing.hub_files == ("open_clip_model.safetensors", "open_clip_pytorch_model.bin")
    for filename in missing.hub_files:
        cache = tmp_path / filename
        cached = fake_hub_cache(cache, filename)
        found = locate(source, cache_dir=cache)
        assert found.local and found.where == f"the Hugging Face cache ({cached})"


def test_local_and_random_weights_need_no_network(tmp_path: Path) -> None:
    weights = tmp_path / "clip.safetensors"
    weights.write_bytes(b"weights")
    checkpoint = locate(ClipSource.checkpoint(TINY_TEST_MODEL, weights))
    assert checkpoint.local and checkpoint.where == f"the checkpoint file {weights}"
    random = locate(ClipSource.random(TINY_TEST_MODEL, purpose="test"))
    assert random.local and "tests only" in random.where
    unknown = locate(ClipSource.tag("ViT-B-32", "no-such-tag"))
    assert unknown.local and "no-such-tag" in unknown.where  # loading fails at once, offline
