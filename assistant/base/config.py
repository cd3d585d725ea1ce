"""Paths and defaults, overridable by environment variables."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from .errors import ConfigError

__all__ = [
    "FLAT_MAX_ROWS",
    "MAX_CORPUS_FILE_BYTES",
    "MAX_QUESTION_CHARS",
    "PROJECT_ROOT",
    "Settings",
    "default_cache_dir",
    "parse_seconds",
]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MAX_QUESTION_CHARS = 1000


MAX_CORPUS_FILE_BYTES = 1 << 20  # per corpus file, unless ASSISTANT_MAX_FILE_BYTES says otherwise; the texts are ~20 KB


_FILE_BYTES = (MAX_CORPUS_FILE_BYTES, 1 << 40)  # default and maximum of ASSISTANT_MAX_FILE_BYTES
# Up to this many rows a dense index is exact (flat): one matrix product per question, about 5 ms per embedder at
# 100,000 rows of 384 dimensions on one core here (1.3 ms at 30,000). Above it the index is an HNSW graph.
FLAT_MAX_ROWS = 100_000
_FLAT_ROWS = (FLAT_MAX_ROWS, 1 << 31)  # default and maximum of ASSISTANT_FLAT_MAX_ROWS
_MAX_WORKERS = 64


def _env_count(name: str, default: int, maximum: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= maximum:
        raise ConfigError(
            f"{name} must be a whole number from 1 to {maximum}, not {value[:40]!r}; unset it for the default {default}"
        )
    return int(value)


DEFAULT_EMBEDDERS = ("e5", "use")
FIRST_TOKEN_SECONDS = 120.0  # the LLM's time to its first token (prompt reading), by default
IDLE_SECONDS = 30.0  # and between two tokens


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
    if value.strip().lower() == "none":  # sparse retrieval only
        return ()
    return tuple(name.strip() for name in value.split(",") if name.strip())


def parse_seconds(text: str) -> float | None:
    """A positive, finite number of seconds written as ``text``, or None."""
    try:
        seconds = float(text)
    except ValueError:
        return None
    return seconds if 0 < seconds < float("inf") else None


def _env_seconds(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    seconds = parse_seconds(value)
    if seconds is None:
        raise ConfigError(f"{name} must be a positive number of seconds, not {value!r}; unset it for {default:g}")
    return seconds


def _url_problem(url: str) -> str:
    """What is wrong with an endpoint URL, or "" when it can be used."""
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        return "contains spaces or control characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (parsing the port is the check)
    except ValueError as exc:
        return f"is not a URL ({exc})"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "is not an http(s) URL with a host"
    return ""


@dataclass(frozen=True)
class LLMConfig:
    """Where the OpenAI-compatible endpoint is, which model to use, and how long to wait for it.

    Attributes:
        timeout: seconds to wait for the first token (ASSISTANT_LLM_TIMEOUT, ``--llm-timeout``). A small model on a
            laptop CPU reads the prompt first: Qwen2.5-1.5B took 9-42 s to its first token here.
        idle_timeout: seconds to wait for each next token (ASSISTANT_LLM_IDLE_TIMEOUT, ``--llm-idle-timeout``);
            the same model writes 4-9 tokens a second, so a pause this long means it is stuck.
    """

    base_url: str
    model: str
    api_key: str = ""
    timeout: float = FIRST_TOKEN_SECONDS
    idle_timeout: float = IDLE_SECONDS

    def __post_init__(self) -> None:
        problem = _url_problem(self.base_url)
        if problem:
            raise ConfigError(
                f"the LLM endpoint {self.base_url[:80]!r} {problem}; give an http(s) URL such as http://127.0.0.1:8080/v1"
            )

    @classmethod
    def resolve(
        cls,
        base_url: str | None = None,
        model: str | None = None,
        api_key: str | None = None,
        timeout: float | None = None,
        disabled: bool = False,
        idle_timeout: float | None = None,
    ) -> LLMConfig | None:
        """The environment's configuration with any given value taking precedence; None when disabled or unset."""
        if disabled:
            return None
        env = cls.from_env()
        url = base_url or (env.base_url if env else "")
        if not url:
            return None
        return cls(
            base_url=url,
            model=model or (env.model if env else "default"),
            api_key=api_key or (env.api_key if env else ""),
            timeout=timeout or (env.timeout if env else FIRST_TOKEN_SECONDS),
            idle_timeout=idle_timeout or (env.idle_timeout if env else IDLE_SECONDS),
        )

    @classmethod
    def from_env(cls) -> LLMConfig | None:
        """The configuration from ASSISTANT_LLM_* variables, or None when no endpoint is set."""
        base_url = os.environ.get("ASSISTANT_LLM_BASE_URL", "").strip()
        if not base_url:
            return None
        return cls(
            base_url=base_url,
            model=os.environ.get("ASSISTANT_LLM_MODEL", "").strip() or "default",
            api_key=os.environ.get("ASSISTANT_LLM_API_KEY", ""),
            timeout=_env_seconds("ASSISTANT_LLM_TIMEOUT", FIRST_TOKEN_SECONDS),
            idle_timeout=_env_seconds("ASSISTANT_LLM_IDLE_TIMEOUT", IDLE_SECONDS),
        )


@dataclass(frozen=True)
class Settings:
    """Where the corpus, index and caches live, and which embedders the index uses.

    Attributes:
        corpus_dir: folder of ``*.txt`` documents with ``*.json`` metadata side files.
        index_dir: folder the built index is written to.
        cache_dir: writable folder for the segmenter's cache.
        embedders: embedder specs, e.g. ``("e5",)``, ``("e5", "use")`` or
            ``("st:BAAI/bge-small-zh-v1.5",)``; an empty tuple means sparse retrieval only.
        llm: an OpenAI-compatible endpoint for generative answers (ASSISTANT_LLM_*); None: extractive only.
        max_file_bytes: the size limit of one corpus file (ASSISTANT_MAX_FILE_BYTES, default 1 MiB).
        build_workers: processes that embed the corpus in a build (ASSISTANT_BUILD_WORKERS, default 1).
        flat_max_rows: the most rows an exact (flat) dense index holds; above it, HNSW
            (ASSISTANT_FLAT_MAX_ROWS, default 100000).
        model_threads: threads one question's e5 embedding may use (ASSISTANT_MODEL_THREADS); None: up to 4 of
            the cores. A server answering several questions at once wants 1: the questions are the parallelism.

    Raises:
        ConfigError: if an environment variable has a value that cannot be used.
    """

    corpus_dir: Path = field(default_factory=lambda: _env_path("ASSISTANT_CORPUS_DIR", PROJECT_ROOT / "corpus"))
    index_dir: Path = field(default_factory=lambda: _env_path("ASSISTANT_INDEX_DIR", PROJECT_ROOT / "index"))
    cache_dir: Path = field(default_factory=default_cache_dir)
    embedders: tuple[str, ...] = field(default_factory=_env_embedders)
    llm: LLMConfig | None = field(default_factory=lambda: LLMConfig.from_env())
    max_file_bytes: int = field(default_factory=lambda: _env_count("ASSISTANT_MAX_FILE_BYTES", *_FILE_BYTES))
    build_workers: int = field(default_factory=lambda: _env_count("ASSISTANT_BUILD_WORKERS", 1, _MAX_WORKERS))
    flat_max_rows: int = field(default_factory=lambda: _env_count("ASSISTANT_FLAT_MAX_ROWS", *_FLAT_ROWS))
    model_threads: int | None = field(default_factory=lambda: _env_count("ASSISTANT_MODEL_THREADS", 0, 64) or None)
