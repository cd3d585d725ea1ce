"""Errors raised by the assistant. Each message says how to fix the problem.

Only the edges (``cli.py``, ``app.py``) turn these into exit codes or UI messages.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "AssistantError",
    "ConfigError",
    "CorpusError",
    "EmbedderUnavailableError",
    "EvalSetError",
    "IndexStoreError",
    "OutputError",
    "QuestionError",
    "UnitNotFoundError",
]


class AssistantError(Exception):
    """Base class of every error the assistant raises on purpose."""


class ConfigError(AssistantError):
    """A setting (an environment variable or option) has a value that cannot be used."""


class CorpusError(AssistantError):
    """A corpus file is missing, unreadable or malformed."""

    def __init__(self, path: Path | str, line: int | None, problem: str) -> None:
        self.path = Path(path)
        self.line = line
        self.problem = problem
        where = f"{self.path}:{line}" if line else str(self.path)
        super().__init__(f"{where}: {problem}")


class QuestionError(AssistantError):
    """The question cannot be asked as written (empty, too long)."""


class UnitNotFoundError(AssistantError):
    """A reference such as 第99条 names a unit the corpus does not have."""


class EmbedderUnavailableError(AssistantError):
    """An embedding model cannot be loaded offline."""


class IndexStoreError(AssistantError):
    """The index on disk cannot be read or written (other than being stale)."""


class OutputError(AssistantError):
    """A file cannot be written where the user asked (a folder, a missing or read-only location)."""


class EvalSetError(AssistantError):
    """An eval set or floors file given to ``eval`` is unreadable or malformed."""
