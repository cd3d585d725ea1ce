"""Where the text answers it: embedders, the BM25 + FAISS index, hybrid retrieval."""
