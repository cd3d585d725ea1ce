"""Embedding every row of a corpus: in chunks that are saved as they finish, optionally across worker processes.

Each chunk of ``CHUNK_ROWS`` texts is written to a checkpoint folder inside the index folder as soon as it is
embedded, so a build that is interrupted (Ctrl-C, a crash, a closed laptop) starts again where it stopped. The folder
is named by the embedder and a hash of the texts, so a checkpoint is never used for other texts or another model;
``discard_checkpoints`` removes them all once an index is complete. With ``workers`` above 1 the chunks are shared
among that many processes (started fresh, never forked from a process with model threads running), each loading the
embedder once with its share of the cores.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from ..base.files import FileProblem, atomic_write, npy_bytes, safe_name
from .embeddings import ArrayEmbeddings, load_embedder

__all__ = ["CHUNK_ROWS", "discard_checkpoints", "embed_rows"]

CHUNK_ROWS = 256  # about 3 minutes of e5 on two cores at the longest: the most an interruption loses
_BATCH = 16  # texts per embedder call inside a chunk
_CHECKPOINT = re.compile(r"\.embedding-[A-Za-z0-9_.-]{1,60}-[0-9a-f]{16}")
_worker_embedder: ArrayEmbeddings | None = None


def embed_rows(
    embedder: ArrayEmbeddings,
    texts: list[str],
    index_dir: Path,
    workers: int = 1,
    progress: bool = True,
    cache_dir: Path | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> np.ndarray:
    """The (len(texts), dim) float32 matrix of ``texts``, reusing the chunks an interrupted build left in ``index_dir``.

    Args:
        workers: processes that embed at once; 1 embeds in this process.
        cache_dir: the cache folder worker processes load their embedder with (prepared model copies).
        chunk_rows: texts per saved chunk.
    """
    folder = index_dir / f".embedding-{safe_name(embedder.name)}-{_texts_key(embedder, texts)}"
    starts = list(range(0, len(texts), chunk_rows))
    chunks = {start: texts[start : start + chunk_rows] for start in starts}
    done = {start: _load_chunk(folder, start, len(chunks[start])) for start in starts}
    missing = [start for start in starts if done[start] is None]
    from tqdm import tqdm  # only a build shows a bar; importing it costs a question's start-up 11 ms

    bar = tqdm(total=len(texts), desc=f"embedding ({embedder.name})", unit="text", disable=not progress, leave=False)
    bar.update(len(texts) - sum(len(chunks[start]) for start in missing))
    with contextlib.suppress(OSError):  # without the folder nothing is saved; the build itself still succeeds
        folder.mkdir(exist_ok=True)
    for start, matrix in _embedded(embedder, [(s, chunks[s]) for s in missing], workers, cache_dir):
        done[start] = matrix
        _save_chunk(folder, start, matrix)
        bar.update(len(chunks[start]))
    bar.close()
    if not starts:
        return np.ascontiguousarray(embedder.embed_passages([]), dtype=np.float32)
    return np.ascontiguousarray(np.vstack([done[start] for start in starts]), dtype=np.float32)


def discard_checkpoints(index_dir: Path) -> None:
    """Remove every checkpoint folder in ``index_dir`` (the index they were building is complete or obsolete)."""
    for path in index_dir.glob(".embedding-*"):
        if path.is_dir() and _CHECKPOINT.fullmatch(path.name):
            shutil.rmtree(path, ignore_errors=True)


def _embedded(
    embedder: ArrayEmbeddings, chunks: list[tuple[int, list[str]]], workers: int, cache_dir: Path | None
) -> Iterable[tuple[int, np.ndarray]]:
    if workers <= 1 or len(chunks) <= 1:
        for start, chunk in chunks:
            yield start, _embed_chunk(embedder.embed_passages, chunk)
        return
    threads = max(1, (os.cpu_count() or 1) // workers)
    context = get_context("spawn")
    setup = (embedder.name, cache_dir, threads)
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=setup) as pool:
        futures = {pool.submit(_worker_chunk, chunk): start for start, chunk in chunks}
        try:
            for future in as_completed(futures):
                yield futures[future], future.result()
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def _start_worker(spec: str, cache_dir: Path | None, threads: int) -> None:
    global _worker_embedder
    _worker_embedder = load_embedder(spec, cache_dir, threads=threads)


def _worker_chunk(chunk: list[str]) -> np.ndarray:
    if _worker_embedder is None:
        raise RuntimeError("the worker's embedder was not loaded")
    return _embed_chunk(_worker_embedder.embed_passages, chunk)


def _embed_chunk(embed: Callable[[list[str]], np.ndarray], chunk: list[str]) -> np.ndarray:
    parts = [embed(chunk[i : i + _BATCH]) for i in range(0, len(chunk), _BATCH)]
    return np.ascontiguousarray(np.vstack(parts), dtype=np.float32)


def _texts_key(embedder: ArrayEmbeddings, texts: list[str]) -> str:
    digest = hashlib.sha256(embedder.id.encode())
    for text in texts:
        digest.update(b"\x00" + text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:16]


def _chunk_path(folder: Path, start: int) -> Path:
    return folder / f"chunk-{start:010d}.npy"


def _load_chunk(folder: Path, start: int, rows: int) -> np.ndarray | None:
    """A saved chunk of the right shape with finite values, or None (missing or damaged: embed it again)."""
    try:
        matrix = np.load(_chunk_path(folder, start), allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return None
    fits = matrix.ndim == 2 and matrix.shape[0] == rows and matrix.dtype == np.float32
    return matrix if fits and np.isfinite(matrix).all() else None


def _save_chunk(folder: Path, start: int, matrix: np.ndarray) -> None:
    with contextlib.suppress(FileProblem):  # a chunk that cannot be saved is embedded again after an interruption
        atomic_write(_chunk_path(folder, start), npy_bytes(matrix))
