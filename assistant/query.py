"""Question parsing: cleaning, unit references (第13条, article 13, 第四部分, 序言, 第6段), language, list intent."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .config import MAX_QUESTION_CHARS
from .errors import QuestionError
from .numerals import CN_COUNTS, CN_DIGITS, cn_to_int

__all__ = ["ParsedQuestion", "Reference", "clean_question", "parse_question", "parse_reference", "strip_references"]

ARTICLE, PART, PREAMBLE, PARAGRAPH = "article", "part", "preamble", "paragraph"
_NUM = rf"[{CN_DIGITS}\d]+"
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9, "x": 10}

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (ARTICLE, re.compile(rf"第\s*({_NUM})\s*条")),
    # "13条" names an article only at the start or after punctuation or a document name, not in "哪3条", "2条措施"
    (ARTICLE, re.compile(r"(?:^|(?<=[\s,，。？?！!、:：“”《》(（])|(?<=意见))(\d{1,3})\s*条(?![例件款])")),
    (ARTICLE, re.compile(r"\b(?:articles?|art\.?|clause|item)\s*(?:no\.?\s*|#\s*)?(\d{1,3})\b", re.I)),
    (PART, re.compile(rf"第\s*({_NUM})\s*部分")),
    (PART, re.compile(r"\b(?:part|section)\s*(\d{1,2}|[ivx]{1,4})\b", re.I)),
    (PARAGRAPH, re.compile(rf"第\s*({_NUM})\s*段")),
    (PARAGRAPH, re.compile(r"\b(?:paragraph|para\.?)\s*(\d{1,2})\b", re.I)),
    (PREAMBLE, re.compile(r"(序言|前言|引言|\bpreamble\b)", re.I)),
    (ARTICLE, re.compile(r"(最后一条|末条|\blast article\b)", re.I)),
    (PART, re.compile(r"(最后一(?:个)?部分|\blast part\b)", re.I)),
    (PARAGRAPH, re.compile(r"(最后一段|末段|结尾段|\blast paragraph\b)", re.I)),
]
LAST = -1  # a reference number meaning "the last one" (最后一条, last paragraph)
_LAST_WORDS = re.compile(r"最后|末|结尾|last", re.I)
_BARE_NUMBER = re.compile(rf"^\s*(?:第\s*)?({_NUM})\s*[.。？?]?\s*$")
_COMMENTARY_HINT = re.compile(r"评论员|评论|社论|commentary|editorial", re.I)
_DOCUMENT_NAME = re.compile(
    r"《[^》]{0,40}》|评论员文章|评论员|评论|社论|意见|\b(?:the )?(?:commentary|editorial|opinion)\b", re.I
)
_LIST_COUNT = re.compile(rf"哪([{CN_COUNTS}\d]{{1,2}})(?:个|条|项|种|类|方面|点|大)")
_LIST_HINT = re.compile(
    rf"哪些|哪几|有几|几个|几项|几种|哪[{CN_COUNTS}\d]|包括|列举|分别"
    r"|\bwhich\b|\blist\b|\bwhat are\b|\benumerate",
    re.I,
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")


@dataclass(frozen=True)
class Reference:
    """A unit named in a question: kind (article/part/preamble/paragraph), number, commentary hint."""

    kind: str
    number: int | None
    commentary: bool = False


@dataclass(frozen=True)
class ParsedQuestion:
    """A cleaned question with what was recognised in it.

    Attributes:
        original: the question without control characters and surplus whitespace.
        text: the same, NFKC-normalised (full-width digits and letters made plain) for matching.
        remainder: the text with unit references removed (what is asked *about* them).
        references: units named in the question, in order.
        language: ``zh``, ``en`` or ``mixed``.
        is_list: the question asks for several items (哪四个…, 包括哪些…, which…).
        list_count: how many items, when the question says (哪四个 → 4).
        about_commentary: the question names the commentary (评论员文章…, commentary).
    """

    original: str
    text: str
    remainder: str
    references: tuple[Reference, ...]
    language: str
    is_list: bool
    list_count: int | None
    about_commentary: bool = False


def clean_question(question: str) -> str:
    """Strip control characters and collapse whitespace.

    Raises:
        QuestionError: if the question is empty or longer than the limit.
    """
    if not isinstance(question, str):
        raise QuestionError("the question must be text")
    text = _CONTROL.sub(" ", question)
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise QuestionError("the question is empty: type a question, e.g. 容错纠错 applies when?")
    if len(text) > MAX_QUESTION_CHARS:
        raise QuestionError(
            f"the question has {len(text)} characters; the limit is {MAX_QUESTION_CHARS}. Ask a shorter question."
        )
    return text


def _number(raw: str) -> int:
    lowered = raw.lower()
    return _ROMAN[lowered] if lowered in _ROMAN else cn_to_int(raw)


def parse_reference(text: str) -> list[Reference]:
    """Every unit reference in ``text``; a bare number (``13``, ``十三``) is an article."""
    text = unicodedata.normalize("NFKC", text)
    bare = _BARE_NUMBER.match(text)
    if bare:
        return [Reference(ARTICLE, cn_to_int(bare.group(1)))]
    found: list[tuple[int, Reference]] = []
    taken: list[tuple[int, int]] = []
    commentary = bool(_COMMENTARY_HINT.search(text))
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            if any(match.start() < end and start < match.end() for start, end in taken):
                continue
            if kind == PREAMBLE:
                number = None
            elif _LAST_WORDS.search(match.group(1)):
                number = LAST
            else:
                number = _number(match.group(1))
            found.append((match.start(), Reference(kind, number, commentary or kind == PARAGRAPH)))
            taken.append(match.span())
    return [ref for _, ref in sorted(found, key=lambda item: item[0])]


def strip_references(text: str) -> str:
    """``text`` without unit references and document names (what is asked *about* the units)."""
    for _, pattern in _PATTERNS:
        text = pattern.sub(" ", text)
    text = _DOCUMENT_NAME.sub(" ", text)
    return _BARE_NUMBER.sub(" ", text).strip()


def parse_question(question: str) -> ParsedQuestion:
    """Clean ``question`` and recognise references, language and list intent."""
    original = clean_question(question)
    text = unicodedata.normalize("NFKC", original)
    cjk, latin = len(_CJK.findall(text)), len(_LATIN.findall(text))
    language = "mixed" if cjk and latin >= 3 else ("en" if latin and not cjk else "zh")
    count_match = _LIST_COUNT.search(text)
    return ParsedQuestion(
        original=original,
        text=text,
        remainder=strip_references(text),
        references=tuple(parse_reference(text)),
        language=language,
        is_list=bool(_LIST_HINT.search(text)),
        list_count=cn_to_int(count_match.group(1)) if count_match else None,
        about_commentary=bool(_COMMENTARY_HINT.search(text)),
    )
