"""What a question asks to be included, and in what: a member of a list or field (火线提拔包括安全生产一线吗,
"Is finance one of the key fields?"), or someone the whole text should apply to (意见适用于村干部吗).

Read from the question's wording alone: the follow-up rewriter carries the member into the next turn, the answerers
check it against the quotes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..text.segment import STOPWORDS

__all__ = ["INTERROGATIVE", "SCOPE_QUESTIONS", "asked_member"]

# a question word: what follows asks for something, it names nothing (包括哪些内容 asks for the list)
INTERROGATIVE = re.compile(
    r"几|多少|什么|哪|怎么|如何|谁|多久|多长|多大|([\u4e00-\u9fff])不\1|\b(?:how|what|which|who|when)\b", re.I
)
# whether something is among what the text lists or covers: X包括Y吗 / Y算不算X / X适用于Y吗 / does X cover Y
_YES_NO = r"(?:吗|没有?|不)?[?？。!！\s]*$"
_MEMBER_QUESTIONS: tuple[re.Pattern[str], ...] = (
    re.compile(r"^(?P<whole>.*?)(?:包不包括|包不包含)(?P<member>.+?)[?？。!！\s]*$"),
    re.compile(rf"^(?P<whole>.*?)(?:包括|包含|涵盖|覆盖)(?P<member>.+?){_YES_NO}"),
    re.compile(r"^(?P<member>.+?)(?:算不算|属不属于)(?P<whole>.+?)[?？。!！\s]*$"),
    re.compile(r"^(?P<whole>.+?)(?:里|中|里面|当中)?有没有(?P<member>(?!提|说|讲|写|规定).+?)[?？。!！\s]*$"),
    re.compile(r"^(?P<whole>.+?)(?:里|中|里面|当中)有(?P<member>(?!提|说|讲|写|规定).+?)吗[?？。!！\s]*$"),
    re.compile(r"^(?P<member>.+?)(?:算是|属于)(?P<whole>.+?)吗[?？。!！\s]*$"),
    re.compile(r"\b(?:does|do|will|can)\s+(?P<whole>.+?)\s+(?:include|cover)\s+(?P<member>.+?)[?.!\s]*$", re.I),
    re.compile(
        r"\b(?:is|are)\s+(?P<member>.+?)\s+(?:one of|among|part of|included in|covered by|counted as)\s+(?P<whole>.+?)"
        r"[?.!\s]*$",
        re.I,
    ),
)
# whether the whole text applies to someone (意见适用于村干部吗): a word in a quote is no statement of scope
SCOPE_QUESTIONS: tuple[re.Pattern[str], ...] = (
    re.compile(r"^(?P<whole>.+?)(?:适不适用于?|管不管)(?P<member>.+?)[?？。!！\s]*$"),
    re.compile(r"^(?P<whole>.+?)(?:适用于|针对)(?P<member>[^性].*?)吗[?？。!！\s]*$"),
    re.compile(r"\b(?:does|do|will|can)\s+(?P<whole>.+?)\s+(?:apply to|extend to)\s+(?P<member>.+?)[?.!\s]*$", re.I),
)
# what trims a member: articles, copulas, qualifiers (专门的计划), "and the like" (奖金什么的), particles (not the
# 么 of 什么 or 怎么)
_MEMBER_EDGES = re.compile(
    r"^(?:the|a|an|any|all)\s+|^(?:的是|是|的|为|对|有)|^(?:专门|单独|特别|特定|相应|具体)的?(?=[\u4e00-\u9fff]{2})"
    r"|之一$|之列$|在内$|其中$|里面$|(?:什么|之类)的?$|等等$|的$"
    r"|(?:[吗呢吧啊]|(?<![什怎这那多])么)+$|^[“”\"'\s]+|[“”\"'\s]+$",
    re.I,
)
_WORDLIKE = re.compile(r"[\u4e00-\u9fff]{2,}|[A-Za-z]{3,}")


def asked_member(question: str, patterns: Sequence[re.Pattern[str]] = _MEMBER_QUESTIONS) -> tuple[str, str]:
    """What a question asks to be included, and in what: (安全生产一线, 火线提拔) for 火线提拔包括安全生产一线吗,
    (finance, key fields) for "Is finance one of the key fields?"; empty strings when it asks no such thing.

    With ``SCOPE_QUESTIONS`` as ``patterns``: whom a question asks the text to apply to (意见适用于村干部吗).
    """
    for pattern in patterns:
        match = pattern.search(question)
        if match and match.group("whole").strip():
            member, whole = (_trimmed(match.group(name)) for name in ("member", "whole"))
            # 包括哪些内容 asks for the list; 管不管这个 names nothing
            if _WORDLIKE.search(member) and not INTERROGATIVE.search(member) and member.lower() not in STOPWORDS:
                return member, whole
    return "", ""


def _trimmed(phrase: str) -> str:
    while (trimmed := _MEMBER_EDGES.sub("", phrase)) != phrase:
        phrase = trimmed
    return phrase
