"""Image ingest speed: decode + preprocess alone, CLIP encode alone, and the whole ingest.

    .venv/bin/python bench/images.py                   # real CLIP weights (configured)
    .venv/bin/python bench/images.py --random-weights  # the same architecture, random weights

Reads the COCO photos in ../shared/data/coco_mini (239 JPEGs, 333-640 px) and
prints images per second for each stage. ``--random-weights`` builds the
configured architecture (ViT-B-32) with random weights, for machines without
the real ones: the time a forward pass takes does not depend on the weights'
values, so the figures hold for the real model. The vectors are meaningless,
and the output says which weights were used.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

COCO = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "coco_mini"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=Path, default=COCO, help="folder of photos")
    parser.add_argument("--limit", type=int, default=0, help="use only the first N photos")
    parser.add_argument(
        "--random-weights",
        action="store_true",
        help="BENCHMARK ONLY: time the configured architecture with random weights",
    )
    parser.add_argument("--workers", type=int, help="decode threads (default: the setting)")
    parser.add_argument("--batch-size", type=int, help="images per CLIP call (default: setting)")
    args = parser.parse_args()

    import torch

    from searchapp.app import App
    from searchapp.cli.output import quiet_third_party_logs
    from searchapp.config import Settings
    from searchapp.embed import Embedders
    from searchapp.embed.clip import ClipSource
    from searchapp.errors import ModelUnavailableError
    from searchapp.extract.images import ImageLoader
    from searchapp.ingest import Outcome, ingest
    from searchapp.ingest.discover import discover

    overrides = {"lite_shared": False}
    if args.workers:
        overrides["image_workers"] = args.workers
    if args.batch_size:
        overrides["clip_batch_size"] = args.batch_size
    settings = Settings(**overrides)
    photos = sorted(p for p in args.photos.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg"))
    if args.limit:
        photos = photos[: args.limit]
    if not photos:
        raise SystemExit(f"no photos under {args.photos}")

    source = (
        ClipSource.random(settings.clip_model, purpose="benchmark") if args.random_weights else None
    )
    quiet_third_party_logs()
    embedders = Embedders(settings, clip_source=source)
    try:
        clip = embedders.clip()
    except ModelUnavailableError as exc:
        raise SystemExit(
            f"{exc}\nTo time the architecture without its weights: --random-weights"
        ) from None
    weights = (
        f"{settings.clip_model} architecture with RANDOM weights (--random-weights; speed "
        "does not depend on the weights' values)"
        if args.random_weights
        else clip.identity.model_id
    )
    print(f"model:   {weights}")
    print(
        f"photos:  {len(photos)} from {args.photos}; torch threads {torch.get_num_threads()}, "
        f"decode workers {settings.image_workers}, batch {settings.clip_batch_size}, "
        f"{os.cpu_count()} CPUs"
    )

    # 1. decode + preprocess alone, in the worker threads ingest uses, at the
    # reduced JPEG scale ingest decodes at (unless IMAGE_JPEG_SCALING is off).
    loader = ImageLoader(settings.image_max_pixels)
    side = clip.input_side if settings.image_jpeg_scaling else None

    def decode(path: Path) -> torch.Tensor:
        return clip.preprocess(loader.load(path.read_bytes(), min_side=side).image)

    for path in photos[:4]:  # warm the file cache and Pillow's plugins
        decode(path)
    started = time.perf_counter()
    with ThreadPoolExecutor(settings.image_workers) as pool:
        pixels = list(pool.map(decode, photos))
    report("decode + preprocess", len(photos), time.perf_counter() - started)

    # 2. CLIP image encode alone, on the preprocessed tensors.
    clip.image.embed(pixels[: settings.clip_batch_size])  # warm-up batch
    started = time.perf_counter()
    clip.image.embed(pixels)
    report("CLIP encode", len(photos), time.perf_counter() - started)
    del pixels

    # 2b. The CLIP text tower (captions, document windows): always 77 positions long.
    captions = caption_texts(args.photos, len(photos))
    if captions:
        clip.text.embed(captions[: settings.clip_batch_size])  # warm-up batch
        started = time.perf_counter()
        clip.text.embed(captions)
        report("CLIP text encode", len(captions), time.perf_counter() - started, unit="texts")

    # 3. The whole image ingest: scan, hash, decode, encode, write (Milvus Lite).
    embedders.text()  # loaded before timing, as in a running process
    with tempfile.TemporaryDirectory() as state:
        app = App(settings.model_copy(update={"state_dir": Path(state)}), embedders=embedders)
        with tempfile.TemporaryDirectory() as folder:
            for path in photos:
                (Path(folder) / path.name).symlink_to(path.resolve())
            files = list(discover([Path(folder)]))
            started = time.perf_counter()
            summary = ingest(app, files)
            elapsed = time.perf_counter() - started
        app.close()
    ingested = summary.count(Outcome.INGESTED)
    report("whole image ingest", ingested, elapsed)
    if ingested != len(photos):
        print(f"warning: {len(photos) - ingested} photos not ingested: {summary.as_dict()}")


def caption_texts(folder: Path, count: int) -> list[str]:
    """COCO's captions (captions.tsv), one per photo, when the folder has them."""
    table = folder / "captions.tsv"
    if not table.is_file():
        return []
    lines = table.read_text(encoding="utf-8").splitlines()[1:]
    return [line.split("\t", 2)[2] for line in lines[::5]][:count]


def report(stage: str, items: int, seconds: float, unit: str = "images") -> None:
    print(f"{stage:<22} {items / seconds:8.1f} {unit}/s  ({items} in {seconds:.2f} s)")


if __name__ == "__main__":
    main()
