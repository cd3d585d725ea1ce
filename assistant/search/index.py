"""The search index: BM25 over jieba tokens (sparse) and FAISS over embeddings (dense).

Rows are every unit (article-level) followed by every sentence (sentence-level; a sentence is
embedded with its unit's short title as context). On disk, ``index/`` holds plain files only:
``manifest.json`` (format, corpus hash, embedders, file hashes), ``rows-<hash>.json`` (row ids and
tokens) and one ``dense-<name>-<hash>.faiss`` per embedder. Every file is written to a temporary
name and renamed; the manifest is written last. A stale or damaged index is rebuilt on load.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from ..base.config import FLAT_MAX_ROWS
from ..base.errors import ConfigError, IndexStoreError
from ..base.files import FileProblem, atomic_write, read_limited, remove_stale_temps, safe_name
from ..question.normalize import Readings, term_readings
from ..text import bridge as _bridge_module
from ..text import corpus as _corpus_module
from ..text import segment as _segment_module
from ..text.bridge import build_bridge
from ..text.cedict import cedict_identity
from ..text.corpus import Corpus, Unit
from ..text.segment import Segmenter, corpus_abbreviations, corpus_vocabulary
from . import embeddings as _embeddings_module
from .batch_embed import discard_checkpoints, embed_rows
from .embeddings import ArrayEmbeddings
from .use_cache import blas_controller

__all__ = [
    "BM25",
    "FLAT_MAX_ROWS",
    "FORMAT_VERSION",
    "ROWS_SEARCHED",
    "Row",
    "SearchIndex",
    "build_index",
    "builder_fingerprint",
    "checked_vectors",
    "load_index",
    "one_blas_thread",
    "open_index",
    "read_manifest",
]

FORMAT_VERSION = 7
MANIFEST = "manifest.json"
# Above FLAT_MAX_ROWS rows an HNSW graph answers the nearest ROWS_SEARCHED rows, and every other row gets the lowest
# of their scores.
ROWS_SEARCHED = 256
_HNSW_LINKS, _HNSW_EF_BUILD, _HNSW_EF_SEARCH = 32, 80, 256
_MAX_QUERY_EMBED_CHARS = 300
_WRITABLE_HINT = "set ASSISTANT_INDEX_DIR to a writable folder"
_MAX_MANIFEST_BYTES = 1 << 20
_MAX_ROWS_BYTES = 1 << 30
_FAISS_HEADER_BYTES = 1 << 12
_MAX_ROWS, _MAX_DIM = 1 << 31, 1 << 16
_ROWS_FILE = re.compile(r"rows-[0-9a-f]{16}\.json")
_DENSE_FILE = re.compile(r"dense-[A-Za-z0-9_.-]{1,60}-[0-9a-f]{16}\.faiss")
_INDEX_FILE = re.compile(rf"{re.escape(MANIFEST)}|{_ROWS_FILE.pattern}|{_DENSE_FILE.pattern}")
_MANIFEST_TYPES = {
    "format": int, "corpus_hash": str, "rows": dict, "embedders": list, "segmenter": str, "bridge": str, "builder": str
}  # fmt: skip
_ROWS_ENTRY = {"file": str, "sha256": str, "count": int}
_DENSE_ENTRY = {"name": str, "id": str, "dim": int, "file": str, "sha256": str, "kind": str}
_DENSE_KINDS = ("flat", "hnsw")

Notify = Callable[[str], None]
_BUILDER_MODULES = (_bridge_module, _corpus_module, _embeddings_module, _segment_module)


@dataclass(frozen=True)
class Row:
    """One indexed item: a whole unit (``sentence == 0``) or one of its sentences."""

    unit_id: str
    sentence: int

    @property
    def is_unit(self) -> bool:
        """True for the article-level row of a unit."""
        return self.sentence == 0


class BM25:
    """Okapi BM25 over pre-tokenised documents, with an inverted index of term weights."""

    def __init__(self, documents: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75) -> None:
        self.size = len(documents)
        lengths = np.array([len(d) for d in documents], dtype=np.float64)
        average = float(lengths.mean()) if self.size and lengths.mean() > 0 else 1.0
        frequencies: dict[str, dict[int, int]] = defaultdict(dict)
        for row, tokens in enumerate(documents):
            for token in tokens:
                frequencies[token][row] = frequencies[token].get(row, 0) + 1
        self.postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for token, rows in frequencies.items():
            idf = math.log(1 + (self.size - len(rows) + 0.5) / (len(rows) + 0.5))
            ids = np.fromiter(rows.keys(), dtype=np.int64)
            tf = np.fromiter(rows.values(), dtype=np.float64)
            norm = k1 * (1 - b + b * lengths[ids] / average)
            self.postings[token] = (ids, idf * tf * (k1 + 1) / (tf + norm))

    def idf(self, token: str) -> float:
        """Inverse document frequency of ``token``; a token in no document gets the highest value."""
        count = len(self.postings[token][0]) if token in self.postings else 0
        return math.log(1 + (self.size - count + 0.5) / (count + 0.5))

    def idf_at(self, share: float) -> float:
        """The IDF of a token found in ``share`` of the documents."""
        count = max(1, int(share * self.size))
        return math.log(1 + (self.size - count + 0.5) / (count + 0.5))

    def scores(self, tokens: Sequence[str], weights: Sequence[float] | None = None) -> np.ndarray:
        """BM25 score of every document for the query ``tokens``, each weighted (default 1)."""
        weight_of = dict(zip(tokens, weights, strict=True)) if weights is not None else dict.fromkeys(tokens, 1.0)
        return self.grouped_scores([([token], weight) for token, weight in weight_of.items()])

    def grouped_scores(self, groups: Sequence[tuple[Sequence[str], float]]) -> np.ndarray:
        """BM25 score of every document for weighted groups of alternative tokens (synonyms).

        A group counts once per document, with its best-scoring token there, so a word with several
        translations does not outscore a word with one just because a document uses more of them.
        """
        total = np.zeros(self.size, dtype=np.float64)
        for tokens, weight in groups:
            best = np.zeros(self.size, dtype=np.float64)
            for token in tokens:
                if token in self.postings:
                    ids, term_weights = self.postings[token]
                    best[ids] = np.maximum(best[ids], term_weights)  # a posting lists each document once
            total += weight * best
        return total

    def known(self, tokens: Sequence[str]) -> list[str]:
        """The query tokens that occur somewhere in the documents."""
        return [t for t in dict.fromkeys(tokens) if t in self.postings]


def one_blas_thread():
    """A context in which BLAS (numpy's matrix products) uses one thread. Measured on a 10x synthetic corpus: with
    OpenBLAS's own threads the next e5 query took 49 ms instead of 5.5 ms (warm p50 87 ms, 10 ms with one thread)."""
    return blas_controller().limit(limits=1, user_api="blas")


@dataclass
class DenseIndex:
    """One embedder with its FAISS inner-product index over all rows: exact (flat) or an HNSW graph."""

    embedder: ArrayEmbeddings
    index: faiss.Index

    def __post_init__(self) -> None:
        self.exact = isinstance(self.index, faiss.IndexFlat)
        if self.exact:
            # every row's score is needed, so one matrix product over the stored vectors replaces a sorted search
            self.matrix = self.index.reconstruct_n(0, self.index.ntotal) if self.index.ntotal else np.zeros((0, 1))
        else:
            self.index.hnsw.efSearch = _HNSW_EF_SEARCH

    @property
    def kind(self) -> str:
        return "flat" if self.exact else "hnsw"

    def scores(self, question: str) -> np.ndarray:
        """Cosine similarity of the question to every row, in row order (long questions embed their start).

        From an HNSW graph only the nearest ``ROWS_SEARCHED`` rows get their own score; the others get the lowest
        of those, so they rank below every row found.
        """
        query = self.embedder.embed_question(question[:_MAX_QUERY_EMBED_CHARS]).astype(np.float32)
        with one_blas_thread():  # idle BLAS threads spin and take the cores e5's OpenMP threads need next
            if self.exact:
                return (self.matrix @ query).astype(np.float64)
            found, rows = self.index.search(query[None, :], min(ROWS_SEARCHED, self.index.ntotal))
        kept = rows[0] >= 0
        scores = np.full(self.index.ntotal, float(found[0][kept].min()) if kept.any() else 0.0)
        scores[rows[0][kept]] = found[0][kept]
        return scores


def dense_index(matrix: np.ndarray, flat_max_rows: int = FLAT_MAX_ROWS) -> faiss.Index:
    """A FAISS inner-product index over ``matrix``: flat up to ``flat_max_rows`` rows, HNSW above."""
    if len(matrix) <= flat_max_rows:
        index = faiss.IndexFlatIP(matrix.shape[1])
    else:
        index = faiss.IndexHNSWFlat(matrix.shape[1], _HNSW_LINKS, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = _HNSW_EF_BUILD
    index.add(matrix)
    return index


@dataclass
class SearchIndex:
    """The loaded index: rows, their sparse models and the dense indexes, plus the corpus."""

    corpus: Corpus
    segmenter: Segmenter
    rows: list[Row]
    tokens: list[list[str]]
    dense: dict[str, DenseIndex]
    bridge: dict[str, list[str]]
    vocabulary: list[str]
    abbreviations: list[str]
    readings: Readings

    def __post_init__(self) -> None:
        self.unit_rows = np.array([i for i, r in enumerate(self.rows) if r.is_unit])
        self.sentence_rows = np.array([i for i, r in enumerate(self.rows) if not r.is_unit])
        self.unit_bm25 = BM25([self.tokens[i] for i in self.unit_rows])
        self.sentence_bm25 = BM25([self.tokens[i] for i in self.sentence_rows])
        self.units: list[Unit] = [self.corpus.unit(self.rows[i].unit_id) for i in self.unit_rows]
        position = {u.id: i for i, u in enumerate(self.units)}
        self.sentence_unit = np.array([position[self.rows[i].unit_id] for i in self.sentence_rows], dtype=np.int64)
        if np.any(np.diff(self.sentence_unit) < 0):
            raise IndexStoreError("the sentence rows are not grouped by unit")
        units = np.arange(len(self.units))
        # the sentences of unit i are sentence rows sentence_start[i]:sentence_end[i]
        self.sentence_start = np.searchsorted(self.sentence_unit, units, side="left")
        self.sentence_end = np.searchsorted(self.sentence_unit, units, side="right")


def row_texts(corpus: Corpus) -> tuple[list[Row], list[str]]:
    """Rows in index order and the text each is embedded and tokenised from."""
    rows: list[Row] = []
    texts: list[str] = []
    for unit in corpus.units:
        rows.append(Row(unit.id, 0))
        texts.append(unit.text)
    for unit in corpus.units:
        for sentence in unit.sentences:
            rows.append(Row(unit.id, sentence.index))
            context = unit.title if unit.title and unit.title not in sentence.text else ""
            texts.append(f"{context}：{sentence.text}" if context else sentence.text)
    return rows, texts


def build_index(
    corpus: Corpus,
    segmenter: Segmenter,
    embedders: Sequence[ArrayEmbeddings],
    index_dir: Path,
    progress: bool = True,
    workers: int = 1,
    cache_dir: Path | None = None,
    flat_max_rows: int = FLAT_MAX_ROWS,
    vectors: Mapping[str, np.ndarray] | None = None,
) -> SearchIndex:
    """Tokenise and embed every row, write the index files atomically and return the index.

    Embedding resumes from the chunks an interrupted build saved (see ``batch_embed``) and runs in ``workers``
    processes; ``cache_dir`` is where they load prepared model copies from. A dense index is exact up to
    ``flat_max_rows`` rows and an HNSW graph above. ``vectors`` maps an embedder's name to passage vectors
    computed elsewhere (a GPU, a batch job) for the rows of ``row_texts``, in that order; they are used as they are.

    Raises:
        ConfigError: if given vectors do not have one row per index row and the embedder's dimensions.
        IndexStoreError: if ``index_dir`` is not a writable folder (checked before the slow embedding starts).
    """
    _prepare_folder(index_dir)
    rows, texts = row_texts(corpus)
    tokens = [segmenter.tokens(t) for t in texts]
    bridge = build_bridge({t for row in tokens for t in row})
    unit_texts = [u.text for u in corpus.units]
    vocabulary = corpus_vocabulary(unit_texts, segmenter)
    abbreviations = corpus_abbreviations("\n".join(unit_texts), segmenter)
    payload = {"rows": [[r.unit_id, r.sentence] for r in rows], "tokens": tokens, "bridge": bridge}
    readings = term_readings(vocabulary)
    payload |= {"vocabulary": vocabulary, "abbreviations": abbreviations, "readings": _readings_payload(readings)}
    rows_blob = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    given = dict(vectors or {})
    unknown = sorted(set(given) - {e.name for e in embedders})
    if unknown:
        raise ConfigError(f"vectors were given for {unknown}, which the index does not use; it uses "
                          f"{[e.name for e in embedders]}")  # fmt: skip
    matrices = [
        (embedder, checked_vectors(given[embedder.name], embedder, len(texts)))
        if embedder.name in given
        else (embedder, embed_rows(embedder, texts, index_dir, workers, progress, cache_dir))
        for embedder in embedders
    ]
    try:
        rows_entry = {"file": _write_named(index_dir, "rows", ".json", rows_blob), "sha256": _sha(rows_blob)}
        embedder_entries, dense = [], {}
        for embedder, matrix in matrices:
            built = DenseIndex(embedder, dense_index(matrix, flat_max_rows))
            blob = faiss.serialize_index(built.index).tobytes()
            name = _write_named(index_dir, f"dense-{safe_name(embedder.name)}", ".faiss", blob)
            embedder_entries.append(
                {"name": embedder.name, "id": embedder.id, "dim": int(matrix.shape[1]), "file": name,
                 "sha256": _sha(blob), "kind": built.kind}
            )  # fmt: skip
            dense[embedder.name] = built
        manifest = {
            "format": FORMAT_VERSION,
            "corpus_hash": corpus.hash,
            "rows": {**rows_entry, "count": len(rows)},
            "embedders": embedder_entries,
            "segmenter": segmenter.fingerprint,
            "bridge": cedict_identity(),
            "builder": builder_fingerprint(),
        }
        atomic_write(index_dir / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8"))
        _remove_unreferenced(index_dir, manifest)
        discard_checkpoints(index_dir)
    except OSError as exc:
        reason = exc if isinstance(exc, FileProblem) else f"cannot write to {index_dir}: {exc.strerror or exc}"
        raise IndexStoreError(f"{reason}; {_WRITABLE_HINT}") from exc
    return SearchIndex(corpus, segmenter, rows, tokens, dense, bridge, vocabulary, abbreviations, readings)


def checked_vectors(matrix: np.ndarray, embedder: ArrayEmbeddings, rows: int) -> np.ndarray:
    """``matrix`` as unit-length float32 rows, after checking it has ``rows`` finite rows of the embedder's size.

    Raises:
        ConfigError: saying what shape was expected.
    """
    dim = len(embedder.embed_question("维度"))
    shape = getattr(matrix, "shape", ())
    if len(shape) != 2 or shape != (rows, dim):
        raise ConfigError(f"the vectors for {embedder.name} have shape {tuple(shape)}; {rows} rows (one per line of "
                          f"`python -m assistant rows`) of {dim} numbers are needed")  # fmt: skip
    if not np.issubdtype(getattr(matrix, "dtype", np.dtype(object)), np.floating):
        raise ConfigError(f"the vectors for {embedder.name} are {matrix.dtype}; floating-point vectors are needed")
    values = np.asarray(matrix, dtype=np.float32)
    if not np.isfinite(values).all():
        raise ConfigError(f"the vectors for {embedder.name} contain NaN or infinite values")
    norms = np.linalg.norm(values, axis=1, keepdims=True)
    if (zero := int((norms[:, 0] < 1e-6).sum())) > 0:
        raise ConfigError(f"{zero} of the vectors for {embedder.name} are all zeros; every row needs its embedding")
    return np.ascontiguousarray(values / norms)


def _prepare_folder(index_dir: Path) -> None:
    """Make sure ``index_dir`` is a folder this process can write to, and clear temp files killed writers left."""
    if index_dir.exists() and not index_dir.is_dir():
        raise IndexStoreError(f"{index_dir} is a file, not a folder; {_WRITABLE_HINT}")
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise IndexStoreError(f"cannot create {index_dir}: {exc.strerror or exc}; {_WRITABLE_HINT}") from exc
    if not os.access(index_dir, os.W_OK | os.X_OK):
        raise IndexStoreError(f"{index_dir} is not writable; {_WRITABLE_HINT}")
    remove_stale_temps(index_dir, _INDEX_FILE)


def load_index(
    corpus: Corpus, segmenter: Segmenter, embedders: Sequence[ArrayEmbeddings], index_dir: Path
) -> SearchIndex:
    """Load the index from ``index_dir`` after checking it matches the corpus and embedders.

    Raises:
        IndexStoreError: saying why the index is stale or damaged.
    """
    manifest = read_manifest(index_dir)
    try:
        if manifest["format"] != FORMAT_VERSION:
            raise IndexStoreError(f"index format {manifest['format']} is not {FORMAT_VERSION}")
        if manifest["corpus_hash"] != corpus.hash:
            raise IndexStoreError("the corpus changed since the index was built")
        if manifest["segmenter"] != segmenter.fingerprint or manifest["bridge"] != cedict_identity():
            raise IndexStoreError("the segmenter or dictionary changed since the index was built")
        if manifest["builder"] != builder_fingerprint():
            raise IndexStoreError("the code that builds the index changed since the index was built")
        wanted = [(e.name, e.id) for e in embedders]
        stored = [(e["name"], e["id"]) for e in manifest["embedders"]]
        if wanted != stored:
            raise IndexStoreError(f"the index was built with embedders {stored}, not {wanted}")
        count = manifest["rows"]["count"]
        rows_blob = _read_checked(index_dir, manifest["rows"], _MAX_ROWS_BYTES)
        payload = json.loads(rows_blob)
        rows = [Row(unit_id, sentence) for unit_id, sentence in payload["rows"]]
        tokens = payload["tokens"]
        if len(rows) != count or rows != row_texts(corpus)[0] or not _token_lists(tokens, count):
            raise IndexStoreError("the row file does not match the manifest and the corpus")
        if not _bridge_shape(payload["bridge"]):
            raise IndexStoreError("the row file's dictionary bridge is damaged")
        if not all(_strings(payload[key]) for key in ("vocabulary", "abbreviations")):
            raise IndexStoreError("the row file's vocabulary is damaged")
        readings = _stored_readings(payload["readings"], payload["vocabulary"])
        dense = {}
        for entry, embedder in zip(manifest["embedders"], embedders, strict=True):
            graph_bytes = count * _HNSW_LINKS * 2 * 4 * 2 if entry["kind"] == "hnsw" else 0
            blob = _read_checked(index_dir, entry, count * entry["dim"] * 4 + graph_bytes + _FAISS_HEADER_BYTES)
            stored = faiss.deserialize_index(np.frombuffer(blob, dtype=np.uint8))
            if not _fits(stored, entry, len(rows)):
                raise IndexStoreError(f"{entry['file']} does not match the rows")
            dense[embedder.name] = DenseIndex(embedder, stored)
        return SearchIndex(
            corpus, segmenter, rows, tokens, dense, payload["bridge"], payload["vocabulary"], payload["abbreviations"],
            readings,
        )  # fmt: skip
    except IndexStoreError:
        raise
    except (KeyError, TypeError, ValueError, RuntimeError, UnicodeDecodeError, IndexError) as exc:
        raise IndexStoreError(f"the index is damaged ({type(exc).__name__}: {exc})") from exc


def _fits(stored: faiss.Index, entry: dict, rows: int) -> bool:
    """A deserialized index is the kind the manifest names, over inner products, with one vector per row."""
    kind = faiss.IndexFlatIP if entry["kind"] == "flat" else faiss.IndexHNSWFlat
    metric_ok = stored.metric_type == faiss.METRIC_INNER_PRODUCT
    return type(stored) is kind and metric_ok and stored.ntotal == rows and stored.d == entry["dim"]


def _token_lists(tokens: object, count: int) -> bool:
    return (
        isinstance(tokens, list)
        and len(tokens) == count
        and all(isinstance(row, list) and all(isinstance(t, str) for t in row) for row in tokens)
    )


def _readings_payload(readings: Readings) -> dict[str, object]:
    return {
        "terms": [" ".join(s) for s in readings.terms.values()],
        "chars": {c: " ".join(s) for c, s in readings.chars.items()},
    }


def _stored_readings(stored: object, vocabulary: list[str]) -> Readings:
    """The ``Readings`` the row file stores for ``vocabulary``.

    Raises:
        IndexStoreError: if they are missing or do not fit the vocabulary.
    """
    terms = stored.get("terms") if isinstance(stored, dict) else None
    chars = stored.get("chars") if isinstance(stored, dict) else None
    if not (_strings(terms) and len(terms) == len(vocabulary) and isinstance(chars, dict)):
        raise IndexStoreError("the row file's pinyin readings are damaged")
    term_syllables = [tuple(t.split()) for t in terms]
    char_syllables = {c: tuple(r.split()) for c, r in chars.items() if isinstance(r, str)}
    if len(char_syllables) != len(chars) or any(
        len(syllables) != len(term) for syllables, term in zip(term_syllables, vocabulary, strict=True)
    ):
        raise IndexStoreError("the row file's pinyin readings do not fit its vocabulary")
    return Readings(dict(zip(vocabulary, term_syllables, strict=True)), char_syllables)


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _bridge_shape(bridge: object) -> bool:
    return isinstance(bridge, dict) and all(
        isinstance(words, list) and all(isinstance(w, str) for w in words) for words in bridge.values()
    )


def read_manifest(index_dir: Path) -> dict:
    """The manifest of ``index_dir``, checked against its schema before anything it names is touched: a JSON object
    of the known keys and types, whose file names are plain names of index files inside the folder.

    Raises:
        IndexStoreError: if there is no manifest or it does not fit the schema (the index must be rebuilt).
    """
    path = index_dir / MANIFEST
    if not path.is_file():
        raise IndexStoreError(f"no index in {index_dir}")
    try:
        manifest = json.loads(read_limited(path, _MAX_MANIFEST_BYTES))
    except (FileProblem, ValueError, RecursionError) as exc:
        raise IndexStoreError(f"the manifest is unreadable ({exc})") from exc
    problem = _schema_problem(manifest)
    if problem:
        raise IndexStoreError(f"the manifest is damaged: {problem}")
    return manifest


def _schema_problem(manifest: object) -> str:
    """What makes ``manifest`` unlike one ``build_index`` writes, or "" when it fits."""
    if not isinstance(manifest, dict):
        return f"a JSON object is expected, not {type(manifest).__name__}"
    if set(manifest) != set(_MANIFEST_TYPES):
        return f"the keys are {sorted(manifest)}, not {sorted(_MANIFEST_TYPES)}"
    for key, kind in _MANIFEST_TYPES.items():
        if not isinstance(manifest[key], kind) or isinstance(manifest[key], bool):
            return f"{key!r} is not a {kind.__name__}"
    entries = [("rows", manifest["rows"], _ROWS_FILE, _ROWS_ENTRY)]
    entries += [("embedders", entry, _DENSE_FILE, _DENSE_ENTRY) for entry in manifest["embedders"]]
    for key, entry, file_name, fields in entries:
        if not isinstance(entry, dict) or set(entry) != set(fields):
            return f"an entry of {key!r} does not have the keys {sorted(fields)}"
        for field, kind in fields.items():
            if not isinstance(entry[field], kind) or isinstance(entry[field], bool):
                return f"{field!r} of {key!r} is not a {kind.__name__}"
        if not file_name.fullmatch(entry["file"]):
            return f"{entry['file']!r} is not the name of an index file"
        if not re.fullmatch(r"[0-9a-f]{64}", entry["sha256"]):
            return f"{entry['sha256']!r} is not a SHA-256 digest"
    if any(entry["kind"] not in _DENSE_KINDS for entry in manifest["embedders"]):
        return f"a dense index kind is not one of {list(_DENSE_KINDS)}"
    dims_ok = all(0 < e["dim"] <= _MAX_DIM for e in manifest["embedders"])
    if not 0 <= manifest["rows"]["count"] <= _MAX_ROWS or not dims_ok:
        return "a count or dimension is out of range"
    return ""


def open_index(
    corpus: Corpus,
    segmenter: Segmenter,
    embedders: Sequence[ArrayEmbeddings],
    index_dir: Path,
    notify: Notify | None = None,
    progress: bool = True,
    **build_options: Any,
) -> SearchIndex:
    """Load the index, or rebuild it (with a one-line notice) when it is missing, stale or damaged.

    ``build_options`` are ``build_index``'s keyword arguments (workers, cache_dir, flat_max_rows) for that rebuild.
    """
    try:
        return load_index(corpus, segmenter, embedders, index_dir)
    except IndexStoreError as problem:
        if notify:
            notify(f"Building the index in {index_dir} ({problem}).")
        return build_index(corpus, segmenter, embedders, index_dir, progress=progress, **build_options)


@cache
def builder_fingerprint() -> str:
    """Hash of the source of the modules whose code decides what the index stores (units, tokens, bridge, vectors).

    Editing any of them makes existing indexes stale, so a changed rule never meets an index built by the old one.
    """
    digest = hashlib.sha256()
    for source in [*(module.__file__ for module in _BUILDER_MODULES), __file__]:
        digest.update(Path(source).read_bytes())
    return digest.hexdigest()[:16]


def _sha(blob: bytes) -> str:
    return hashlib.sha256(blob).hexdigest()


def _write_named(index_dir: Path, stem: str, suffix: str, blob: bytes) -> str:
    name = f"{stem}-{_sha(blob)[:16]}{suffix}"
    existing = index_dir / name
    if not existing.is_file() or existing.stat().st_size != len(blob) or _sha(existing.read_bytes()) != _sha(blob):
        atomic_write(existing, blob)
    return name


def _read_checked(index_dir: Path, entry: dict, limit: int) -> bytes:
    """The bytes of the index file a (validated) manifest entry names, checked against its size limit and digest."""
    path = index_dir / entry["file"]
    if not path.exists():
        raise IndexStoreError(f"{entry['file']} is missing")
    try:
        blob = read_limited(path, limit)
    except FileProblem as exc:
        raise IndexStoreError(f"{entry['file']} is unusable ({exc})") from exc
    if _sha(blob) != entry["sha256"]:
        raise IndexStoreError(f"{entry['file']} is damaged (checksum mismatch)")
    return blob


def _remove_unreferenced(index_dir: Path, manifest: dict) -> None:
    keep = {manifest["rows"]["file"]} | {e["file"] for e in manifest["embedders"]}
    for path in index_dir.glob("*"):
        if path.name not in keep and (_ROWS_FILE.fullmatch(path.name) or _DENSE_FILE.fullmatch(path.name)):
            path.unlink(missing_ok=True)
