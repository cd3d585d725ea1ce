"""Question parsing: cleaning, unit references (第13条, article 13, 第四部分, 序言, 第6段), language, and the
question's kind (what is asked: content, locate, structure, sentence, occurrence, compare, list, definition, lookup).

Kinds are recognised by general patterns of how a question asks, never by its topic; the answer strategy for each
kind lives in ``answering/kinds.py``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from enum import Enum

from ..base.config import MAX_QUESTION_CHARS
from ..base.errors import QuestionError
from ..text.numerals import CN_COUNTS, CN_DIGITS, ENGLISH_ONES, parse_numeral
from ..text.segment import STOPWORDS

__all__ = [
    "DOCUMENT_NAME",
    "ParsedQuestion",
    "QuestionKind",
    "Reference",
    "clean_question",
    "names_document",
    "parse_question",
    "parse_reference",
    "quoted_terms",
    "sentence_ordinal",
    "strip_references",
    "topic_text",
]

ARTICLE, PART, PREAMBLE, PARAGRAPH = "article", "part", "preamble", "paragraph"
_NUM = rf"[{CN_DIGITS}\d]+"
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9, "x": 10}
_ENGLISH_NUMBERS = {word: number for number, word in enumerate([*ENGLISH_ONES, "twenty"]) if number}
_EN_NUM = "|".join(_ENGLISH_NUMBERS)

# what a policy document is called (意见13条, 规定4条): the words a bare article number may follow
_GENRES = "意见|办法|规定|条例|通知|决定|方案|细则|纲要|规划"
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (ARTICLE, re.compile(rf"第\s*({_NUM})\s*条")),
    # "13条" names an article only at the start or after punctuation or a document name, not in "哪3条", "2条措施"
    (ARTICLE, re.compile(rf"(?:^|(?<=[\s,，。？?！!、:：“”《》(（])|(?<={_GENRES}))(\d{{1,3}})\s*条(?![例件款])")),
    # 十三条讲什么: a numeral word names an article only at the start and when the question goes straight on
    (ARTICLE, re.compile(rf"^([{CN_DIGITS}]{{1,4}})\s*条(?=\s*(?:$|[,，。？?！!]|讲|说|是|的|呢|内容|写|规定))")),
    (ARTICLE, re.compile(rf"\b(?:articles?|art\.?|clause|item)\s*(?:no\.?\s*|#\s*)?(\d{{1,3}}|{_EN_NUM})\b", re.I)),
    # 部分 as cadres also say it: 块 / 板块 / 章 / 篇 (the text itself has no chapters)
    (PART, re.compile(rf"第\s*({_NUM})\s*(?:大)?(?:部分|板块|块|章|篇)")),
    (PART, re.compile(rf"\b(?:part|section)\s*(\d{{1,2}}|[ivx]{{1,4}}|{_EN_NUM})\b", re.I)),
    (PARAGRAPH, re.compile(rf"第\s*({_NUM})\s*段")),
    (PARAGRAPH, re.compile(rf"\b(?:paragraph|para\.?)\s*(\d{{1,2}}|{_EN_NUM})\b", re.I)),
    (PREAMBLE, re.compile(r"(序言|前言|引言|\bpreamble\b)", re.I)),
    (ARTICLE, re.compile(r"(最后一条|末条|\blast article\b)", re.I)),
    (PART, re.compile(r"(最后一(?:个)?(?:部分|板块|块|章|篇)|\blast part\b)", re.I)),
    (PARAGRAPH, re.compile(r"(最后一段|末段|结尾段|\blast paragraph\b)", re.I)),
]
LAST = -1  # a reference number meaning "the last one" (最后一条, last paragraph)
_LAST_WORDS = re.compile(r"最后|末|结尾|last", re.I)
_BARE_NUMBER = re.compile(rf"^\s*(?:第\s*)?({_NUM})\s*[.。？?]?\s*$")
_COMMENTARY_HINT = re.compile(r"评论员|评论|社论|commentary|editorial", re.I)
DOCUMENT_NAME = re.compile(
    r"《[^》]{0,40}》|评论员文章|评论员|评论|社论|意见|\b(?:the )?(?:commentary|editorial|opinion)\b", re.I
)
_MANY = CN_COUNTS.replace("一", "")  # 哪一次 / 哪一条 ask for one thing, not a list
_LIST_COUNT = re.compile(rf"哪([{_MANY}\d][{CN_COUNTS}\d]?)(?:个|条|项|种|类|方面|点|大|张|支|样|件|句|批|所|家)")
_ENGLISH_NOUN_WORDS = 4  # four kinds of teams: the noun is among the next few words
_ENGLISH_LIST_FRAME = frozenset({"kind", "kinds", "type", "types", "sort", "sorts", "main", "key", "major", "of"})
# which three levers / what are the four kinds of teams / name the five …
_ENGLISH_LIST_COUNT = re.compile(
    r"\b(?:which|what(?: are| were)? the|name the|list the|the)\s+(two|three|four|five|six|seven|eight|nine|ten)\b"
    r"(?!\s+(?:years?|months?|days?|times)\b)",
    re.I,
)
# 哪三种能力 / 哪几种劲 / 哪些环节: the noun right after the count, ending where the question goes on
_LIST_NOUN = re.compile(
    rf"哪(?:[{CN_COUNTS}\d]{{1,2}}|几|些)(?:个|种|项|支|张|类|样|方面的?)?([\u4e00-\u9fff]{{1,4}}?)(?=[的是呢吗?？,，、\s]|$)"
)
_LIST_HINT = re.compile(
    rf"(?:哪些|哪几|有几|几个|几项|几种|哪[{_MANY}\d])个?(?:环节|节点|方面|领域|步骤?|类|种|项|点)?|包括|列举|分别"
    r"|\bwhich\b|\blist\b|\bwhat are\b|\benumerate",
    re.I,
)
_SENTENCE_ORDINAL = re.compile(
    rf"第\s*({_NUM})\s*句|(最后|末尾?|结尾)(?:一|那)?句|(?:开头|头)(?:一|那)?句|首句"
    r"|\b(first|last|final|opening|closing) sentence\b|\bsentence\s*(\d{1,2})\b",
    re.I,
)
_ORDINAL_WORDS = {"first": 1, "opening": 1, "last": -1, "final": -1, "closing": -1}
_MEMBERS = re.compile(
    rf"哪[几些]条|几条|多少条|(?:有|共)[{CN_DIGITS}\d]+条|包括|包含|由哪|组成|下设"
    r"|\bwhich articles\b|\bhow many articles\b|\barticles? (?:in|of)\b",
    re.I,
)
_SENTENCE_COUNT = re.compile(r"(?:几|多少)句|\bhow many sentences\b", re.I)
_PART_OF = re.compile(r"属于|哪[一个]?部分|第几部分|\bwhich part\b|\bwhat part\b|\bin which part\b", re.I)
_TITLE = re.compile(r"标题|题目|小标题|叫什么|名称|\btitle\b|\bheading\b|\bcalled\b", re.I)
_DOCUMENT_COUNT = re.compile(
    r"(?<!第)(?:几|多少)个?大?(?:条|部分|段|板块|块|章|篇|方面内容)|分[为成了]?(?:几|多少)个?大?(?:部分|板块|块|章|篇)?"
    rf"|(?:[{CN_COUNTS}\d]+个?|各个?|所有|每个)大?(?:部分|板块)(?:分别)?(?:是|叫|讲)?(?:什么|哪些|啥)"
    rf"|(?:共|一共|总共|共计|有|分为|分成)(?:有|分为?)?[{CN_DIGITS}\d]+(?:条|段|个?大?部分)"
    r"|结构|框架|目录|篇幅|(?:各|每一?|所有)条的?标题|\bhow many (?:articles|parts|paragraphs|sections|chapters)\b"
    r"|\bstructure\b|\boutline\b|\b(?:article )?(?:titles|headings)\b|\btable of contents\b",
    re.I,
)
# the document itself: its title, who issued or wrote it, when, its number (意见的全称 / 谁发的 / 是哪个市的 / 文号)
_DOCUMENT_FACT = re.compile(
    r"标题|全称|全名|名称|题目|文件名|叫什么名字?|(?:是|由)?谁(?:来)?(?:发|印发|发布|出台|制定|写|签发|起草)的?"
    r"|(?:作者|署名|落款)(?:是谁)?|(?:发文|印发|制定|出台|发布)(?:的)?(?:单位|机关|部门|日期|时间)"
    r"|哪个(?:单位|部门|机关)(?:发|印发|出台|制定|发布)的?|文号|发文字号|成文日期"
    r"|(?:什么时候|何时|哪年|哪一年)(?:发|印发|发布|出台|制定)的?"
    r"|哪(?:个|座)?(?:市|城市)的?|\b(?:full )?(?:title|name)\b|\bwho (?:issued|wrote|published|authored)\b"
    r"|\bauthor\b|\bissued by\b|\bwhich city\b|\b(?:issued|wrote|written|published|authored)\b",
    re.I,
)
# a claim about who issued the document or when (由市委组织部发布吗 / 是上海市委的意见吗 / 是2022年发的吗)
_DOCUMENT_CLAIM = re.compile(
    r"(?:由|是)(?P<by>[^，,。？?吗]{1,12}?)(?:发布|印发|出台|制定|签发|发|写)的?(?:吗|么)"
    r"|是(?P<of>[^，,。？?吗]{1,12}?)的(?:意见|文件|文章|评论)(?:吗|么)"
)
# which document a question points at without naming it (这个文件, 本文, this document)
_DOCUMENT_POINTER = re.compile(r"这个|这份|这篇|该|本|这|文件|文章|\bthis\b|\bdocument\b|\babout\b|\bit\b", re.I)
_DOCUMENT_WORD = re.compile(r"文件|文章|本文|\b(?:document|policy)\b", re.I)
_MAX_DOCUMENT_FACT_LEFTOVER = 2  # 意见是谁发的呢: a particle or two is no topic
_MAX_STRUCTURE_LEFTOVER = 2
_PART_WORDS = re.compile(r"部分|条|哪|个|几|一|是|吗|都|叫|啥")  # what 第五部分有几条 都叫啥 says besides its wording
_OCCURRENCE = re.compile(
    r"(?:出现|提到?|提及|用到?|使用|写到?|说到?)(?:了|过)?(?:几|多少)[次回处遍]|(?:几|多少)[次处回](?:出现|提到|提及)"
    r"|(?:出现|提到|提及)(?:在|于)?(?:哪些|哪几|哪)"
    r"|哪(?:些|几)(?:条|段|处|部分)(?:里|中)?(?:都|还)?(?:提到|提及|出现|用到|写到|说到|讲到)"  # every place, not one
    r"|(?:有没有|是否|有无)(?:提到|提及|说到|写到|讲到|谈到|出现)"
    r"|(?:提到|提及|说到|写到|讲到|谈到)(?:了|过)?(?=[^，,。？?]{1,16}(?:吗|没有)[?？]?$)"
    r"|\bhow many times\b.*\b(?:appear|mention|occur|use)\w*|\boccurrences?\b",
    re.I,
)
_COMPARE = re.compile(
    r"区别|不同|差别|差异|异同|不一样|有何不同|相比|比较|对比|\bdiffer\w*|\bcompare\w*|\bversus\b|\bvs\.?", re.I
)
# 和/与/跟/同/及 join the sides unless they begin or end a word (跟踪, 同时, 参与, 及时, 涉及, 和谐)
_COMPARE_SPLIT = re.compile(
    r"\s*(?:和(?![谐平睦])|(?<![参给授])与(?!会)|跟(?![踪进随前])|(?<![共相陪协])同(?![志时步样级等事类意])"
    r"|(?<![涉以普危企])及(?![时早格])|以及|、|\band\b|\bvs\.?|\bversus\b)\s*",
    re.I,
)
_LOCATE = re.compile(
    r"哪一?条|哪(?:些|几)条款|哪(?:些|几)条(?=是|讲|提|写|说|涉及|规定|里|中|$|[?？])|第几条|哪[一个]?部分|第几部分|哪一?段|第几段|出自|出处|在哪|哪里|哪儿|什么地方"
    r"|\bwhich (?:article|part|paragraph|section)\b|\bwhat article\b|\bwhere\b",
    re.I,
)
_DEFINITION = re.compile(
    r"(?:是|指)?(?:什么|啥)意思|指(?:的是)?(?:什么|啥)|是指|含义|内涵|何谓|什么[叫是]|怎么理解|如何理解|是(?:什么|啥)"
    r"|\bwhat (?:does|do) .+ mean\b|\bmeaning of\b|\bdefin\w+|\bwhat (?:is|are)\b|\bwhat's\b",
    re.I,
)
_GENERIC = re.compile(
    r"讲了?什么|说了?什么|讲的?是?什么|说的?是?什么|写了?什么|有(?:哪些|什么)内容|内容(?:是什么)?|原文|全文|是什么"
    r"|主要讲|讲啥|说啥|什么意思|具体|详细|全部|完整|这个词|这一?说法|这个提法|这句话|一词"
    r"|(?:帮我|请)?(?:总结|概括|归纳|梳理|介绍|解读)(?:一下)?"
    r"|要点|大意|主旨|中心思想|核心(?:内容|意思|思想|要义)|主要(?:内容|意思|观点)|重点(?=是什么|是啥|有哪些)"
    r"|(?:哪些|什么|啥)(?:具体)?(?:措施|举措|要求|规定|内容|办法|做法|安排|部署)"  # 有哪些措施: what kind of answer
    r"|属不属于|属于|算不算|算是|包不包括"  # whether something is in a unit: the frame, not the topic
    r"|[这那该本此]一?(?:篇|份|条|段|部分|句)(?:文章|文件|意见|话)?"  # 那篇 / 这份文件: which unit, not what about
    r"|\bwhat does\b.*\bsay\b|\bshow\b|\bcontent\b|\btext\b|\bsummar\w*|\bexplain\w*|\bin english\b"
    r"|\bmain (?:points?|ideas?)\b|\bkey points?\b|\bgist\b|\bessence\b|\boverview\b|\bbrief(?:ly)?\b",
    re.I,
)
_FILLER_WORDS = r"请问|一下|一共|总共|共计|分别"
_FILLER_MARKS = r"\s?？。.!！,，、:：;；“”\"'《》()（）呢吗吧啊呀么的了是"
_FILLER = re.compile(rf"(?:{_FILLER_WORDS}|[{_FILLER_MARKS}有在])+")
# filler around a compared side, not inside it (一般干活的人 keeps its 的); a leading 在 or 有 begins a word (在职)
_EDGE_FILLER = re.compile(rf"^(?:{_FILLER_WORDS}|[{_FILLER_MARKS}])+|(?:{_FILLER_WORDS}|[{_FILLER_MARKS}有在])+$")
_CLAUSE_BREAK = re.compile(r"[，,；;：:。？?！!]")
_SAID_IN = re.compile(r"^(?:里|中|上|里面)?(?:所说|说|讲|提到|提出|写)(?:的|了)?")  # (评论)里说实干家 → 实干家
_ASCII_WORD = re.compile(r"[A-Za-z']+")
_CJK_RUNS = re.compile(r"[\u4e00-\u9fff]{2,}")
_MIXED_MIN_WORDS = 3  # an English question around a Chinese term
_ENGLISH_FILLER = STOPWORDS | {"have", "has", "had", "get", "gets", "got"}
_PUNCTUATION = re.compile(r"[\s?？。.!！,，、:：;；“”\"'《》()（）]+")
_EDGE_WORDS = re.compile(
    r"^(?:请问|文件[里中]|原?文[里中]|全文|里面|讲|说|提到|提出|谈到|规定|关于|有关|涉及|是|对|把|一共|总共|共)+|(?:一共|总共|共|分别|都|的|了|呢|吗|是|在|有)+$"
)
_QUOTED = re.compile(r"[“\"「『]([^“”\"「」『』]{1,30})[”\"」』]")
_MAX_SUBJECT_CHARS = 12
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")  # shown as a space
_INVISIBLE = re.compile(r"[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")  # zero-width and direction marks
_SURROGATE = re.compile(r"[\ud800-\udfff]")  # undecodable bytes read with surrogateescape, or a lone surrogate
_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")


class QuestionKind(str, Enum):
    """What a question asks for; each kind has one answer strategy (``answering/kinds.py``)."""

    CONTENT = "content"
    LOCATE = "locate"
    STRUCTURE = "structure"
    SENTENCE = "sentence"
    OCCURRENCE = "occurrence"
    COMPARE = "compare"
    LIST = "list"
    DEFINITION = "definition"
    LOOKUP = "lookup"


@dataclass(frozen=True)
class Reference:
    """A unit named in a question: kind (article/part/preamble/paragraph), number, commentary hint, and where the
    question writes it (``start``, for finding the document named next to it)."""

    kind: str
    number: int | None
    commentary: bool = False
    start: int = field(default=-1, compare=False)


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
        list_noun: what the items are, when the question says (哪三种能力 → 能力, 哪几种劲 → 劲).
        about_commentary: the question names the commentary (评论员文章…, commentary).
        kind: what the question asks for.
        ordinal: for ``sentence`` questions, which sentence (1-based; -1 for the last one).
        subjects: what the question is about once the kind's wording is removed: the term of a definition or
            occurrence question, the two sides of a comparison (quoted terms first).
        aspect: for ``structure`` questions: ``members`` (第四部分有哪几条), ``part_of`` (第9条属于哪部分),
            ``title`` (第二部分的标题), ``sentences`` (第15条有几句), ``count`` (共有几条) or ``document`` (the
            document's own title line and byline: 意见的全称 / 评论员文章是谁写的).
    """

    original: str
    text: str
    remainder: str
    references: tuple[Reference, ...]
    language: str
    is_list: bool
    list_count: int | None
    list_noun: str = ""
    about_commentary: bool = False
    kind: QuestionKind = QuestionKind.CONTENT
    ordinal: int | None = None
    subjects: tuple[str, ...] = ()
    aspect: str = ""


