"""The embedder contract: one batch method; the base class does batching and checks."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, TypeVar

import numpy as np

from searchapp.embed.prompts import Prompts

if TYPE_CHECKING:
    from searchapp.chunking import Tokenizer

Item = TypeVar("Item")


@dataclass(frozen=True)
class ModelIdentity:
    """What a collection records about the model that made its vectors.

    Two identities are compatible when the model, dimension, metric and
    normalisation are equal: vectors that differ in any of them are not
    comparable. ``load_from`` is not part of the identity: it says where the
    weights were loaded from when the model id alone cannot (a checkpoint file
    is named by its sha256), so that another process can load the same model.
    """

    model_id: str
    dim: int
    metric: str = "COSINE"
    normalized: bool = True
    load_from: str = field(default="", compare=False)
    # How the vectors were computed (torch, onnx, onnx-int8): not part of the
    # identity either. The backends run the same weights and agree to a cosine
    # of 0.99+, so a collection made by one is searched with another.
    backend: str = field(default="", compare=False)

    def describe(self) -> str:
        norm = "normalised" if self.normalized else "raw"
        return f"{self.model_id} ({self.dim}-d, {self.metric}, {norm})"


class Embedder(ABC, Generic[Item]):
    """Turns items of one modality into vectors of one embedding space.

    Subclasses implement :meth:`_embed_batch` for at most ``batch_size`` items;
    :meth:`embed` splits larger inputs and checks what comes back.
    """

    modality: str  # what it reads: "text" or "image"

    def __init__(self, identity: ModelIdentity, batch_size: int) -> None:
        self.identity = identity
        self.batch_size = batch_size

    @property
    def model_id(self) -> str:
        return self.identity.model_id

    @property
    def dim(self) -> int:
        return self.identity.dim

    def embed(self, items: Sequence[Item]) -> np.ndarray:
        """Vectors for ``items``, shape (len(items), dim), float32, one row per item."""
        if len(items) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._checked(self._embed_all(items), len(items))

    def _checked(self, vectors: np.ndarray, count: int) -> np.ndarray:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.shape != (count, self.dim):
            raise RuntimeError(
                f"{self.model_id} returned vectors of shape {vectors.shape}, "
                f"expected ({count}, {self.dim})"
            )
        return vectors

    def _embed_all(self, items: Sequence[Item]) -> np.ndarray:
        """Vectors for any number of items: in batches of ``batch_size``, in order."""
        return np.concatenate(
            [
                self._embed_batch(items[start : start + self.batch_size])
                for start in range(0, len(items), self.batch_size)
            ]
        )

    @abstractmethod
    def _embed_batch(self, batch: Sequence[Item]) -> np.ndarray:
        """Vectors for one batch of at most ``batch_size`` items."""


class TextEmbedder(Embedder[str]):
    """A text model: its vectors, its window, and a tokenizer for chunking."""

    modality = "text"
    #: What the model is told before queries and documents; each model sets its own.
    prompts: Prompts = Prompts()

    @property
    @abstractmethod
    def max_tokens(self) -> int:
        """Word pieces a chunk may hold: the model's window minus [CLS] and [SEP]."""

    @property
    @abstractmethod
    def tokenizer(self) -> Tokenizer:
        """The model's tokenizer in the form :func:`searchapp.chunking.chunk_text` takes."""

    def window_prefix(self, text: str) -> str:
        """The start of ``text`` the model reads (all of it when it fits its window)."""
        offsets = self._token_offsets(text)
        if len(offsets) <= self.max_tokens:
            return text
        return text[: offsets[self.max_tokens - 1][1]]

    def _token_offsets(self, text: str) -> Sequence[tuple[int, int]]:
        """The character span of each word piece of ``text``, special tokens left out.

        Asks :attr:`tokenizer` (a Hugging Face tokenizer); a backend with a
        lighter tokenizer at hand (the ONNX ones) overrides this.
        """
        encoding = self.tokenizer(
            text, add_special_tokens=False, return_offsets_mapping=True, verbose=False
        )
        return encoding["offset_mapping"]  # type: ignore[index]

    def embed_queries(self, queries: Sequence[str]) -> np.ndarray:
        """Vectors for search queries; :meth:`embed` is for the documents searched.

        The same for most models; a model trained with a query prompt (E5,
        BGE) reads it here and its document prompt in :meth:`embed`.
        """
        return self.embed(queries)
