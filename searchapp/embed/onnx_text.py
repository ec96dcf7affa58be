"""Text embeddings with ONNX Runtime: the same MiniLM, without torch at query time.

Reads what sentence-transformers reads from the model folder (tokenizer.json,
the window from sentence_bert_config.json, the pooling config) and computes
what it computes for all-MiniLM-L6-v2: mean pooling of the token embeddings
over the attention mask, then L2 normalisation. Only onnxruntime, tokenizers
and numpy are imported here, so a process that only answers queries starts in
a fraction of the time torch and sentence-transformers take to import.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from searchapp.embed.base import ModelIdentity, TextEmbedder
from searchapp.embed.prompts import Prompts, folder_prompts
from searchapp.errors import ModelUnavailableError

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

INT8_BACKEND = "onnx-int8"
ONNX_BACKENDS = ("onnx", INT8_BACKEND)


class OnnxMeanPoolingEmbedder(TextEmbedder):
    """A sentence-transformers model with mean pooling whose token embeddings an ONNX
    graph computes: the tokenizer, window, prompts, batching and pooling of both ONNX
    backends (:class:`OnnxTextEmbedder`, and the packaged graphs of
    :mod:`searchapp.embed.packaged_onnx`). Subclasses load the graph and say where
    the tokenizer is and what the window is.
    """

    def __init__(
        self,
        identity: ModelIdentity,
        *,
        session: Any,
        token_output: str,
        window: int,
        tokenizer_folder: Path,
        prompts: Prompts,
        batch_size: int,
    ) -> None:
        from tokenizers import Tokenizer

        self._session = session
        self._inputs = {i.name for i in session.get_inputs()}
        self._token_output = token_output
        self._window = window
        self._folder = tokenizer_folder
        tokenizer_file = str(tokenizer_folder / "tokenizer.json")
        self._tokenizer = Tokenizer.from_file(tokenizer_file)
        # tokenizer.json may carry its own cut and fixed padding; the model reads
        # sentence-transformers' window, padded to the longest text of a batch.
        self._tokenizer.enable_truncation(max_length=window)
        self._tokenizer.enable_padding(pad_id=_pad_id(self._tokenizer), pad_token="[PAD]")
        self._bare = Tokenizer.from_file(tokenizer_file)
        self._bare.no_truncation()
        self._bare.no_padding()
        # The model's query and document prompts, as the torch backend gives them.
        self.prompts = prompts
        self._prompt_tokens = len(self._bare.encode(prompts.document, add_special_tokens=False))
        self._chunk_tokenizer: PreTrainedTokenizerBase | None = None
        super().__init__(identity, batch_size)

    @property
    def window(self) -> int:
        """Tokens the model reads, [CLS] and [SEP] included."""
        return self._window

    @property
    def max_tokens(self) -> int:
        return self._window - 2 - self._prompt_tokens

    @property
    def tokenizer(self) -> PreTrainedTokenizerBase:
        """The Hugging Face tokenizer of the same folder, for chunking (loaded on first use):
        chunks are cut exactly as with the torch backend."""
        if self._chunk_tokenizer is None:
            from transformers import AutoTokenizer

            self._chunk_tokenizer = AutoTokenizer.from_pretrained(str(self._folder))
            self._chunk_tokenizer.model_max_length = self._window
        return self._chunk_tokenizer

    def _token_offsets(self, text: str) -> Sequence[tuple[int, int]]:
        # The Rust tokenizer: a query process never imports transformers.
        return self._bare.encode(text, add_special_tokens=False).offsets

    def embed_queries(self, queries: Sequence[str]) -> np.ndarray:
        if len(queries) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._checked(self._encode_sorted(queries, self.prompts.query), len(queries))

    def _embed_all(self, items: Sequence[str]) -> np.ndarray:
        return self._encode_sorted(items, self.prompts.document)

    def _encode_sorted(self, items: Sequence[str], prompt: str) -> np.ndarray:
        # As sentence-transformers does: batches of texts of like length (longest
        # first), so little padding is encoded; the input order is restored after.
        order = sorted(range(len(items)), key=lambda i: -len(items[i]))
        vectors = np.empty((len(items), self.dim), dtype=np.float32)
        for start in range(0, len(items), self.batch_size):
            part = order[start : start + self.batch_size]
            vectors[part] = self._encode([items[i] for i in part], prompt)
        return vectors

    def _embed_batch(self, batch: Sequence[str]) -> np.ndarray:
        return self._encode(batch, self.prompts.document)

    def _encode(self, batch: Sequence[str], prompt: str) -> np.ndarray:
        # sentence-transformers puts the prompt first, then strips each text.
        encodings = self._tokenizer.encode_batch([(prompt + text).strip() for text in batch])
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


class OnnxTextEmbedder(OnnxMeanPoolingEmbedder):
    """A sentence-transformers model folder (mean pooling) whose Transformer runs as an
    ONNX graph exported next to it."""

    def __init__(
        self,
        model_name: str,
        location: Path,
        onnx_file: Path,
        *,
        backend: str,
        batch_size: int = 32,
        threads: int = 0,
    ) -> None:
        window = _window(location)
        _check_pooling(model_name, location)
        prompts = folder_prompts(model_name, location)
        session = onnx_session(onnx_file, threads)
        # The graph's one output: the token embeddings, (batch, tokens, dim).
        output = session.get_outputs()[0]
        identity = ModelIdentity(model_id=model_name, dim=int(output.shape[-1]), backend=backend)
        if backend == INT8_BACKEND:
            # Dynamic int8 quantisation scales activations per call, over the whole
            # batch: in a batch, a text's vector depends on its neighbours (cosine
            # 0.989 with the text alone, measured on SciFact queries). One text per
            # call keeps it the text's own, and is no slower: queries encode at the
            # same rate, and chunks faster (no padding); see docs/evaluation.md.
            batch_size = 1
        super().__init__(
            identity,
            session=session,
            token_output=output.name,
            window=window,
            tokenizer_folder=location,
            prompts=prompts,
            batch_size=batch_size,
        )


def onnx_session(onnx_file: Path, threads: int) -> Any:
    """An ONNX Runtime session on the CPU (``threads`` 0: its own choice), quiet."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    if threads > 0:
        options.intra_op_num_threads = threads
    options.log_severity_level = 3
    try:
        return ort.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph types
        raise ModelUnavailableError(f"cannot load {onnx_file}: {exc}") from exc


