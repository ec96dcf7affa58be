"""Ingest throughput against the embedding model's own, on the same inputs, in one run.

    .venv/bin/python bench/ingest.py --docs 1000 --images 239
    .venv/bin/python bench/ingest.py --docs 1000 --images 239 --clip vit-random

Text: the first ``--docs`` SciFact abstracts (../shared/data/scifact, one
.jsonl file), ingested into a fresh Milvus Lite store, text space only (no
CLIP windows), against MiniLM embedding the very chunks ingest makes (title
in front, as ingest embeds them). Images: the first ``--images`` COCO photos
(../shared/data/coco_mini, 239 in its three folders) against the CLIP image
tower on the same preprocessed pictures. The model alone is timed before and
after the ingest and the faster time counts, so noise on this shared machine
can only lower the ratio. No real CLIP weights exist here: ``--clip tiny`` is the
tiny random test model (SEARCHAPP_TEST_RANDOM_CLIP), ``--clip vit-random`` the
ViT-B-32 architecture with random weights (a forward pass costs the same
whatever the weights). Prints documents/s, chunks/s, images/s and the ratio
pipeline / model (1.0: ingest runs at the model's speed). Also times an
unchanged re-run. Settings come from the environment as for searchapp itself
(e.g. SEARCHAPP_EMBED_BATCH_SIZE, SEARCHAPP_INGEST_READ_WORKERS,
SEARCHAPP_INGEST_WRITE_AHEAD, SEARCHAPP_IMAGE_WORKERS).
"""

from __future__ import annotations

import argparse
import gzip
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def seconds(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=1000, help="SciFact abstracts (0: none)")
    parser.add_argument("--images", type=int, default=239, help="COCO photos (0: none)")
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
        print(
            f"text batch {base.embed_batch_size}, CLIP batch {base.clip_batch_size}, "
            f"document readers {base.ingest_read_workers}, image workers {base.image_workers}, "
            f"write ahead {base.ingest_write_ahead}, JPEG scaling {base.image_jpeg_scaling}"
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
    from searchapp.ingest.reader import FilePreparer
    from searchapp.ingest.text import TextPreparer, file_sha256

    subset = scratch / "scifact.jsonl"
    with gzip.open(DATA / "scifact" / "corpus.jsonl.gz", "rt") as source:
        subset.write_text("".join(line for _, line in zip(range(count), source, strict=False)))
    embedders = Embedders(settings)
    model = embedders.text()
    found = scan([subset])
    chunker = TextPreparer(
        model,
        chunk_tokens=settings.chunk_tokens,
        chunk_overlap=settings.chunk_overlap,
        chunk_title=settings.chunk_title,
        keywords=True,
    )
    preparer = FilePreparer({"text": chunker}, ExtractOptions())
    sha256 = file_sha256(found.files[0])
    inputs = preparer.prepare(found.files[0], sha256).spaces["text"].inputs
    # Reading, extracting and chunking alone: what the reader thread must keep up with.
    prepare_seconds = seconds(lambda: preparer.prepare(found.files[0], sha256))
    model.embed(inputs[:64])  # warm-up
    model_seconds = seconds(lambda: model.embed(inputs))

    app = App(settings.model_copy(update={"state_dir": scratch / "text-state"}), embedders)
    started = time.perf_counter()
    summary = ingest(app, found.files, roots=found.roots)
    pipeline_seconds = time.perf_counter() - started
    rerun_seconds = seconds(lambda: ingest(app, scan([subset]).files, roots=found.roots))
    app.close()
    model_seconds = min(model_seconds, seconds(lambda: model.embed(inputs)))
    chunks = summary.rows_written["text"]
    print(f"\nSciFact, {count} abstracts, {chunks} chunks (MiniLM, batch {model.batch_size}):")
    print(f"  model alone     {len(inputs) / model_seconds:8.1f} chunks/s  ({model_seconds:.1f} s)")
    print(
        f"  read + chunk    {len(inputs) / prepare_seconds:8.1f} chunks/s  "
        f"({prepare_seconds:.1f} s, one thread)"
    )
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
    photos = sorted((DATA / "coco_mini").glob("*/*.jpg"))[:count]
    folder = scratch / "photos"
    folder.mkdir()
    for photo in photos:
        # Copied, not linked: a symlink out of the ingested folder is skipped by design.
        shutil.copyfile(photo, folder / photo.name)
    loader = ImageLoader(settings.image_max_pixels)
    side = clip.input_side if settings.image_jpeg_scaling else None  # decoded as ingest does
    pixels = [clip.preprocess(loader.load(p.read_bytes(), min_side=side).image) for p in photos]
    clip.image.embed(pixels[: settings.clip_batch_size])  # warm-up
    model_seconds = seconds(lambda: clip.image.embed(pixels))

    app = App(settings.model_copy(update={"state_dir": scratch / "image-state"}), embedders)
    found = scan([folder])
    started = time.perf_counter()
    summary = ingest(app, found.files, roots=found.roots)
    pipeline_seconds = time.perf_counter() - started
    app.close()
    model_seconds = min(model_seconds, seconds(lambda: clip.image.embed(pixels)))
    images = summary.rows_written["clip_image"]
    print(f"\nCOCO, {images} photos ({clip.identity.model_id}, batch {settings.clip_batch_size}):")
    print(f"  model alone     {len(photos) / model_seconds:8.1f} images/s  ({model_seconds:.1f} s)")
    print(
        f"  whole ingest    {images / pipeline_seconds:8.1f} images/s  ({pipeline_seconds:.1f} s)"
    )
    print(f"  ratio pipeline/model {model_seconds / pipeline_seconds:.2f}")


if __name__ == "__main__":
    main()