def names_document(text: str) -> bool:
    """``text`` names or points at a document (意见, 评论员文章, 这个文件, this document), not a provision in it."""
    return bool(DOCUMENT_NAME.search(text) or _DOCUMENT_WORD.search(text))


def clean_question(question: str) -> str:
    """The one place typed text is cleaned: undecodable bytes and lone surrogates become U+FFFD, control and
    invisible characters are removed, whitespace is collapsed.

    Raises:
        QuestionError: if the question is empty or longer than the limit.
    """
    if not isinstance(question, str):
        raise QuestionError("the question must be text")
    text = _SURROGATE.sub("\ufffd", _INVISIBLE.sub("", _CONTROL.sub(" ", question)))
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise QuestionError("the question is empty: type a question, e.g. 容错纠错 applies when?")
    if len(text) > MAX_QUESTION_CHARS:
        raise QuestionError(
            f"the question has {len(text)} characters; the limit is {MAX_QUESTION_CHARS}. Ask a shorter question."
        )
    return text


def _list_noun(text: str) -> str:
    """The kind of item a list question asks for: 哪三种能力 → 能力, which three political abilities → abilities."""
    if match := _LIST_NOUN.search(text):
        return match.group(1)
    if match := _ENGLISH_LIST_COUNT.search(text):
        words: list[str] = []
        for word in re.findall(r"[A-Za-z]+", text[match.end() :])[:_ENGLISH_NOUN_WORDS]:
            lowered = word.lower()
            if lowered in _ENGLISH_LIST_FRAME:  # kinds of teams, sources of recommendation
                continue
            if lowered in _ENGLISH_FILLER:
                if words:
                    break
                continue
            words.append(lowered)
        return words[-1] if words else ""
    return ""