def _window(location: Path) -> int:
    """The model's window as sentence-transformers reads it: max_seq_length in
    sentence_bert_config.json (models saved before sentence-transformers 6), else the
    tokenizer's model_max_length (where sentence-transformers 6 saves it)."""
    for name, key in (
        ("sentence_bert_config.json", "max_seq_length"),
        ("tokenizer_config.json", "model_max_length"),
    ):
        try:
            window = json.loads((location / name).read_text()).get(key)
        except (OSError, ValueError):
            continue
        if isinstance(window, int) and 2 < window <= 1_000_000:
            return window
    raise ModelUnavailableError(
        f"cannot read the model's window from {location}: no max_seq_length in "
        "sentence_bert_config.json nor model_max_length in tokenizer_config.json"
    )


def _check_pooling(model_name: str, location: Path) -> None:
    """Only mean pooling is implemented here: refuse a model that pools otherwise."""
    modules = json.loads((location / "modules.json").read_text())
    pooling = next((m for m in modules if m["type"].endswith(".Pooling")), None)
    config = json.loads((location / pooling["path"] / "config.json").read_text()) if pooling else {}
    modes = {k for k, v in config.items() if k.startswith("pooling_mode_") and v is True}
    # sentence-transformers 6 saves {"pooling_mode": "mean", "include_prompt": ...}.
    if config.get("pooling_mode") == "mean" and config.get("include_prompt", True):
        modes = {"pooling_mode_mean_tokens"}
    if modes != {"pooling_mode_mean_tokens"}:
        raise ModelUnavailableError(
            f"the ONNX backends support models with mean pooling only; {model_name} pools "
            f"with {sorted(modes) or config.get('pooling_mode') or 'no Pooling module'}. Use "
            "SEARCHAPP_QUERY_BACKEND=torch "
            "and SEARCHAPP_INGEST_BACKEND=torch."
        )


def _pad_id(tokenizer: Any) -> int:
    pad = tokenizer.token_to_id("[PAD]")
    return 0 if pad is None else int(pad)
