"""Rule-based rewriting of follow-up questions into standalone ones, using the previous turn.

Rules (general, no question is special-cased):
- A question that names a unit and asks nothing else (那第十一条呢？, and article 6?) reuses the previous
  question with its unit reference replaced, or the previous question's topic after the new reference.
- 下一条 / 上一条 / 下一段 / next article … point relative to the unit the previous answer cited first;
  下一句 / 那第5句呢 to a sentence of it (relative to the sentence the previous question asked for).
- A question that only points back (这一条还讲了什么？, 出自哪一条？, 具体有哪些措施？, 评论员文章怎么说的？)
  is joined to the previous question, or names the previous answer's unit when it says 这一条 / this article,
  or, in a short question, 它 / it: the unit the previous question named (它属于哪个部分？ Which part is it in?),
  else the previous question's focus in its place (苗圃计划是什么？ → 它多久评估一次 → 苗圃计划多久评估一次).
- The *focus* of the previous question is what it asked to be included (五个一线包括乡村振兴吗 → 乡村振兴), else its
  first term of the text (火线提拔适用于哪些干部 → 火线提拔). 那X呢 puts X in its place (那破格提拔呢 → 破格提拔适用于
  哪些干部); a question that starts by asking what is included (包括疫情防控吗) takes it as its subject.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from ..text.corpus import ARTICLE, PARAGRAPH, PART, PREAMBLE, Unit, unit_reference
from .asks import SCOPE_QUESTIONS, asked_member
from .query import DOCUMENT_NAME, LAST, parse_reference, sentence_ordinal, strip_references, topic_text

__all__ = ["rewrite_followup"]

_RELATIVE = re.compile(r"(下|上|前|后)一(条|段|部分)|\b(next|previous) (article|paragraph|part)\b", re.I)
_RELATIVE_SENTENCE = re.compile(r"(下|上|前|后)一句|\b(next|previous) sentence\b", re.I)
_DEICTIC = re.compile(r"这一?条|该条|本条|这一?段|该段|这一?部分|\bthis (article|paragraph|part)\b", re.I)
_PRONOUN = re.compile(r"它|\bit\b", re.I)
_PRONOUN_MAX = 24
_KIND_OF_WORD = {"条": ARTICLE, "article": ARTICLE, "段": PARAGRAPH, "paragraph": PARAGRAPH, "部分": PART, "part": PART}
_POINTING = re.compile(
    r"^(那|那么|还有|另外|and|what about|how about)|呢[?？]?$|具体|哪一?条|第几(?:条|部分|段)|哪一?个?部分|出自"
    r"|怎么说|还讲了|还有什么|"
    r"\b(which article|where|more|else|details?)\b",
    re.I,
)
_SHORT = 14
_MAX_SUBJECT = 12
_CJK_ONLY = re.compile(r"[\u4e00-\u9fff]{2,}")
_TOPIC_EDGE = re.compile(r"(?:有|是|的|都|在|要|会)+$")
_ELLIPTICAL_MEMBERSHIP = re.compile(r"^(?:包不包括|包括|包含|涵盖|覆盖|适用于|适不适用于?|还包括)")
_SUBSTITUTE = re.compile(
    r"^(?:那么?|还有|另外)\s*(?P<other>[^，,。？?]{1,12}?)\s*呢[?？]?$|^(?:what|how) about (?P<en>.+?)\??$", re.I
)


def _reference_text(unit: Unit, kind: str | None = None, number: int | None = None) -> str:
    """How a rewritten question names ``unit`` (or the unit of ``kind`` and ``number`` in its document): 第13条,
    第四部分, or a paragraph with its document (评论员文章第6段)."""
    kind = kind or unit.kind
    number = unit.number if number is None else number
    return (unit.short.strip("《》") if kind == PARAGRAPH else "") + unit_reference(kind, number)


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
    # 上一条 from 第1条 asks for 第0条, which the answer says is not there
    return _reference_text(unit, kind, origin + step)


def _sentence_followup(question: str, previous_question: str, unit: Unit) -> str:
    """下一句 / 上一句 / 那第5句呢 after a question about a numbered unit: that unit's sentence, or "" when the question
    points at no sentence."""
    reference = _reference_text(unit)
    relative = _RELATIVE_SENTENCE.search(question)
    if relative:
        before = sentence_ordinal(previous_question)
        if before is None or before == LAST:
            return ""
        step = -1 if (relative.group(1) or relative.group(2) or "").lower() in ("上", "前", "previous") else 1
        return f"{reference}第{before + step}句"
    if sentence_ordinal(question) is not None:
        return f"{reference}{_drop_lead(question)}"
    return ""


def _content(text: str) -> str:
    return re.sub(r"[\s?？。.!！,，、呢吗吧啊]+", "", strip_references(text))


def _drop_lead(text: str) -> str:
    text = re.sub(r"^(那么?|还有|另外|and|what about|how about)\s*", "", text.strip(), flags=re.I)
    return re.sub(r"[呢吗?？]+$", "", text).strip()


def _focus(previous_question: str, terms: Collection[str]) -> tuple[str, str]:
    """What the previous question asked about: the slot 那X呢 refills (the member or the group it asked about:
    乡村振兴 in 五个一线包括乡村振兴吗, 事业单位 in 意见适用于事业单位吗) and the subject 它 stands for (五个一线, else
    the question's first term of the text, else its topic when short)."""
    member, whole = asked_member(previous_question)
    if not member:
        member, whole = asked_member(previous_question, SCOPE_QUESTIONS)
    found = [(previous_question.find(t), -len(t), t) for t in terms if len(t) >= 2 and t in previous_question]
    term = min(found)[2] if found else ""
    topic = _TOPIC_EDGE.sub("", _content(topic_text(previous_question)))
    subject = (whole if member else "") or term or (topic if _CJK_ONLY.fullmatch(topic or "-") else "")
    return member, subject if len(subject) <= _MAX_SUBJECT else ""


def _swapped(previous_question: str, other: str, slot: str, subject: str, terms: Collection[str], text: str) -> str:
    """The previous question with ``other`` in the place it fills (那X呢), or empty when it fills none: another
    member or group, another document (那评论员文章呢), or another thing the text (``text``) speaks of or a term of the
    same kind (那容错纠错呢, 那破格提拔呢)."""
    if slot and slot in previous_question:
        return previous_question.replace(slot, other, 1)
    named = DOCUMENT_NAME.search(previous_question)
    if named and DOCUMENT_NAME.fullmatch(other):
        return previous_question.replace(named.group(0), other, 1)
    if subject and subject in previous_question and (other in text or _same_kind(other, subject, terms)):
        return previous_question.replace(subject, other, 1)
    return ""


def _same_kind(other: str, focus: str, terms: Collection[str]) -> bool:
    """``other`` can stand where the focus term stood: it shares two characters in a row with it or with a term of the
    text (破格提拔 ~ 火线提拔); 那深圳呢 asks about the same thing elsewhere."""
    pieces = {other[i : i + 2] for i in range(len(other) - 1)}
    return any(piece in focus or any(piece in t for t in terms) for piece in pieces)


def rewrite_followup(
    question: str,
    previous_question: str | None,
    previous_unit: Unit | None = None,
    terms: Collection[str] = (),
    text: str = "",
) -> str:
    """The standalone form of ``question`` after ``previous_question``, whose answer cited ``previous_unit`` first.

    ``terms`` are the text's own terms (quoted terms, titles), from which the previous question's focus is found;
    ``text`` is the corpus text, which tells a thing it speaks of (那容错纠错呢) from somewhere else (那深圳呢).
    Returns ``question`` unchanged when it already stands alone or there is no previous turn.
    """
    if not previous_question:
        return question
    numbered = previous_unit is not None and previous_unit.number is not None and previous_unit.kind != PREAMBLE
    relative = _RELATIVE.search(question)
    if relative and previous_unit is not None:
        return _relative(relative, previous_unit) or question
    if (
        numbered
        and not parse_reference(question)
        and (sentence := _sentence_followup(question, previous_question, previous_unit))
    ):
        return sentence
    leftover = _content(_drop_lead(question))
    points_back = bool(_POINTING.search(question)) or len(leftover) <= 2
    if parse_reference(question):
        if len(leftover) > 3 or not points_back:
            return question
        lead, topic = _drop_lead(question), strip_references(previous_question)
        joiner = " " if re.search(r"[A-Za-z0-9]$", lead) or re.match(r"[A-Za-z]", topic) else ""
        return f"{lead}{joiner}{topic}".strip()
    if _DEICTIC.search(question) and numbered:
        return f"{_reference_text(previous_unit)}{_DEICTIC.sub('', question)}"
    slot, subject = _focus(previous_question, terms)
    if _PRONOUN.search(question) and len(question) <= _PRONOUN_MAX:
        if numbered and parse_reference(previous_question):  # 它 is the unit the previous question named
            reference = _reference_text(previous_unit)
            return f"{reference} {_PRONOUN.sub('', question, count=1)}".replace("  ", " ")
        if subject:  # 它 is what the previous question was about
            return _PRONOUN.sub(subject, question, count=1)
        return f"{previous_question} {question}"
    substitute = _SUBSTITUTE.match(question.strip())
    other = (substitute.group("other") or substitute.group("en") or "").strip() if substitute else ""
    swapped = _swapped(previous_question, other, slot, subject, terms, text) if other else ""
    if swapped:
        return swapped
    if _ELLIPTICAL_MEMBERSHIP.match(_drop_lead(question)) and subject:
        return f"{subject}{_drop_lead(question)}{'吗' if question.rstrip('？?').endswith('吗') else ''}"
    if len(question) <= _SHORT and points_back:
        return f"{previous_question} {question}"
    return question
