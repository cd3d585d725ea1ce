"""The citation guard: keep only generated sentences that the cited source units support.

A generated answer cites sources with tags such as ``[第13条]``, ``[第四部分]``, ``[序言]`` or ``[评论员文章第6段]``.
Each sentence survives only if
- every tag names one of the units given to the model,
- it carries at least one tag (unless it is a short connective or says the text does not cover the question),
- every number and every quoted term in it occurs in a unit it cites.
The citations of the answer are rebuilt from the surviving sentences, each with a verbatim supporting quote.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from .answer import Citation
from .corpus import BOOK_TITLE, PARAGRAPH, PREAMBLE, Unit
from .query import parse_reference, strip_references

__all__ = ["GuardResult", "citation_tag", "guard_answer", "source_tags", "split_generated"]

_TAG_RE = re.compile(r"[\[【]([^\[\]【】]{1,24})[\]】]")
_SENTENCE_RE = re.compile(r"[^。！？!?\n]*(?:[。！？!?]+[”’」』）)]*|\n|$)")
_ARABIC_RE = re.compile(r"\d+(?:\.\d+)?")
_CHINESE_NUMBER_RE = re.compile(
    r"[零一二两三四五六七八九十百千万亿]{2,}|[两三四五六七八九十百千万亿]+(?=[个次年岁元天项批名倍条])"
)
_OPENING_QUOTES = "“「『‘\"'《＂＇〝«‹„‚｢〈"  # 【】 are citation marks, not quotes
_CLOSING_QUOTES = "”」』’\"'》＂＇〞〟»›“‘｣〉"
_QUOTE_MARKS = re.escape(_OPENING_QUOTES + _CLOSING_QUOTES)
# any quotation mark in any script, so a claim cannot slip an invented quote past the check by its choice of marks
_QUOTED_RE = re.compile(rf"[{re.escape(_OPENING_QUOTES)}]([^{_QUOTE_MARKS}]{{1,200}})[{re.escape(_CLOSING_QUOTES)}]")
_KIND_WORD_RE = re.compile(r"条|部分|段|序言|前言|引言|article|art\.?|part|section|paragraph|para|preamble", re.I)
_NOT_COVERED_RE = re.compile(
    r"没有涉及|未涉及|没有规定|未作规定|无法依据|not (?:covered|addressed)|does not (?:say|cover|address)", re.I
)
_CJK_RE = re.compile(r"[\u4e00-\u9fff]")
_CONNECTIVE_CHARS = 6
_NOT_COVERED_CHARS = 30
_MIN_SUPPORT = 0.6  # share of a Chinese claim's characters that must occur in the units it cites
_SUPPORT_MIN_CJK = 8


def citation_tag(unit: Unit, qualified: bool = False) -> str:
    """The tag the model is asked to use for ``unit``: 第13条, 第四部分, 序言, 评论员文章第6段 (a paragraph carries its
    document's name); ``qualified`` puts the document's short name first (《规定》第1条)."""
    if qualified:
        return unit.short + unit.reference
    return (unit.short.strip("《》") if unit.kind == PARAGRAPH else "") + unit.reference


def source_tags(sources: Sequence[Unit]) -> dict[str, Unit]:
    """The tag of each source: its plain tag, or its qualified tag when another source has the same plain tag (the
    same article number in two documents), so that every tag names exactly one source."""
    plain = Counter(citation_tag(u) for u in sources)
    return {citation_tag(u, qualified=plain[citation_tag(u)] > 1): u for u in sources}


@dataclass
class GuardResult:
    """What survived the guard: the text, its citations, and the removed sentences with reasons."""

    text: str
    citations: list[Citation]
    removed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """True when no sentence that states anything survived."""
        return not self.text.strip()


def split_generated(text: str) -> list[str]:
    """Sentences of generated text (tags stay with the sentence they follow)."""
    pieces = [m.group(0) for m in _SENTENCE_RE.finditer(text) if m.group(0).strip()]
    merged: list[str] = []
    for piece in pieces:
        if merged and _TAG_RE.fullmatch(piece.strip().rstrip("。")):
            merged[-1] += piece  # a tag written after the full stop belongs to the sentence before
        else:
            merged.append(piece)
    return merged


def _resolve(tag: str, sources: Sequence[Unit]) -> Unit | None:
    """The one source a tag names; only a reference with a kind word counts (not [1], [13] or [第13条第99款]), with
    at most the name of a source's document, and one that could be either of two sources names neither."""
    by_tag = source_tags(sources)
    if tag in by_tag:
        return by_tag[tag]
    references = parse_reference(tag)
    names = sorted({n for u in sources for n in (u.short, u.short.strip("《》")) if n}, key=len, reverse=True)
    named = [n for n in names if n in tag]
    if any(f"《{title}》" not in names for title in BOOK_TITLE.findall(tag)):
        return None  # a document the sources are not from
    leftover = strip_references(tag)
    for name in names:
        leftover = leftover.replace(name, "")
    if len(references) != 1 or re.sub(r"[\s《》]", "", leftover) or not _KIND_WORD_RE.search(tag):
        return None
    reference = references[0]
    matching = [
        unit
        for unit in sources
        if unit.kind == reference.kind
        and (reference.number == unit.number or reference.kind == PREAMBLE)
        and (not named or named[0] in (unit.short, unit.short.strip("《》")))
    ]
    return matching[0] if len(matching) == 1 else None


def _numbers(claim: str) -> list[str]:
    return _ARABIC_RE.findall(claim) + _CHINESE_NUMBER_RE.findall(claim)


def _check(sentence: str, sources: Sequence[Unit]) -> tuple[list[Unit], str]:
    """The units a sentence cites, and why it fails (empty when it passes)."""
    cited: list[Unit] = []
    for tag in _TAG_RE.findall(sentence):
        unit = _resolve(tag.strip(), sources)
        if unit is None:
            return [], f"cites [{tag}], which is not among the sources"
        cited.append(unit)
    claim = _TAG_RE.sub("", sentence).strip()
    if not cited:
        plain = re.sub(r"\W", "", claim)
        harmless = not _numbers(claim) and not _QUOTED_RE.search(claim)
        if len(plain) <= _CONNECTIVE_CHARS or (
            harmless and len(plain) <= _NOT_COVERED_CHARS and _NOT_COVERED_RE.search(claim)
        ):
            return [], ""
        return [], "states something without a citation"
    return cited, _unsupported(claim, cited)


def _unsupported(claim: str, cited: list[Unit]) -> str:
    """Why the claim is not supported by the units it cites (empty when it is)."""
    texts = [u.text for u in cited]
    for reference in parse_reference(claim):
        if not any(u.kind == reference.kind and u.number == reference.number for u in cited):
            return "mentions a unit it does not cite"
    for number in _numbers(claim):
        pattern = re.compile(rf"(?<![\d.]){re.escape(number)}(?![\d])")
        if not any(pattern.search(t) for t in texts):
            return f"the number {number} is not in the cited text"
    for term in _QUOTED_RE.findall(claim):
        if not any(term in t for t in texts):
            return f"“{term}” is not in the cited text"
    characters = set(_CJK_RE.findall(claim))
    if len(characters) >= _SUPPORT_MIN_CJK:
        present = set("".join(texts))
        if len(characters & present) / len(characters) < _MIN_SUPPORT:
            return "most of its wording is not in the cited text"
    return ""


def _support(unit: Unit, claims: list[str]) -> tuple[str, float]:
    """The unit sentence sharing the most characters with the claims that cite it, and that share."""
    wanted = set("".join(claims))
    best, best_share = unit.sentences[0].text, -1.0
    for sentence in unit.sentences:
        share = len(set(sentence.text) & wanted) / max(len(set(sentence.text)), 1)
        if share > best_share:
            best, best_share = sentence.text, share
    return best, max(best_share, 0.0)


def guard_answer(text: str, sources: Sequence[Unit]) -> GuardResult:
    """Check every sentence of ``text`` against ``sources``; drop the ones that fail."""
    kept: list[str] = []
    removed: list[tuple[str, str]] = []
    claims_by_unit: dict[str, list[str]] = {}
    units: dict[str, Unit] = {}
    for sentence in split_generated(text):
        cited, problem = _check(sentence, sources)
        if problem:
            removed.append((sentence.strip(), problem))
            continue
        kept.append(sentence)
        for unit in cited:
            units[unit.id] = unit
            claims_by_unit.setdefault(unit.id, []).append(_TAG_RE.sub("", sentence))
    citations = []
    for unit_id, claims in claims_by_unit.items():
        unit = units[unit_id]
        quote, share = _support(unit, claims)
        citations.append(Citation(unit.doc, unit.article, unit.paragraph, unit.label, quote, share, unit.id))
    substantive = any(_TAG_RE.search(s) for s in kept)
    return GuardResult("".join(kept).strip() if substantive else "", citations, removed)