def _list_count(text: str) -> int | None:
    """How many items a list question asks for (哪四个 / which three), or None."""
    if match := _LIST_COUNT.search(text):
        return parse_numeral(match.group(1))
    if match := _ENGLISH_LIST_COUNT.search(text):
        return _ENGLISH_NUMBERS[match.group(1).lower()]
    return None


def _number(raw: str) -> int | None:
    """The number a reference writes, or None when it is not a number (第1十条, part xiii): then it is text."""
    lowered = raw.lower()
    if lowered in _ENGLISH_NUMBERS:
        return _ENGLISH_NUMBERS[lowered]
    return _ROMAN[lowered] if lowered in _ROMAN else parse_numeral(raw)


def parse_reference(text: str) -> list[Reference]:
    """Every unit reference in ``text``; a bare number (``13``, ``十三``) is an article."""
    text = unicodedata.normalize("NFKC", text)
    bare = _BARE_NUMBER.match(text)
    if bare and (number := parse_numeral(bare.group(1))) is not None:
        return [Reference(ARTICLE, number, start=bare.start(1))]
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
            elif (number := _number(match.group(1))) is None:
                continue
            found.append((match.start(), Reference(kind, number, commentary or kind == PARAGRAPH, match.start())))
            taken.append(match.span())
    return [ref for _, ref in sorted(found, key=lambda item: item[0])]


