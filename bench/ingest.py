"""Ingest throughput against the embedding model's own, on the same inputs, in one run.

    .venv/bin/python bench/ingest.py --docs 1000 --images 64
    .venv/bin/python bench/ingest.py --docs 1000 --images 64 --clip vit-random

Text: the first ``--docs`` SciFact abstracts (../shared/data/scifact, one
.jsonl file), ingested into a fresh Milvus Lite store, text space only (no
CLIP windows), against MiniLM embedding the very chunks ingest makes (title
in front, as ingest embeds them). Images: the first ``--images`` COCO photos
(../shared/data/coco_mini) against the CLIP image tower on the same
preprocessed pictures. No real CLIP weights exist here: ``--clip tiny`` is the
tiny random test model (SEARCHAPP_TEST_RANDOM_CLIP), ``--clip vit-random`` the
ViT-B-32 architecture with random weights (a forward pass costs the same
whatever the weights). Prints documents/s, chunks/s, images/s and the ratio
pipeline / model (1.0: ingest runs at the model's speed). Also times an
unchanged re-run.
"""

from __future__ import annotations

import argparse
import gzip
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=1000, help="SciFact abstracts (0: none)")
    parser.add_argument("--images", type=int, default=64, help="COCO photos (0: none)")
    parser.add_argument("--clip", choices=("tiny", "vit-random"), default="tiny")
    args = parser.parse_args()

    import torch

    from searchapp.cli.output import quiet_third_party_logs
    from searchapp.config import Settings

    quiet_third_party_logs()
    print(f"torch threads {torch.get_num_threads()}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as scratch:
        base = Settings(
            state_dir=Path(scratch) / "state",
            lite_shared=False,
            clip_text_windows=0,
            test_random_clip=args.clip == "tiny",
        )
        if args.docs:
            text_bench(base, Path(scratch), args.docs)
        if args.images:
            image_bench(base, Path(scratch), args.images, args.clip)


def text_bench(settings, scratch: Path, count: int) -> None:
    from searchapp.app import App
    from searchapp.embed import Embedders
    from searchapp.extract import ExtractOptions
    from searchapp.ingest import ingest, scan
    from searchapp.ingest.text import TextPreparer, file_sha256

    subset = scratch / "scifact.jsonl"
    with gzip.open(DATA / "scifact" / "corpus.jsonl.gz", "rt") as source:
        subset.write_text("".join(line for _, line in zip(range(count), source, strict=False)))
    embedders = Embedders(settings)
    model = embedders.text()
    found = scan([subset])
    preparer = TextPreparer(
        model,
        chunk_tokens=settings.chunk_tokens,
        chunk_overlap=settings.chunk_overlap,
        options=ExtractOptions(),
        chunk_title=settings.chunk_title,
        keywords=True,
    )
    inputs = preparer.prepare(found.files[0], file_sha256(found.files[0])).inputs
    model.embed(inputs[:64])  # warm-up
    started = time.perf_counter()
    model.embed(inputs)
    model_seconds = time.perf_counter() - started

    app = App(settings.model_copy(update={"state_dir": scratch / "text-state"}), embedders)
    started = time.perf_counter()
    summary = ingest(app, found.files, roots=found.roots)
    pipeline_seconds = time.perf_counter() - started
    started = time.perf_counter()
    ingest(app, scan([subset]).files, roots=found.roots)
    rerun_seconds = time.perf_counter() - started
    app.close()
    chunks = summary.rows_written["text"]
    print(f"\nSciFact, {count} abstracts, {chunks} chunks (MiniLM, batch {model.batch_size}):")
    print(f"  model alone     {len(inputs) / model_seconds:8.1f} chunks/s  ({model_seconds:.1f} s)")
    print(
        f"  whole ingest    {chunks / pipeline_seconds:8.1f} chunks/s  "
        f"{count / pipeline_seconds:.1f} documents/s  ({pipeline_seconds:.1f} s)"
    )
    print(f"  ratio pipeline/model {model_seconds / pipeline_seconds:.2f}")
    print(f"  unchanged re-run {rerun_seconds:.2f} s")


def image_bench(settings, scratch: Path, count: int, clip_kind: str) -> None:
    from searchapp.app import App
    from searchapp.embed import Embedders
    from searchapp.embed.clip import ClipSource
    from searchapp.extract.images import ImageLoader
    from searchapp.ingest import ingest, scan

    source = (
        ClipSource.random("ViT-B-32", purpose="benchmark") if clip_kind == "vit-random" else None
    )
    embedders = Embedders(settings, clip_source=source)
    clip = embedders.clip()
    embedders.text()
    photos = sorted((DATA / "coco_mini" / "train2017").glob("*.jpg"))[:count]
    folder = scratch / "photos"
    folder.mkdir()
    for photo in photos:
        (folder / photo.name).symlink_to(photo)
    loader = ImageLoader(settings.image_max_pixels)
    pixels = [clip.preprocess(loader.load(p.read_bytes()).image) for p in photos]
    clip.image.embed(pixels[: settings.clip_batch_size])  # warm-up
    started = time.perf_counter()
    clip.image.embed(pixels)
    model_seconds = time.perf_counter() - started
    del pixels

    app = App(settings.model_copy(update={"state_dir": scratch / "image-state"}), embedders)
    found = scan([folder])
    started = time.perf_counter()
    summary = ingest(app, found.files, roots=found.roots)
    pipeline_seconds = time.perf_counter() - started
    app.close()
    images = summary.rows_written["clip_image"]
    print(f"\nCOCO, {images} photos ({clip.identity.model_id}, batch {settings.clip_batch_size}):")
    print(f"  model alone     {len(photos) / model_seconds:8.1f} images/s  ({model_seconds:.1f} s)")
    print(
        f"  whole ingest    {images / pipeline_seconds:8.1f} images/s  ({pipeline_seconds:.1f} s)"
    )
    print(f"  ratio pipeline/model {model_seconds / pipeline_seconds:.2f}")


if __name__ == "__main__":
    main()
