"""The MiniLM embedder: many texts per call, and a tokenizer that chunking may use
in another thread while the model encodes."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from searchapp.chunking import chunk_text
from searchapp.config import DEFAULT_TEXT_MODEL

pytestmark = pytest.mark.model

TEXTS = [
    "Vitamin D deficiency is common in people with multiple sclerosis.",
    "Cats sleep.",
    " ".join(f"Sentence {n} is about the immune system and its many cells." for n in range(40)),
    "Aspirin lowers the risk of a second heart attack in some patients.",
    "",
    "Short.",
]


@pytest.fixture(scope="module", params=["torch", "onnx"])
def text_model(embedders, request):
    return embedders.text_model(DEFAULT_TEXT_MODEL, request.param)


def test_one_call_of_mixed_lengths_equals_each_text_alone(text_model) -> None:
    # The whole list goes to the model in one call (sorted by length inside, to pad
    # less): the vectors must still come back in input order.
    together = text_model.embed(TEXTS * 7)
    alone = np.stack([text_model.embed([text])[0] for text in TEXTS])
    assert together.shape == (len(TEXTS) * 7, 384)
    for start in range(0, len(together), len(TEXTS)):
        np.testing.assert_allclose(together[start : start + len(TEXTS)], alone, atol=1e-5)


def test_chunking_tokenizer_is_a_copy_that_gives_the_same_pieces(text_model) -> None:
    if text_model.identity.backend != "torch":
        pytest.skip("the ONNX backend tokenises with its own tokenizers.Tokenizer")
    model_tokenizer = text_model._model.tokenizer
    assert text_model.tokenizer is not model_tokenizer
    assert text_model.tokenizer is text_model.tokenizer  # made once
    text = TEXTS[2]
    assert (
        text_model.tokenizer(text, add_special_tokens=False)["input_ids"]
        == model_tokenizer(text, add_special_tokens=False)["input_ids"]
    )


def test_chunking_while_the_model_encodes_gives_the_same_chunks(text_model) -> None:
    # The model's own calls set truncation to its window on the tokenizer they
    # use; chunking in a reader thread meanwhile must see whole texts.
    long = "\n\n".join(TEXTS[2] for _ in range(6))
    expected = chunk_text(long, text_model.tokenizer, max_tokens=120, overlap=16)
    seen: list[list] = []
    stop = threading.Event()

    def chunk_repeatedly() -> None:
        while not stop.is_set():
            seen.append(chunk_text(long, text_model.tokenizer, max_tokens=120, overlap=16))

    reader = threading.Thread(target=chunk_repeatedly)
    reader.start()
    try:
        for _ in range(5):
            text_model.embed([long] * 16)
    finally:
        stop.set()
        reader.join()
    assert seen
    assert all(chunks == expected for chunks in seen)