def strip_references(text: str) -> str:
    """``text`` without unit references and document names (what is asked *about* the units)."""
    for _, pattern in _PATTERNS:
        text = pattern.sub(" ", text)
    text = DOCUMENT_NAME.sub(" ", text)
    return _BARE_NUMBER.sub(" ", text).strip()


def parse_question(question: str, original: str | None = None) -> ParsedQuestion:
    """Clean ``question`` and recognise references, language, list intent and the question's kind.

    ``original`` is the question as typed when ``question`` is its normalized form.
    """
    text = unicodedata.normalize("NFKC", clean_question(question))
    cjk, latin = len(_CJK.findall(text)), len(_LATIN.findall(text))
    language = "mixed" if cjk and latin >= 3 else ("en" if latin and not cjk else "zh")
    references = tuple(parse_reference(text))
    remainder = strip_references(text)
    is_list = bool(_LIST_HINT.search(text))
    kind, ordinal, subjects, aspect = _kind(text, remainder, references, is_list)
    return ParsedQuestion(
        original=clean_question(original) if original is not None else clean_question(question),
        text=text,
        remainder=remainder,
        references=references,
        language=language,
        is_list=is_list,
        list_count=_list_count(text),
        list_noun=_list_noun(text),
        about_commentary=bool(_COMMENTARY_HINT.search(text)),
        kind=kind,
        ordinal=ordinal,
        subjects=subjects,
        aspect=aspect,
    )


