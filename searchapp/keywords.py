"""Keyword analysis: the words the BM25 index sees, for documents and queries alike.

Milvus scores BM25 itself (a BM25 function over a sparse inverted index), but
Milvus Lite's analyzer only tokenizes and lower-cases: its stemmer and stop
filters are accepted and silently ignored (checked on Lite 3.2.2). So words are
analysed here, the way Elasticsearch's ``english`` analyzer does it (Lucene's
English stop words, then the Porter stemmer), and Milvus indexes the result
with its plain ``standard`` tokenizer. Lite and a server then index and query
identically, and "running" finds "runs".
"""

from __future__ import annotations

import re

# Lucene's English stop set (what Elasticsearch's `_english_` means).
# fmt: off
STOP_WORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is",
    "it", "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there",
    "these", "they", "this", "to", "was", "will", "with",
})
# fmt: on
_WORD = re.compile(r"\w+", re.UNICODE)


def analyze(text: str) -> str:
    """``text`` as space-separated index terms: lower-cased, stop words out, stemmed.

    Example: ``"The dogs are running"`` -> ``"dog run"``.
    """
    words = [w for w in _WORD.findall(text.lower()) if w not in STOP_WORDS]
    return " ".join(stem_words(words))


def stem_words(words: list[str]) -> list[str]:
    """Each lower-case word's index term (its Porter stem), as :func:`analyze` makes it."""
    import Stemmer

    # A stemmer object is not thread-safe and costs microseconds to make: one per call.
    return Stemmer.Stemmer("porter").stemWords(words)
