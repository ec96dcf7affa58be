"""What a text model is told before a query and before a document.

Retrieval models trained with instructions expect them at inference too: E5
reads "query: " and "passage: ", BGE's English models an instruction before
queries only, nomic-embed-text "search_query: " and "search_document: ". A
sentence-transformers model may define its own in
``config_sentence_transformers.json`` (``prompts`` and ``default_prompt_name``);
those win. A model that defines none but belongs to a family known to need them
gets the family's (hub copies of older E5 versions carry no prompts).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

# The prompt names sentence-transformers' encode_document tries, in its order.
DOCUMENT_PROMPT_NAMES = ("document", "passage", "corpus")


@dataclass(frozen=True)
class Prompts:
    """Text put before every query and before every document (empty: none)."""

    query: str = ""
    document: str = ""

    def describe(self) -> str:
        if not (self.query or self.document):
            return "no prompts"
        return f"query prompt {self.query!r}, document prompt {self.document!r}"


# Families by the last part of the model name; checked only when the model defines no prompts.
_BGE_QUERY = "Represent this sentence for searching relevant passages: "
# Not the instruction-tuned ones (e5-mistral, multilingual-e5-large-instruct): they
# take a task description per query that no fixed prefix can stand for.
_FAMILIES: tuple[tuple[re.Pattern[str], Prompts], ...] = (
    (
        re.compile(r"(^|-)e5-(small|base|large)(-v2)?$", re.IGNORECASE),
        Prompts("query: ", "passage: "),
    ),
    (re.compile(r"^bge-(small|base|large)-en", re.IGNORECASE), Prompts(_BGE_QUERY, "")),
    (
        re.compile(r"^nomic-embed-text", re.IGNORECASE),
        Prompts("search_query: ", "search_document: "),
    ),
)


def resolve_prompts(
    name: str, defined: Mapping[str, str] | None, default_prompt_name: str | None
) -> Prompts:
    """The prompts for the model called ``name`` (a hub id or a folder).

    ``defined`` and ``default_prompt_name`` are what the model itself declares.
    As in sentence-transformers, a query reads the "query" prompt and a document
    the first of "document", "passage", "corpus" it defines; either falls back
    to the default prompt when the model names one.
    """
    # sentence-transformers 5+ fills "query" and "document" in with None (on load) or
    # "" (on save) when a model names other prompts: neither is a prompt the model
    # defines, and taking "document": "" over "passage": "passage: " would drop E5's.
    defined = {key: value for key, value in (defined or {}).items() if value}
    if defined:
        default = defined.get(default_prompt_name or "", "")
        query = defined.get("query", default)
        document = next((defined[n] for n in DOCUMENT_PROMPT_NAMES if n in defined), default)
        return Prompts(query, document)
    base = re.split(r"[/\\]", name.rstrip("/\\"))[-1]
    for pattern, prompts in _FAMILIES:
        if pattern.search(base):
            return prompts
    return Prompts()


def folder_prompts(name: str, location: Path) -> Prompts:
    """The prompts of the sentence-transformers model saved at ``location``, read from
    its config_sentence_transformers.json as sentence-transformers reads them (for
    backends that do not load the model through sentence-transformers)."""
    try:
        config = json.loads((location / "config_sentence_transformers.json").read_text())
    except (OSError, ValueError):
        config = {}
    if not isinstance(config, dict):
        config = {}
    return resolve_prompts(name, config.get("prompts"), config.get("default_prompt_name"))
