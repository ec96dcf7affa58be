"""Prompts reach the model: what a sentence-transformers model receives for a query and
for a document, its own prompts first, then its family's (E5, BGE); its window and
dimension are its own."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from searchapp.embed import text
from searchapp.embed.prompts import Prompts, resolve_prompts
from searchapp.embed.text import SentenceTransformerEmbedder


class FakeSentenceTransformer:
    """Records what encode_query / encode_document receive, as sentence-transformers
    would pass it on: the prompt put before every text."""

    def __init__(self, prompts: dict[str, str], default_prompt_name: str | None = None) -> None:
        self.prompts = prompts
        self.default_prompt_name = default_prompt_name
        self.max_seq_length = 512
        self.received: list[str] = []

    def get_embedding_dimension(self) -> int:
        return 8

    def tokenizer(self, text: str, add_special_tokens: bool = False) -> dict[str, Any]:
        return {"input_ids": text.split()}

    def _encode(self, texts: Sequence[str], prompt: str | None) -> np.ndarray:
        assert prompt is not None, "searchapp passes the prompt explicitly"
        self.received += [prompt + t for t in texts]
        return np.ones((len(texts), 8), dtype=np.float32) / np.sqrt(8)

    def encode_query(self, texts: Sequence[str], *, prompt: str | None = None, **_: Any):
        return self._encode(texts, prompt)

    def encode_document(self, texts: Sequence[str], *, prompt: str | None = None, **_: Any):
        return self._encode(texts, prompt)


def _embedder(monkeypatch, name: str, fake: FakeSentenceTransformer) -> SentenceTransformerEmbedder:
    monkeypatch.setattr(text, "_load_sentence_transformer", lambda *args: fake)
    return SentenceTransformerEmbedder(name)


@pytest.mark.parametrize(
    ("name", "prompts", "default", "query", "document"),
    [
        # The model's own prompts win over its family's.
        ("intfloat/e5-small-v2", {"query": "Q: ", "passage": "P: "}, None, "Q: ", "P: "),
        ("my-model", {"query": "Q: ", "document": "D: ", "corpus": "C: "}, None, "Q: ", "D: "),
        # sentence-transformers' own fill-ins (None on load, "" on save) are no prompts.
        ("e5-v2", {"query": "Q: ", "document": None, "passage": "P: "}, None, "Q: ", "P: "),
        ("e5-v2", {"query": "Q: ", "document": "", "passage": "P: "}, None, "Q: ", "P: "),
        # sentence-transformers' default prompt for what the model names no prompt for.
        ("my-model", {"query": "Q: ", "classify": "K: "}, "classify", "Q: ", "K: "),
        # No prompts defined: E5 and BGE English by name (a folder's last part too).
        ("intfloat/multilingual-e5-base", {}, None, "query: ", "passage: "),
        ("/models/e5-large-v2/", {}, None, "query: ", "passage: "),
        (
            "BAAI/bge-small-en-v1.5",
            {},
            None,
            "Represent this sentence for searching relevant passages: ",
            "",
        ),
        # Everyone else: nothing added.
        ("sentence-transformers/all-MiniLM-L6-v2", {}, None, "", ""),
        ("BAAI/bge-m3", {}, None, "", ""),
        ("some/model-e5x", {}, None, "", ""),
        ("intfloat/e5-mistral-7b-instruct", {}, None, "", ""),
        ("intfloat/multilingual-e5-large-instruct", {}, None, "", ""),
        ("nomic-embed-text:v1.5", {}, None, "search_query: ", "search_document: "),
    ],
)
def test_the_model_receives_its_prompts(monkeypatch, name, prompts, default, query, document):
    fake = FakeSentenceTransformer(prompts, default)
    embedder = _embedder(monkeypatch, name, fake)
    embedder.embed(["a document"])
    embedder.embed_queries(["a question"])
    assert fake.received == [document + "a document", query + "a question"]
    assert embedder.prompts == Prompts(query, document)


def test_window_and_dimension_are_the_models_and_leave_room_for_the_document_prompt(
    monkeypatch,
) -> None:
    fake = FakeSentenceTransformer({"query": "q", "passage": "three word prompt "})
    embedder = _embedder(monkeypatch, "m", fake)
    assert embedder.dim == 8
    assert embedder.max_tokens == 512 - 2 - 3
    fake = FakeSentenceTransformer({})
    fake.max_seq_length = 128
    assert _embedder(monkeypatch, "m", fake).max_tokens == 126


def test_prompts_for_a_model_that_names_only_a_default() -> None:
    assert resolve_prompts("m", {"retrieval": "R: "}, "retrieval") == Prompts("R: ", "R: ")
    assert resolve_prompts("m", {"retrieval": "R: "}, None) == Prompts()


@pytest.fixture(scope="module")
def tiny_e5_folder(tmp_path_factory) -> str:
    """A tiny random sentence-transformers model saved to a folder, its prompts in
    config_sentence_transformers.json (as E5 v2 models on the hub declare them)."""
    import shutil

    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    from transformers import BertConfig, BertModel

    from searchapp.config import DEFAULT_TEXT_MODEL

    root = tmp_path_factory.mktemp("tiny-st")
    torch.manual_seed(0)
    bert = BertModel(
        BertConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64)
    )
    bert.save_pretrained(root / "bert")
    vocab = text.resolve_text_model(DEFAULT_TEXT_MODEL)
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(f"{vocab}/{name}", root / "bert" / name)
    model = SentenceTransformer(
        modules=[Transformer(str(root / "bert"), max_seq_length=64), Pooling(32)],
        prompts={"query": "query: ", "passage": "passage: "},
    )
    model.save(str(root / "model"))
    return str(root / "model")


def test_a_local_folder_loads_offline_with_its_prompts_window_and_dimension(
    tiny_e5_folder,
) -> None:
    embedder = SentenceTransformerEmbedder(tiny_e5_folder)
    assert (embedder.dim, embedder.prompts) == (32, Prompts("query: ", "passage: "))
    prompt_tokens = len(embedder.tokenizer("passage: ", add_special_tokens=False)["input_ids"])
    assert embedder.max_tokens == 64 - 2 - prompt_tokens
    texts = ["the moon orbits the earth", "why is the sky blue"]
    # What the model receives, seen in its vectors: the prompt before each text.
    plain = embedder._model.encode(
        [f"{p}{t}" for p in ("query: ", "passage: ") for t in texts],
        prompt="",
        normalize_embeddings=True,
    )
    assert np.allclose(embedder.embed_queries(texts), plain[:2], atol=1e-5)
    assert np.allclose(embedder.embed(texts), plain[2:], atol=1e-5)
    assert not np.allclose(embedder.embed(texts), embedder.embed_queries(texts), atol=1e-3)


def test_the_onnx_backend_gives_the_same_prompts_and_vectors(tiny_e5_folder, tmp_path) -> None:
    from searchapp.config import Settings
    from searchapp.doctor import text_model_check
    from searchapp.embed import Embedders

    settings = Settings(state_dir=tmp_path, onnx_cache_dir=tmp_path / "onnx")
    embedders = Embedders(settings)
    torch_model = embedders.text_model(tiny_e5_folder, "torch")
    onnx_model = embedders.text_model(tiny_e5_folder, "onnx")
    assert onnx_model.prompts == torch_model.prompts == Prompts("query: ", "passage: ")
    assert onnx_model.max_tokens == torch_model.max_tokens
    texts = ["the moon orbits the earth", "  why is the sky blue "]
    for method in ("embed", "embed_queries"):
        ours, theirs = getattr(onnx_model, method)(texts), getattr(torch_model, method)(texts)
        assert (ours * theirs).sum(axis=1).min() > 0.9999, method

    # doctor (and `searchapp models`) show the prompts the model is given.
    check = text_model_check(embedders, settings, tiny_e5_folder)
    assert check.detail.startswith(f"loads offline, from the local folder {tiny_e5_folder}; 32-d")
    assert "query prompt 'query: ', document prompt 'passage: '" in check.detail
