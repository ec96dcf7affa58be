"""paraphrase-MiniLM-L3-v2 from its packaged ONNX graph: the vectors that the graph's own
pooling gives, normalised; its dimension from the graph, its window sentence-transformers'."""

from __future__ import annotations

import numpy as np
import pytest
from tokenizers import Tokenizer

from searchapp.config import DEFAULT_TEXT_MODEL, Settings
from searchapp.embed import Embedders
from searchapp.embed.packaged_onnx import PARAPHRASE_MINILM_L3, SentenceOnnxEmbedder
from searchapp.embed.text import resolve_text_model

pytestmark = pytest.mark.model

TEXTS = [
    "A man is eating food.",
    "Someone is having a meal.",
    "The new movie is awesome.",
    "  leading and trailing spaces are stripped  ",
    "x",
    "a long text " * 200,  # past the window: cut to 128 tokens, [SEP] kept
]


@pytest.fixture(scope="module")
def l3() -> SentenceOnnxEmbedder:
    return PARAPHRASE_MINILM_L3.load(batch_size=4)


def _reference(texts: list[str]) -> np.ndarray:
    """Straight from the graph: its own mean-pooling output, one text at a time
    (no padding), tokenised as sentence-transformers does (stripped, cut to 128
    with [SEP] kept), then L2-normalised."""
    import onnxruntime as ort

    session = ort.InferenceSession(
        str(PARAPHRASE_MINILM_L3.onnx_file()), providers=["CPUExecutionProvider"]
    )
    pooled_output = next(
        o.name for o in session.get_outputs() if len(o.shape) == 2 and "float" in o.type
    )
    tokenizer = Tokenizer.from_file(f"{resolve_text_model(DEFAULT_TEXT_MODEL)}/tokenizer.json")
    tokenizer.no_padding()  # tokenizer.json pads every text to 128 itself
    tokenizer.enable_truncation(max_length=128)
    rows = []
    for text in texts:
        encoding = tokenizer.encode(text.strip())
        ids = np.array([encoding.ids], dtype=np.int64)
        mask = np.array([encoding.attention_mask], dtype=np.int64)
        (pooled,) = session.run([pooled_output], {"input_ids": ids, "attention_mask": mask})
        rows.append(pooled[0] / np.linalg.norm(pooled[0]))
    return np.array(rows)


def test_vectors_equal_the_graphs_own_pooling(l3: SentenceOnnxEmbedder) -> None:
    vectors = l3.embed(TEXTS)  # batches of 4 with padding, sorted by length
    reference = _reference(TEXTS)
    cosines = (vectors * reference).sum(axis=1)
    assert cosines.min() >= 0.9999, cosines
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_window_and_dimension(l3: SentenceOnnxEmbedder) -> None:
    """384-d from the graph; sentence-transformers' window of 128 for the model."""
    assert (l3.window, l3.max_tokens, l3.dim) == (128, 126, 384)
    assert l3.identity.model_id == "sentence-transformers/paraphrase-MiniLM-L3-v2"
    long = "word " * 300
    assert len(l3.tokenizer(l3.window_prefix(long), add_special_tokens=False)["input_ids"]) == 126


def test_paraphrases_score_higher_than_unrelated_sentences(l3: SentenceOnnxEmbedder) -> None:
    pairs = [
        (
            "A man is eating food.",
            "Someone is having a meal.",
            "The stock market fell sharply today.",
        ),
        (
            "How do I reset my password?",
            "I forgot my password, how can I change it?",
            "Penguins live in Antarctica.",
        ),
        (
            "The cat sleeps on the sofa.",
            "A kitten is napping on the couch.",
            "Quantum computers use qubits.",
        ),
    ]
    for text, paraphrase, unrelated in pairs:
        a, b, c = l3.embed([text, paraphrase, unrelated])
        assert a @ b > a @ c + 0.3, (text, a @ b, a @ c)


def test_the_factory_loads_it_by_short_name_for_any_backend(tmp_path) -> None:
    settings = Settings(state_dir=tmp_path, query_backend="torch")
    embedders = Embedders(settings)
    model = embedders.query_text("paraphrase-MiniLM-L3-v2")
    assert isinstance(model, SentenceOnnxEmbedder) and model.dim == 384
