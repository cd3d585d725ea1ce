"""The assistant's parts as LangChain objects; the only module on the answering path that imports LangChain."""

from __future__ import annotations

from langchain_core.embeddings import Embeddings

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
