"""Question normalization, before anything else reads the question.

Steps, in order:
1. control characters and surplus whitespace removed (``clean_question``);
2. Traditional → Simplified characters (OpenCC ``t2s``);
3. full-width → half-width letters, digits and punctuation (NFKC), then markup a chat window would render taken out
   (``without_markup``: links, images, addresses, tags);
4. colloquial question words read as their standard forms (啥 → 什么, 咋 → 怎么, 啥时候 → 什么时候), so every later
   stage recognises what is asked however casually it is typed;
5. enumerations the corpus writes with 、 matched with or without their separators (严真细实快 → 严、真、细、实、快);
6. near-miss spellings repaired against the corpus's own vocabulary by pinyin (容错纠措 → 容错纠错): a window of the
   question that is not a word of the corpus or of jieba's dictionary, reads like exactly one corpus term of three or
   more characters, and differs from it in few characters, is replaced by that term. Every repair is reported, so
   the answer can say how the question was read;
7. a part or article named by its title, or by a piece of it no other title shares, and what it is
   (组织保障那部分, “树牢用人导向”这一条), read as its number (第五部分, 第11条) and reported like a repair;
8. an article counted within its part (第五部分第二条, part 2 article 1) read as its own number (第15条).

The vocabulary comes from the corpus (quoted terms, titles, words, two-word compounds); nothing is hard-coded.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import opencc

from ..text.corpus import ARTICLE, PART, POLICY, Corpus, Document, enumerations
from ..text.segment import Segmenter, corpus_vocabulary
from .query import clean_question, parse_reference

__all__ = [
    "Correction",
    "NormalizedQuestion",
    "Normalizer",
    "Readings",
    "corpus_enumerations",
    "fuzzy_syllable",
    "term_readings",
    "without_markup",
]

_CJK = re.compile(r"[\u4e00-\u9fff]")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_SEPARATORS = r"[、，,/／\s·・.]*"
# Initials and finals that IMEs and regional accents confuse: zh/z, ch/c, sh/s, n/l, -ng/-n.
_FUZZY = ((r"^zh", "z"), (r"^ch", "c"), (r"^sh", "s"), (r"^l", "n"), (r"ng$", "n"))
_MAX_READING_COMBINATIONS = 64  # a window of many polyphonic characters is read by each one's first reading
_T2S = opencc.OpenCC("t2s")
_LINK_MARKUP = re.compile(r"!?\[([^\]\n]{0,200})\]\([^)\n]{0,1000}\)")
_ADDRESS_TAIL = r"[^\s“”‘’\"'<>（）()，。？！、]+"
_ADDRESS = re.compile(
    rf"(?:\b[a-z][a-z0-9+.-]*:)?//{_ADDRESS_TAIL}|\bwww\.{_ADDRESS_TAIL}|\b(?:mailto|javascript|data):{_ADDRESS_TAIL}",
    re.I,
)
_TAG = re.compile(r"<\s*/?\s*[a-z!][^>]{0,500}>", re.I)
_ENTITY = re.compile(r"&#?\w{1,32};")
_MARK_CHARACTERS = str.maketrans(dict.fromkeys("|~$\\`<>[]", " "))  # later steps would undo full-width look-alikes
# Spoken and regional question words → standard ones (Mandarin grammar, not this corpus), longest first.
_COLLOQUIAL = (
    ("啥时候", "什么时候"), ("多会儿", "什么时候"), ("几时", "什么时候"), ("为啥", "为什么"), ("干啥", "做什么"),
    ("咋样", "怎么样"), ("咋办", "怎么办"), ("咋", "怎么"), ("啥", "什么"), ("甚么", "什么"), ("干嘛", "做什么"),
    ("干吗", "做什么"),
)  # fmt: skip
_COLLOQUIAL_RE = re.compile("|".join(re.escape(typed) for typed, _ in _COLLOQUIAL))
_STANDARD = dict(_COLLOQUIAL)


@dataclass(frozen=True)
class Correction:
    """A near-miss spelling in the question (``typed``) read as the corpus term ``term``."""

    typed: str
    term: str


@dataclass(frozen=True)
class NormalizedQuestion:
    """The question as typed (cleaned) and as the assistant reads it, with the spelling repairs made."""

    original: str
    text: str
    corrections: tuple[Correction, ...] = ()


@lru_cache(maxsize=4096)
def fuzzy_syllable(syllable: str) -> str:
    """A toneless pinyin syllable with commonly confused initials and finals merged (``zhi`` → ``zi``)."""
    for pattern, replacement in _FUZZY:
        syllable = re.sub(pattern, replacement, syllable)
    return syllable


def _is_common(char: str) -> bool:
    try:
        char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


@dataclass(frozen=True)
class Readings:
    """The pinyin the spelling repair compares, computed once with pypinyin (the index stores it, so a start-up
    does not import pypinyin's phrase tables: 0.25 s with reading the vocabulary).

    Attributes:
        terms: each vocabulary term's fuzzy syllables, read in context (重 in 重要 is zhong, in 重新 chong).
        chars: for each common character (GB 2312, the 6,763 an IME offers first) with a reading some term uses,
            the fuzzy syllables of those of its readings.
    """

    terms: Mapping[str, tuple[str, ...]]
    chars: Mapping[str, tuple[str, ...]]


def term_readings(vocabulary: Iterable[str]) -> Readings:
    """The ``Readings`` of ``vocabulary``, from pypinyin's phrase and character tables."""
    from pypinyin import lazy_pinyin
    from pypinyin.contrib.tone_convert import to_normal
    from pypinyin.pinyin_dict import pinyin_dict

    terms = {term: tuple(fuzzy_syllable(s) for s in lazy_pinyin(term)) for term in vocabulary}
    used = {syllable for syllables in terms.values() for syllable in syllables}
    chars = {}
    for code, written in pinyin_dict.items():
        if not _is_common(chr(code)):
            continue
        syllables = dict.fromkeys(fuzzy_syllable(to_normal(r)) for r in written.split(","))
        kept = tuple(s for s in syllables if s in used)
        if kept:
            chars[chr(code)] = kept
    return Readings(terms, chars)


def without_markup(text: str) -> str:
    """``text`` with what a chat window would render instead of showing: a Markdown link or image keeps only its
    text; web addresses, HTML tags and entities go, and so do table, strike-through, formula and escape marks. An
    answer repeats words of the question (原文没有提到“…”), so a question must not be able
    to put a link or an image into it."""
    text = _LINK_MARKUP.sub(r"\1", text)
    text = _ADDRESS.sub(" ", _TAG.sub(" ", text))
    text = _ENTITY.sub(" ", text).translate(_MARK_CHARACTERS)
    return re.sub(r"\s{2,}", " ", text).strip()


def corpus_enumerations(texts: Iterable[str]) -> list[tuple[str, ...]]:
    """Each enumeration written with 、 whose items have the same length (严、真、细、实、快; 韧劲、快劲、细劲), once.

    The inner items fix the length; the first and last items are cut to it from the text around them.
    """
    return list(dict.fromkeys(items for text in texts for _, _, items in enumerations(text)))


class Normalizer:
    """Normalizes questions against one corpus.

    Args:
        corpus: the parsed corpus; its text gives the enumerations and the spelling vocabulary.
        segmenter: the corpus segmenter (its words and jieba's dictionary tell real words from typos).
        vocabulary: the terms a typo may aim at; by default the corpus's (``corpus_vocabulary``).
        readings: their pinyin as the index stores it; by default read with pypinyin now.
    """

    def __init__(
        self,
        corpus: Corpus,
        segmenter: Segmenter,
        vocabulary: Iterable[str] | None = None,
        readings: Readings | None = None,
    ) -> None:
        texts = [unit.text for unit in corpus.units]
        self._corpus_text = "\n".join(texts)
        self._dictionary = segmenter.dictionary
        self._enumerations = [
            (re.compile(_SEPARATORS.join(map(re.escape, items))), "、".join(items))
            for items in corpus_enumerations(texts)
        ]
        if readings is None:
            readings = term_readings(corpus_vocabulary(texts, segmenter) if vocabulary is None else vocabulary)
        self._chars = readings.chars
        self._by_reading: dict[tuple[str, ...], set[str]] = defaultdict(set)
        for term, syllables in readings.terms.items():
            self._by_reading[tuple(syllables)].add(term)
        self._lengths = sorted({len(key) for key in self._by_reading}, reverse=True)
        self._unit_names = unit_names(corpus)
        self._corpus = corpus

    def normalize(self, question: str) -> NormalizedQuestion:
        """Clean, simplify, narrow and repair ``question``.

        Raises:
            QuestionError: if the question is empty or too long.
        """
        original = clean_question(question)
        # a question that was nothing but markup is read as a question about nothing: refused, never repeated
        text = without_markup(unicodedata.normalize("NFKC", _T2S.convert(original))) or "？"
        text = _COLLOQUIAL_RE.sub(lambda match: _STANDARD[match.group(0)], text)
        for pattern, canonical in self._enumerations:
            text = pattern.sub(canonical, text)
        text, corrections = self._repair(text)
        text, named = _read_unit_names(text, self._unit_names)
        text, counted = self._read_part_articles(text)
        return NormalizedQuestion(original, text, corrections + named + counted)

    def _policy_of(self, text: str) -> Document | None:
        """The policy document ``text`` names, else the only one; None when there are several and it names none."""
        policies = self._corpus.documents_of_kind(POLICY)
        named = [d for _, d in self._corpus.mentions(text) if d.kind == POLICY]
        return named[0] if named else (policies[0] if len(policies) == 1 else None)

    def _read_part_articles(self, text: str) -> tuple[str, tuple[Correction, ...]]:
        """第五部分第二条 / part 2 article 1: the N-th article of that part, read as its own number (第15条)."""
        match = _PART_ARTICLE.search(text)
        policy = self._policy_of(text) if match else None
        if match is None or policy is None:
            return text, ()
        part = parse_reference(match.group("part"))
        article = parse_reference(match.group("article"))
        if not part or not article or part[0].kind != PART or article[0].kind != ARTICLE:
            return text, ()
        members = [u.number for u in policy.part_members(part[0].number or 0) if u.kind == ARTICLE]
        number = article[0].number or 0
        if number in members:  # the article's own number (第四部分第11条)
            reference = f"第{number}条"
        elif 0 < number <= len(members):
            reference = f"第{members[number - 1]}条"
        else:
            return text, ()
        return text[: match.start()] + reference + text[match.end() :], (Correction(match.group(0), reference),)

    def _repair(self, text: str) -> tuple[str, tuple[Correction, ...]]:
        """Replace near-miss spellings of corpus terms; only unambiguous, non-overlapping repairs, longest first."""
        found: list[tuple[int, int, str]] = []
        for run in _CJK_RUN.finditer(text):
            options = [self._chars.get(char, ()) for char in run.group(0)]
            found += [
                (run.start() + s, run.start() + e, term) for s, e, term in self._candidates(run.group(0), options)
            ]
        chosen: list[tuple[int, int, str]] = []
        for start, end, term in sorted(found, key=lambda c: (-(c[1] - c[0]), c[0])):
            if all(end <= s or start >= e for s, e, _ in chosen):
                chosen.append((start, end, term))
        corrections = []
        for start, end, term in sorted(chosen, reverse=True):
            corrections.append(Correction(text[start:end], term))
            text = text[:start] + term + text[end:]
        return text, tuple(reversed(corrections))

    def _candidates(self, run: str, options: Sequence[tuple[str, ...]]) -> Iterable[tuple[int, int, str]]:
        """Windows of ``run`` that read like exactly one term (``options``: each character's possible syllables)."""
        for length in self._lengths:
            for start in range(len(run) - length + 1):
                typed = run[start : start + length]
                terms = self._terms_read_as(options[start : start + length])
                if not terms or typed in terms or not self._is_typo(typed):
                    continue
                close = [t for t in terms if 0 < sum(a != b for a, b in zip(t, typed, strict=True)) <= length // 3]
                if len(close) == 1:
                    yield start, start + length, close[0]

    def _terms_read_as(self, options: Sequence[tuple[str, ...]]) -> set[str]:
        """The terms whose reading is one of the readings of a window (any reading of each of its characters)."""
        if not all(options):
            return set()
        if math.prod(len(o) for o in options) > _MAX_READING_COMBINATIONS:
            options = [o[:1] for o in options]
        found: set[str] = set()
        for syllables in itertools.product(*options):
            found |= self._by_reading.get(syllables, set())
        return found

    def _is_typo(self, typed: str) -> bool:
        """A window that is neither in the corpus nor a word of jieba's dictionary."""
        return typed not in self._corpus_text and not self._dictionary.get(typed)


_PART_ARTICLE = re.compile(
    r"(?P<part>第\s*[\d〇零一二两三四五六七八九十]+\s*(?:部分|板块|块|章)|\bpart\s+\w+)\s*(?:的|里的?|中的?|,|，)?\s*"
    r"(?P<article>第\s*[\d〇零一二两三四五六七八九十]+\s*条|\barticle\s+\w+)",
    re.I,
)
_NAME_SUFFIX = {PART: "(?:部分|板块|块|章)", ARTICLE: "条"}
_ANY_NAME_SUFFIX = re.compile("|".join(_NAME_SUFFIX.values()))
_MIN_NAME_CHARS = 4
_QUOTE_CHARS = "“”\"'"


@dataclass(frozen=True)
class UnitName:
    """A piece of a part's or article's title that names it alone, and the reference it stands for."""

    piece: str
    suffix: str
    reference: str

    @property
    def pattern(self) -> re.Pattern[str]:
        """The name as typed: quotes optional between its characters, then what the unit is (那部分, 这一条)."""
        return _name_pattern(self.piece, self.suffix)


@lru_cache(maxsize=4096)
def _name_pattern(piece: str, suffix: str) -> re.Pattern[str]:
    quote = f"[{_QUOTE_CHARS}]?"
    spelled = quote + quote.join(map(re.escape, piece)) + quote
    return re.compile(f"{spelled}(?:这|那)?一?个?{suffix}")


def unit_names(corpus: Corpus) -> list[UnitName]:
    """The parts and articles of the policy documents named by title, longest names first.

    A name is the title or any piece of it of four characters or more that no other title contains; it must be
    followed by what the unit is (那部分, 这一条). With several policy documents the number it stands for carries the
    document's short name (《规定》第4条). Patterns are compiled only when a question contains the name.
    """
    policies = corpus.documents_of_kind(POLICY)
    qualify = len(policies) > 1
    units = [u for d in policies for u in d.units if u.kind in _NAME_SUFFIX and u.number]
    plain = {u.id: re.sub(f"[{_QUOTE_CHARS}]", "", u.title) for u in units}
    owners: dict[str, set[str]] = defaultdict(set)
    for unit in units:
        title = plain[unit.id]
        for start in range(len(title)):
            for end in range(start + _MIN_NAME_CHARS, len(title) + 1):
                owners[title[start:end]].add(unit.id)
    by_id = {u.id: u for u in units}
    names = []
    for piece, ids in owners.items():
        if len(ids) != 1:
            continue
        unit = by_id[next(iter(ids))]
        names.append(UnitName(piece, _NAME_SUFFIX[unit.kind], (unit.short if qualify else "") + unit.reference))
    return sorted(names, key=lambda n: -len(n.piece))


def _read_unit_names(text: str, names: list[UnitName]) -> tuple[str, tuple[Correction, ...]]:
    """Replace the first unit named by title with its number (a question names one unit this way, if any)."""
    if not _ANY_NAME_SUFFIX.search(text):
        return text, ()
    unquoted = re.sub(f"[{_QUOTE_CHARS}]", "", text)
    for name in names:
        if name.piece not in unquoted:  # the pattern cannot match without the piece
            continue
        match = name.pattern.search(text)
        if match:
            typed = re.sub(f"[{_QUOTE_CHARS}]", "", match.group(0))
            return text[: match.start()] + name.reference + text[match.end() :], (Correction(typed, name.reference),)
    return text, ()
