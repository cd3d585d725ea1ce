"""Paths and defaults, overridable by environment variables."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["MAX_QUESTION_CHARS", "PROJECT_ROOT", "Settings", "default_cache_dir"]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MAX_QUESTION_CHARS = 1000
DEFAULT_EMBEDDERS = ("e5", "use")


def default_cache_dir() -> Path:
    """A writable cache directory: $ASSISTANT_CACHE_DIR, else XDG cache, else the temp dir."""
    explicit = os.environ.get("ASSISTANT_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    candidate = Path(xdg) / "shiganjia-assistant"
    try:
        candidate.mkdir(parents=True, exist_ok=True)
        if os.access(candidate, os.W_OK):
            return candidate
    except OSError:
        pass
    return Path(tempfile.gettempdir()) / "shiganjia-assistant"


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value) if value else default


def _env_embedders() -> tuple[str, ...]:
    value = os.environ.get("ASSISTANT_EMBEDDERS")
    if not value:
        return DEFAULT_EMBEDDERS
    return tuple(name.strip() for name in value.split(",") if name.strip())


@dataclass(frozen=True)
class Settings:
    """Where the corpus, index and caches live, and which embedders the index uses.

    Attributes:
        corpus_dir: folder of ``*.txt`` documents with ``*.json`` metadata side files.
        index_dir: folder the built index is written to.
        cache_dir: writable folder for the segmenter's cache.
        embedders: embedder specs, e.g. ``("e5",)``, ``("e5", "use")`` or
            ``("st:BAAI/bge-small-zh-v1.5",)``; an empty tuple means sparse retrieval only.
    """

    corpus_dir: Path = field(default_factory=lambda: _env_path("ASSISTANT_CORPUS_DIR", PROJECT_ROOT / "corpus"))
    index_dir: Path = field(default_factory=lambda: _env_path("ASSISTANT_INDEX_DIR", PROJECT_ROOT / "index"))
    cache_dir: Path = field(default_factory=default_cache_dir)
    embedders: tuple[str, ...] = field(default_factory=_env_embedders)
