"""Rule-based rewriting of follow-up questions into standalone ones, using the previous turn.

Rules (general, no question is special-cased):
- A question that names a unit and asks nothing else (那第十一条呢？, and article 6?) reuses the previous
  question with its unit reference replaced, or the previous question's topic after the new reference.
- 下一条 / 上一条 / 下一段 / next article … point relative to the unit the previous answer cited first.
- A question that only points back (这一条还讲了什么？, 出自哪一条？, 具体有哪些措施？, 评论员文章怎么说的？)
  is joined to the previous question, or names the previous answer's unit when it says 这一条 / this article,
  or, in a short question, 它 / it: the unit the previous question named (它属于哪个部分？ Which part is it in?),
  else the previous question's topic.
"""

from __future__ import annotations

import re

from .corpus import ARTICLE, PARAGRAPH, PART, PREAMBLE, Unit
from .numerals import int_to_cn
from .query import parse_reference, strip_references

__all__ = ["rewrite_followup"]

_RELATIVE = re.compile(r"(下|上|前|后)一(条|段|部分)|\b(next|previous) (article|paragraph|part)\b", re.I)
_DEICTIC = re.compile(r"这一?条|该条|本条|这一?段|该段|这一?部分|\bthis (article|paragraph|part)\b", re.I)
_PRONOUN = re.compile(r"它|\bit\b", re.I)
_PRONOUN_MAX = 24
_KIND_OF_WORD = {"条": ARTICLE, "article": ARTICLE, "段": PARAGRAPH, "paragraph": PARAGRAPH, "部分": PART, "part": PART}
_POINTING = re.compile(
    r"^(那|那么|还有|另外|and|what about|how about)|呢[?？]?$|具体|哪一条|哪条|出自|怎么说|还讲了|还有什么|"
    r"\b(which article|where|more|else|details?)\b",
    re.I,
)
_SHORT = 14


def _reference_text(kind: str, number: int) -> str:
    if kind == PART:
        return f"第{int_to_cn(number)}部分"
    if kind == PARAGRAPH:
        return f"评论员文章第{number}段"
    return f"第{number}条"


def _relative(match: re.Match[str], unit: Unit) -> str | None:
    """下一条 / 上一部分 / next paragraph … from ``unit``: the same kind of unit next to it, or its part's neighbour."""
    kind = _KIND_OF_WORD[(match.group(2) or match.group(4)).lower()]
    step = -1 if (match.group(1) or match.group(3) or "").lower() in ("上", "前", "previous") else 1
    if kind == unit.kind and unit.number is not None:
        origin = unit.number
    elif kind == PART and unit.part is not None:
        origin = unit.part
    else:
        return None
    target = origin + step
    return _reference_text(kind, target) if target >= 1 else None


def _content(text: str) -> str:
    return re.sub(r"[\s?？。.!！,，、呢吗吧啊]+", "", strip_references(text))


def _drop_lead(text: str) -> str:
    text = re.sub(r"^(那么?|还有|另外|and|what about|how about)\s*", "", text.strip(), flags=re.I)
    return re.sub(r"[呢吗?？]+$", "", text).strip()


def rewrite_followup(question: str, previous_question: str | None, previous_unit: Unit | None = None) -> str:
    """The standalone form of ``question`` after ``previous_question``, whose answer cited ``previous_unit`` first.

    Returns ``question`` unchanged when it already stands alone or there is no previous turn.
    """
    if not previous_question:
        return question
    numbered = previous_unit is not None and previous_unit.number is not None and previous_unit.kind != PREAMBLE
    relative = _RELATIVE.search(question)
    if relative and previous_unit is not None:
        return _relative(relative, previous_unit) or question
    leftover = _content(_drop_lead(question))
    points_back = bool(_POINTING.search(question)) or len(leftover) <= 2
    if parse_reference(question):
        if len(leftover) > 3 or not points_back:
            return question
        lead, topic = _drop_lead(question), strip_references(previous_question)
        joiner = " " if re.search(r"[A-Za-z0-9]$", lead) or re.match(r"[A-Za-z]", topic) else ""
        return f"{lead}{joiner}{topic}".strip()
    if _DEICTIC.search(question) and numbered:
        return f"{_reference_text(previous_unit.kind, previous_unit.number)}{_DEICTIC.sub('', question)}"
    if _PRONOUN.search(question) and len(question) <= _PRONOUN_MAX:
        if numbered and parse_reference(previous_question):  # 它 is the unit the previous question named
            reference = _reference_text(previous_unit.kind, previous_unit.number)
            return f"{reference} {_PRONOUN.sub('', question, count=1)}".replace("  ", " ")
        return f"{previous_question} {question}"  # 它 is what the previous question was about
    if len(question) <= _SHORT and points_back:
        return f"{previous_question} {question}"
    return question