def _leftover(text: str, *patterns: re.Pattern[str]) -> str:
    """``text`` without the given patterns, document names and filler: what is left says what is asked about."""
    for pattern in patterns:
        text = pattern.sub(" ", text)
    text = _ASCII_WORD.sub(lambda word: " " if word.group(0).lower() in _ENGLISH_FILLER else word.group(0), text)
    return _FILLER.sub("", DOCUMENT_NAME.sub(" ", text))


def quoted_terms(text: str) -> tuple[str, ...]:
    """The terms ``text`` puts in quotation marks (“…”, "…", 「…」), in order, each once."""
    return tuple(dict.fromkeys(_QUOTED.findall(text)))


def topic_text(remainder: str) -> str:
    """``remainder`` without the wording that says what kind of question it is (是什么意思, 哪几个环节, 出自哪里 …)
    or which document it asks about: what is left is what the question is about."""
    text = DOCUMENT_NAME.sub(" ", remainder)
    for pattern in (_DEFINITION, _GENERIC, _LOCATE, _LIST_HINT, _COMPARE, _OCCURRENCE, _TITLE):
        text = pattern.sub(" ", text)
    return text


def _subjects(remainder: str, *patterns: re.Pattern[str]) -> tuple[str, ...]:
    """Quoted terms of the question, else what is left once the kind's wording is removed."""
    quoted = quoted_terms(remainder)
    if quoted:
        return quoted
    text = DOCUMENT_NAME.sub(" ", remainder)
    chinese = _CJK_RUNS.findall(text)
    if chinese and len(_ASCII_WORD.findall(text)) >= _MIXED_MIN_WORDS:  # How many times does 实干家 appear?
        return (max(chinese, key=len),)
    for pattern in (*patterns, _LIST_HINT, _GENERIC):
        text = pattern.sub(" ", text)
    pieces = [_EDGE_WORDS.sub("", piece) for piece in _PUNCTUATION.split(text)]
    left = max(pieces, key=len, default="")
    return (left,) if 0 < len(left) <= _MAX_SUBJECT_CHARS and _CJK.search(left) else ()


