"""CLIP with open_clip: one model, an image embedder and a text embedder in one space.

Images and texts embedded by the same CLIP model are comparable, which is what
makes text -> image and image -> text search possible. Weights come from an
open_clip pretrained tag (downloaded once from the hub), a local checkpoint
file or an open_clip model folder (SEARCHAPP_CLIP_CHECKPOINT). Random weights
are never used silently: if the weights cannot be loaded the model refuses to
start with :class:`ModelUnavailableError`. Only an explicit test or benchmark
switch builds a model with random weights, and its model id says so, so its
vectors can never be mixed with real ones.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from searchapp.config import Settings
from searchapp.embed.base import Embedder, ModelIdentity
from searchapp.errors import ModelUnavailableError

if TYPE_CHECKING:
    import torch
    from PIL import Image

#: The tiny architecture of SEARCHAPP_TEST_RANDOM_CLIP (registered with open_clip on use).
TINY_TEST_MODEL = "searchapp-tiny-test"
# open_clip names a registered config after its file: searchapp-tiny-test.json.
_TINY_CONFIG = Path(__file__).with_name(f"{TINY_TEST_MODEL}.json")
# Random weights are seeded, so every process builds the same model: vectors written
# by `ingest` and queries embedded by `search` then share one space.
RANDOM_SEED = 0
# Weight files open_clip looks for in a model folder, in its order of preference.
_FOLDER_WEIGHTS = (
    "open_clip_model.safetensors",
    "open_clip_pytorch_model.safetensors",
    "open_clip_pytorch_model.bin",
    "open_clip_pytorch_model.pth",
    "model.safetensors",
    "pytorch_model.bin",
    "pytorch_model.pth",
    "model.pth",
)
_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pth")
_HASH_BLOCK = 1 << 22
_WORD = re.compile(r"\S+")
_CONSEQUENCE = "Images and image search need them; text ingest and text search work without."


@dataclass(frozen=True)
class ClipSource:
    """Where a CLIP model's architecture and weights come from.

    ``model_id`` names the weights exactly (architecture and pretrained tag, or
    the checkpoint's sha256, or "random-weights"); every CLIP collection records
    it, and a collection made with other weights refuses the model. A
    checkpoint's ``load_from`` (the file or folder) is recorded with it, so
    that other processes can load the weights a collection was built with.
    """

    architecture: str  # an open_clip model name, or "local-dir:<folder>"
    pretrained: str | None  # a pretrained tag or a checkpoint file
    model_id: str
    random_weights: bool = False
    description: str = ""  # for messages: where the weights were looked for
    load_from: str = ""  # the checkpoint file or folder as given ("" for a tag)

    @classmethod
    def from_settings(cls, settings: Settings) -> ClipSource:
        if settings.test_random_clip:
            return cls.random(TINY_TEST_MODEL, purpose="test")
        if settings.clip_checkpoint is not None:
            return cls.checkpoint(settings.clip_model, settings.clip_checkpoint)
        return cls.tag(settings.clip_model, settings.clip_pretrained)

    @classmethod
    def tag(cls, architecture: str, pretrained: str) -> ClipSource:
        """open_clip's own weights for ``architecture``, by pretrained tag (from the hub)."""
        return cls(
            architecture=architecture,
            pretrained=pretrained,
            model_id=f"open_clip:{architecture}:{pretrained}",
            description=f"open_clip {architecture} with pretrained tag {pretrained!r}",
        )

    @classmethod
    def recorded(cls, identity: ModelIdentity) -> ClipSource:
        """The weights a collection records, for a process configured with others.

        A tag is named by the model id; a checkpoint by the file or folder the
        collection recorded (``load_from``), whose sha256 must still match. Random
        test weights are never rebuilt from a record.
        """
        family, _, rest = identity.model_id.partition(":")
        architecture, _, weights = rest.rpartition(":")
        if family != "open_clip" or not architecture or not weights:
            raise ModelUnavailableError(f"{identity.model_id!r} does not name open_clip weights")
        if weights.startswith("random-weights"):
            raise ModelUnavailableError(
                "it has random test weights (SEARCHAPP_TEST_RANDOM_CLIP): only a process "
                "with that switch embeds queries for it"
            )
        if not weights.startswith("sha256="):
            return cls.tag(architecture, weights)
        if not identity.load_from:
            raise ModelUnavailableError(
                "the collection does not record where its checkpoint is; set "
                "SEARCHAPP_CLIP_CHECKPOINT to the file with that sha256"
            )
        source = cls.checkpoint(architecture, Path(identity.load_from))
        if source.model_id != identity.model_id:
            raise ModelUnavailableError(
                f"{identity.load_from} no longer holds those weights (its sha256 changed "
                f"since: {source.model_id})"
            )
        return source

    @classmethod
    def random(cls, architecture: str, *, purpose: str) -> ClipSource:
        """Random (seeded) weights: only for tests and speed benchmarks."""
        return cls(
            architecture=architecture,
            pretrained=None,
            model_id=f"open_clip:{architecture}:random-weights-seed{RANDOM_SEED}-{purpose}-only",
            random_weights=True,
            description=f"open_clip {architecture} with random weights ({purpose} only)",
        )

    @classmethod
    def checkpoint(cls, architecture: str, path: Path) -> ClipSource:
        """A local checkpoint file, or an open_clip model folder (config and weights)."""
        given = str(path)
        if path.is_dir():
            weights = _folder_weights(path)
            if (path / "open_clip_config.json").is_file():
                # The folder's own config and preprocessing, as open_clip defines them.
                return cls(
                    architecture=f"local-dir:{path}",
                    pretrained=None,
                    model_id=f"open_clip:local-dir:sha256={_sha256(weights)}",
                    description=f"the open_clip model folder {path}",
                    load_from=given,
                )
            path = weights
        if not path.is_file():
            raise ModelUnavailableError(
                f"CLIP weights cannot be loaded: SEARCHAPP_CLIP_CHECKPOINT={path} does not "
                f"exist; point it at a CLIP checkpoint file or an open_clip model folder. "
                f"{_CONSEQUENCE}"
            )
        return cls(
            architecture=architecture,
            pretrained=str(path),
            model_id=f"open_clip:{architecture}:sha256={_sha256(path)}",
            description=f"the checkpoint {path} for open_clip {architecture}",
            load_from=given,
        )


class Clip:
    """A loaded CLIP model: open_clip's image preprocessing and the two embedders."""

    def __init__(self, source: ClipSource, *, device: str = "cpu", batch_size: int = 32) -> None:
        model, preprocess, tokenizer = _load(source, device)
        self.source = source
        #: open_clip's own preprocessing: an RGB PIL image -> a normalised tensor.
        self.preprocess: Callable[[Image.Image], torch.Tensor] = preprocess
        self.text = ClipTextEmbedder(model, tokenizer, source, device, batch_size)
        self.image = ClipImageEmbedder(model, self.text.identity, device, batch_size)
        size = getattr(model.visual, "image_size", None)
        #: The side of the square the image tower reads (224 for ViT-B-32), if known.
        self.input_side: int | None = (
            max(size) if isinstance(size, (tuple, list)) else int(size) if size else None
        )

    @property
    def identity(self) -> ModelIdentity:
        return self.text.identity


class ClipImageEmbedder(Embedder["torch.Tensor"]):
    """Preprocessed image tensors (from :attr:`Clip.preprocess`) -> normalised vectors."""

    modality = "image"

    def __init__(self, model: Any, identity: ModelIdentity, device: str, batch_size: int) -> None:
        self._model = model
        self._device = device
        super().__init__(identity, batch_size)

    def _embed_batch(self, batch: Sequence[torch.Tensor]) -> np.ndarray:
        import torch

        with torch.inference_mode():
            pixels = torch.stack(list(batch)).to(self._device)
            vectors = self._model.encode_image(pixels, normalize=True)
        return vectors.float().cpu().numpy()


class ClipTextEmbedder(Embedder[str]):
    """Texts -> normalised vectors of the CLIP text tower.

    The tower reads at most ``context_length`` tokens (77 for CLIP), two of
    them start and end markers; open_clip's tokenizer keeps the first 75
    tokens of a longer text. Ingest never relies on that cut: documents are
    split into windows of :attr:`max_tokens` first (see :attr:`tokenizer`).
    """

    modality = "text"

    def __init__(
        self, model: Any, tokenizer: Any, source: ClipSource, device: str, batch_size: int
    ) -> None:
        self._model = model
        self._tokenizer = tokenizer
        self._spans = ClipTokenSpans(tokenizer)
        self._device = device
        self.context_length = int(tokenizer.context_length)
        identity = ModelIdentity(
            model_id=source.model_id, dim=self._probe_dim(), load_from=source.load_from
        )
        super().__init__(identity, batch_size)

    @property
    def max_tokens(self) -> int:
        """Tokens of text a window may hold: the context minus the two markers."""
        return self.context_length - 2

    @property
    def tokenizer(self) -> ClipTokenSpans:
        """The tokenizer in the form :func:`searchapp.chunking.chunk_text` takes."""
        return self._spans

    def _embed_batch(self, batch: Sequence[str]) -> np.ndarray:
        import torch

        with torch.inference_mode():
            tokens = self._tokenizer(list(batch)).to(self._device)
            vectors = self._model.encode_text(tokens, normalize=True)
        return vectors.float().cpu().numpy()

    def _probe_dim(self) -> int:
        # The output width differs between open_clip model classes; asking is simplest.
        return int(self._embed_batch(["a photo"]).shape[1])


class ClipTokenSpans:
    """CLIP's BPE tokenizer with character spans, as chunking expects of a tokenizer.

    open_clip's tokenizer gives no offsets. CLIP never merges tokens across
    whitespace, so each whitespace-separated word is counted on its own (counts
    are cached: words repeat) and its span is shared among its tokens. The sum
    over a window is the window's token count.
    """

    def __init__(self, tokenizer: Any) -> None:
        encode = getattr(tokenizer, "encode", None)
        if encode is None:  # Hugging Face tokenizers inside open_clip (non-CLIP text towers)
            inner = tokenizer.tokenizer

            def encode(word: str) -> list[int]:
                return list(inner.encode(word, add_special_tokens=False))

        self._encode: Callable[[str], list[int]] = encode
        self._count = lru_cache(maxsize=1 << 16)(self._count_word)

    def __call__(self, text: str, **_: object) -> dict[str, list[tuple[int, int]]]:
        offsets: list[tuple[int, int]] = []
        for match in _WORD.finditer(text):
            start, end = match.span()
            pieces = self._count(match.group())
            offsets.extend(
                (start + (end - start) * i // pieces, start + (end - start) * (i + 1) // pieces)
                for i in range(pieces)
            )
        return {"offset_mapping": offsets}

    def count(self, text: str) -> int:
        """Tokens in ``text`` without the start and end markers."""
        return sum(self._count(word) for word in _WORD.findall(text))

    def _count_word(self, word: str) -> int:
        return len(self._encode(word))


def _load(source: ClipSource, device: str) -> tuple[Any, Any, Any]:
    try:
        import open_clip
        import torch
    except ImportError as exc:  # pragma: no cover - a broken install
        raise ModelUnavailableError(f"open_clip is not installed: {exc}") from exc
    if source.architecture == TINY_TEST_MODEL and TINY_TEST_MODEL not in open_clip.list_models():
        open_clip.add_model_config(_TINY_CONFIG)
    try:
        if source.random_weights:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(RANDOM_SEED)
                model, _, preprocess = open_clip.create_model_and_transforms(
                    source.architecture, pretrained=None, device=device
                )
        else:
            # require_pretrained: open_clip would otherwise fall back to random
            # weights when a model folder holds a config but no weights.
            model, _, preprocess = open_clip.create_model_and_transforms(
                source.architecture,
                pretrained=source.pretrained,
                device=device,
                require_pretrained=True,
            )
        tokenizer = open_clip.get_tokenizer(source.architecture)
    # The boundary with open_clip: the hub, safetensors, pickle and torch each raise
    # their own exception types; all of them mean "these weights cannot be used".
    except Exception as exc:
        raise ModelUnavailableError(_unavailable(source, exc)) from exc
    model.eval()
    return model, preprocess, tokenizer


def _unavailable(source: ClipSource, exc: BaseException) -> str:
    detail = " ".join(str(exc).split())
    if len(detail) > 300:
        detail = detail[:300] + "..."
    return (
        f"CLIP weights cannot be loaded from {source.description} "
        f"({type(exc).__name__}: {detail}). {_CONSEQUENCE} Either let open_clip download "
        "the weights once (internet access, HF_HUB_OFFLINE unset), or copy them here and "
        "set SEARCHAPP_CLIP_CHECKPOINT to the checkpoint file or open_clip model folder."
    )


def _folder_weights(folder: Path) -> Path:
    """The weight file open_clip loads from ``folder`` (its own rule, mirrored)."""
    for name in _FOLDER_WEIGHTS:
        if (folder / name).is_file():
            return folder / name
    found = sorted(
        (p for p in folder.iterdir() if p.suffix in _WEIGHT_SUFFIXES and p.is_file()),
        key=lambda p: (p.suffix != ".safetensors", p.name),
    )
    if not found:
        raise ModelUnavailableError(
            f"CLIP weights cannot be loaded: SEARCHAPP_CLIP_CHECKPOINT={folder} holds no "
            "CLIP weights (a .safetensors, .bin or .pth file), and random weights are never "
            f"used. {_CONSEQUENCE}"
        )
    return found[0]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            while block := handle.read(_HASH_BLOCK):
                digest.update(block)
    except OSError as exc:
        raise ModelUnavailableError(
            f"CLIP weights cannot be loaded: cannot read {path} ({exc.strerror or exc}). "
            f"{_CONSEQUENCE}"
        ) from exc
    return digest.hexdigest()
