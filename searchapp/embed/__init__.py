"""Embedding models: a small base contract and one implementation per model family."""

from searchapp.embed.base import Embedder, ModelIdentity
from searchapp.embed.factory import Embedders

__all__ = ["Embedder", "Embedders", "ModelIdentity"]