def sentence_ordinal(text: str) -> int | None:
    """The sentence a question points at (第3句 → 3, 最后一句 → ``LAST``), or None when it names none."""
    match = _SENTENCE_ORDINAL.search(unicodedata.normalize("NFKC", text))
    return _ordinal(match) if match else None


def _ordinal(match: re.Match[str]) -> int | None:
    number, last, english, english_number = match.group(1), match.group(2), match.group(3), match.group(4)
    if number:
        return parse_numeral(number)
    if last:
        return LAST
    if english:
        return _ORDINAL_WORDS[english.lower()]
    return int(english_number) if english_number else 1


def _kind(
    text: str, remainder: str, references: tuple[Reference, ...], is_list: bool
) -> tuple[QuestionKind, int | None, tuple[str, ...], str]:
    """The kind of a question, with the sentence ordinal, the subjects and the structure aspect where they apply."""
    if references:
        return _referenced_kind(text, remainder, references, is_list)
    if _DOCUMENT_COUNT.search(text) and len(_leftover(text, _DOCUMENT_COUNT, _TITLE, _GENERIC, _LIST_HINT)) <= 3:
        return QuestionKind.STRUCTURE, None, (), "count"
    claim = _DOCUMENT_CLAIM.search(text)
    if claim and (DOCUMENT_NAME.search(text) or _DOCUMENT_POINTER.search(text)):
        claimed = (claim.group("by") or claim.group("of")).strip().removeprefix("由")
        leftover = _leftover(text.replace(claimed, " "), _DOCUMENT_CLAIM, _DOCUMENT_POINTER)
        if len(leftover) <= _MAX_DOCUMENT_FACT_LEFTOVER:
            return QuestionKind.STRUCTURE, None, (claimed,), "document"
    fact = _DOCUMENT_FACT.search(text)
    if fact and len(_leftover(text, _DOCUMENT_FACT, _GENERIC, _DOCUMENT_POINTER)) <= _MAX_DOCUMENT_FACT_LEFTOVER:
        return QuestionKind.STRUCTURE, None, (), "document"
    if _OCCURRENCE.search(text):
        return QuestionKind.OCCURRENCE, None, _subjects(remainder, _OCCURRENCE, _LOCATE), ""
    compare = _COMPARE.search(text)
    if compare:
        sides = _compare_sides(remainder)
        if len(sides) >= 2:
            return QuestionKind.COMPARE, None, sides, ""
    if _LOCATE.search(text):
        return QuestionKind.LOCATE, None, _subjects(remainder, _LOCATE), ""
    if _DEFINITION.search(text) and not is_list:
        subjects = _subjects(remainder, _DEFINITION)
        if subjects:
            return QuestionKind.DEFINITION, None, subjects, ""
    if is_list:
        return QuestionKind.LIST, None, (), ""
    return QuestionKind.CONTENT, None, (), ""


