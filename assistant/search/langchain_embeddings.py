"""One of the assistant's embedders as a LangChain ``Embeddings``: imported only by ``ArrayEmbeddings.as_langchain()``.

LangChain's ``Embeddings`` base class alone costs 0.16 s of start-up, so nothing on the ask path imports this module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from langchain_core.embeddings import Embeddings

if TYPE_CHECKING:
    from .embeddings import ArrayEmbeddings

__all__ = ["LangChainEmbeddings"]


class LangChainEmbeddings(Embeddings):
    """A LangChain ``Embeddings`` over one of the assistant's embedders (unit vectors, float lists)."""

    def __init__(self, embedder: ArrayEmbeddings) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed passages (e5 gets its passage prefix)."""
        return self.embedder.embed_documents(list(texts))

    def embed_query(self, text: str) -> list[float]:
        """Embed a query (e5 gets its query prefix)."""
        return self.embedder.embed_query(text)