def _structural(remainder: str, pattern: re.Pattern[str]) -> bool:
    """Nothing but the structure wording is left: the question is about the units, not about a topic in them."""
    return len(_leftover(remainder, pattern, _GENERIC, _LIST_HINT, _TITLE, _PART_WORDS)) <= _MAX_STRUCTURE_LEFTOVER


def _referenced_kind(
    text: str, remainder: str, references: tuple[Reference, ...], is_list: bool
) -> tuple[QuestionKind, int | None, tuple[str, ...], str]:
    sentence = _SENTENCE_ORDINAL.search(text)
    if sentence and (ordinal := _ordinal(sentence)) is not None:
        return QuestionKind.SENTENCE, ordinal, (), ""
    kinds = {r.kind for r in references}
    if _SENTENCE_COUNT.search(text):
        return QuestionKind.STRUCTURE, None, (), "sentences"
    # 第四部分包括哪几条 / 第9条属于哪个部分, but not 第五部分包括容错纠错吗 / 火线提拔属于第十三条吗 (about a topic)
    if kinds & {PART, PREAMBLE} == {PART} and _MEMBERS.search(text) and _structural(remainder, _MEMBERS):
        return QuestionKind.STRUCTURE, None, (), "members"
    if ARTICLE in kinds and _PART_OF.search(remainder) and _structural(remainder, _PART_OF):
        return QuestionKind.STRUCTURE, None, (), "part_of"
    if _TITLE.search(remainder) and len(_leftover(remainder, _TITLE, _GENERIC)) <= 2:
        return QuestionKind.STRUCTURE, None, (), "title"
    if len(references) >= 2 and _COMPARE.search(text):
        return QuestionKind.COMPARE, None, (), ""
    if _OCCURRENCE.search(text):
        return QuestionKind.OCCURRENCE, None, _subjects(remainder, _OCCURRENCE), ""
    if len(_leftover(remainder, _GENERIC, _LOCATE)) <= 1:  # 第13条讲什么 / 最后一条是第几条: the unit answers
        return QuestionKind.LOOKUP, None, (), ""
    return (QuestionKind.LIST if is_list else QuestionKind.CONTENT), None, (), ""


def _compare_sides(remainder: str) -> tuple[str, ...]:
    """The two things a comparison names: quoted terms, else the words around 和/与/and."""
    quoted = tuple(dict.fromkeys(_QUOTED.findall(remainder)))
    if len(quoted) >= 2:
        return quoted[:2]
    core = _COMPARE.split(remainder)[0]
    core = re.sub(r"(?:有|存在)?(?:什么|啥|哪些|何)?$|^(?:请问)?", "", core.strip(" ?？。"))
    sides = _COMPARE_SPLIT.split(core)
    # a clause before the first side or after the last is no part of them (……跟踪调研，频率上 → 跟踪调研)
    sides[0], sides[-1] = _CLAUSE_BREAK.split(sides[0])[-1], _CLAUSE_BREAK.split(sides[-1])[0]
    sides = [_EDGE_FILLER.sub("", _SAID_IN.sub("", side.strip())) for side in sides]
    sides = [side for side in sides if side]
    return tuple(sides[-2:]) if len(sides) >= 2 else ()
