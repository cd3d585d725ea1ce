"""One answer strategy per question kind (the extractive answerer in ``extractive.py`` dispatches to them).

Every strategy quotes the text verbatim and cites it; none generates policy text. Strategies for questions about
the text's content (``content``, ``list``, ``locate``, ``definition``, ``compare`` of terms) are *graded*: their draft
is checked by the support rule (relevance, then gaps) and becomes ``full``, ``partial`` with the gap stated first, or
``none`` naming the nearest units. Strategies that read the text's structure (``lookup``, ``structure``,
``sentence``, ``occurrence``, ``compare`` of named units) answer from the parsed corpus directly.

A new kind is one function here (``draft(context, evidence) -> Draft``) registered in ``STRATEGIES``; graded kinds are
listed in ``GRADED_KINDS``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

from ..question.query import LAST, QuestionKind, quoted_terms, topic_text
from ..search.retrieve import Evidence, Hit, Retriever
from ..text.bridge import lookup as bridged
from ..text.corpus import ARTICLE, COMMENTARY, PARAGRAPH, PART, POLICY, Corpus, Document, Sentence, Unit
from ..text.numerals import CN_DIGITS, cn_to_int, int_to_cn
from ..text.segment import Segmenter, corpus_abbreviations
from ..text.terms import formula_count, refers_back
from .answer import Citation, Draft
from .support import FULL, NONE, PARTIAL, SupportRule, answered_measure, unknown_gap

__all__ = [
    "ENUMERATION",
    "GENERATIVE_KINDS",
    "GRADED_KINDS",
    "STRATEGIES",
    "AnswerContext",
    "asks_yes_or_no",
    "body_sentences",
    "contains",
    "count_in",
    "named_content",
    "size_premise",
]

_LIST_MAX = 6
_RELATED_MAX = 3
_LONG_PIECE = 4  # characters
_MEASURE_RIVALS, _MEASURE_RIVAL_SHARE = 3, 0.8  # the second and third hits, within 80 % of the best
_WHOLE_UNITS_MAX = 3
_GROUP_LEADS = 3
ENUMERATION = re.compile(r"(?:[\u4e00-\u9fff“”]+、)+[\u4e00-\u9fff“”]+")
_QUOTED_ITEM = re.compile(r"“[^“”]{1,12}”")
_QUOTED_RUN = re.compile(r"(?:“[^“”]{1,12}”){2,}")
_SHORT_SENTENCE = 40
_MIN_AFFIX = 3
_OCCURRENCE_CITATIONS = 8
# 分几个部分 / 几大块 / how many parts: the parts answer, not the last article
_YES_NO = re.compile(r"(?:吗|没有)[?？]?$|有没有|是否|有无")
# a question that can be answered 能/不能, 是/否: 吗？, X不X (能不能, 会不会, 行不行), 是否, a trailing 不 or 没
_ANSWERED_YES_OR_NO = re.compile(
    r"(?:吗|么|嘛|不|没|没有)\s*[?？。!！]*\s*$|是否|有无|([\u4e00-\u9fff])[不没]\1|可不可以|\b(?:can|is|are|do|does|will)\b.*\?$",
    re.I,
)


def asks_yes_or_no(question: str) -> bool:
    """Whether ``question`` is a yes/no question (能马上给奖励吗？ 会不会… 行不行 … 给奖励不)."""
    return bool(_ANSWERED_YES_OR_NO.search(question.strip()))


_ASKS_PARTS = re.compile(r"部分|板块|块|章|篇|\b(?:parts|sections|chapters)\b", re.I)
_MASK = re.compile(r"\*{2,}|×{2,}|X{2,}|○{2,}")  # a name the published text masks (中共**市委)
# details a question may ask of a document, the form they take in a title line or byline, and their name
_FRONT_DETAILS = (
    (re.compile(r"文号|发文字号|编号|\bdocument number\b", re.I), re.compile(r"〔\d{4}〕|\d+号"), "文号"),
    (
        re.compile(r"什么时候|何时|哪年|哪一年|日期|时间|\d{4}\s*年|\bwhen\b|\bdate\b|\byear\b", re.I),
        re.compile(r"\d{4}\s*年|\d+\s*月\s*\d+\s*日"),
        "发布时间",
    ),
)
_PLACE_TAG = "ns"
# a stated size: 六个部分 / 五大部分 / 共20条 / 一共8段 (not 第六部分, 哪两条, 几个部分)
_STATED_SIZE = re.compile(
    rf"(?<![第哪几\d{CN_DIGITS}])(?P<number>[\d{CN_DIGITS}]+)\s*(?:个|大)?\s*(?P<noun>部分)"
    rf"|(?:共|一共|总共|共计|有)\s*(?P<number2>[\d{CN_DIGITS}]+)\s*(?P<noun2>条|段)"
)
_ASKS_NAME = re.compile(
    r"哪(?:个|座)?(?:市|城市|省|区|县|地方?)|哪里|地名|城市名|\bwhich (?:city|province)\b|\bwhere\b", re.I
)
GENERATIVE_KINDS = frozenset({QuestionKind.CONTENT, QuestionKind.LIST, QuestionKind.DEFINITION})


_NAMED_DOCUMENTS_MAX = 3  # a refusal names this many documents at most; beyond, it counts them


@dataclass
class AnswerContext:
    """What the strategies read: the corpus, the retriever, the support rule and facts derived from the text.

    Attributes:
        formulas: numbered formulas of the text (三张清单, 三个区分开来) → whether the text lists their items.
        sources: what "not covered" answers call the corpus: its documents' short names (《意见》和《评论员文章》), or
            their number when there are more than ``_NAMED_DOCUMENTS_MAX`` (所收录的5份文件).
        abbreviations: words the text may have abbreviated (``corpus_abbreviations``, stored with the index);
            None computes them here.
    """

    corpus: Corpus
    retriever: Retriever
    rule: SupportRule
    segmenter: Segmenter
    formulas: dict[str, bool] = field(default_factory=dict)
    sources: str = ""
    abbreviations: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        self.corpus_text = "\n".join(u.text for u in self.corpus.units)
        self.units_by_id = {u.id: u for u in self.corpus.citable_units}
        if self.abbreviations is None:  # words the text may have abbreviated (党代会 for 党的代表大会)
            self.abbreviations = tuple(corpus_abbreviations(self.corpus_text, self.segmenter))
        masks = (_MASK.search(u.text) for d in self.corpus.documents for u in d.front)
        self.mask = next((m.group(0) for m in masks if m), "")  # the text's own masked name (中共**市委)
        if not self.sources:
            documents = self.corpus.documents
            named = len(documents) <= _NAMED_DOCUMENTS_MAX
            shorts = [d.short for d in documents]
            listed = "和".join(filter(None, ["、".join(shorts[:-1]), shorts[-1]]))
            self.sources = listed if named else f"所收录的{len(documents)}份文件"

    def document(self, unit: Unit) -> Document:
        """The document a unit belongs to."""
        return self.corpus.document_of(unit)


Strategy = Callable[[AnswerContext, Evidence], Draft]


# ---------------------------------------------------------------- quoting helpers


def _citation(unit: Unit, quote: str, score: float) -> Citation:
    return Citation(unit.doc, unit.article, unit.paragraph, unit.label, quote, score, unit.id)


def _quoted_line(unit: Unit, quotes: Sequence[str]) -> str:
    return f"{unit.label}：" + "……".join(f"“{q}”" for q in quotes)


def _is_title(unit: Unit, sentence: Sentence) -> bool:
    return bool(unit.title) and sentence.text.rstrip("。") == unit.title


def body_sentences(unit: Unit) -> list[Sentence]:
    """A unit's sentences without its heading (an article's short title, a part's heading)."""
    if unit.kind == PART:
        return list(unit.sentences[1:])
    return [s for s in unit.sentences if not _is_title(unit, s)]


_QUOTE_MARKS = re.compile("[“”‘’\"']")
_ASIDE = re.compile(r"\([^()]{1,6}\)")


def _comparable(text: str, subject: str) -> tuple[str, str]:
    """Both width-normalized; quotation marks dropped when the subject has none (随访制度 matches “随访”制度), and
    short asides in brackets too (组织部门 matches 组织（人事）部门)."""
    subject = unicodedata.normalize("NFKC", subject)
    width, unquoted = _text_forms(text)
    text = width if _QUOTE_MARKS.search(subject) else unquoted
    if "(" not in subject and subject not in text:
        text = _without_asides(text)
    return text, subject


@lru_cache(maxsize=1 << 16)
def _text_forms(text: str) -> tuple[str, str]:
    """A text of the corpus width-normalized, with and without its quotation marks (computed once per text: every
    question compares its words with every unit)."""
    width = unicodedata.normalize("NFKC", text)
    return width, _QUOTE_MARKS.sub("", width)


@lru_cache(maxsize=1 << 12)
def _without_asides(text: str) -> str:
    return _ASIDE.sub("", text)


def contains(text: str, subject: str) -> bool:
    """``subject`` occurs in ``text`` (width-insensitive: 党委(党组) matches 党委（党组）; quotes aside)."""
    if not subject:
        return False
    text, subject = _comparable(text, subject)
    return subject in text


def count_in(text: str, subject: str) -> int:
    """How often ``subject`` occurs in ``text`` (width-insensitive, quotes aside)."""
    if not subject:
        return 0
    text, subject = _comparable(text, subject)
    return text.count(subject)


def _sentences_for(hit: Hit, limit: int = 2, subject: str = "") -> list[int]:
    """The best sentences of a hit, in reading order; a bare title gets its best body sentence.

    With a ``subject``, the first sentence containing it leads.
    """
    unit = hit.unit
    ranked = hit.best_sentences(len(unit.sentences))
    containing = [i for i, s in enumerate(unit.sentences) if contains(s.text, subject) and not _is_title(unit, s)]
    top = containing[0] if containing else ranked[0]
    chosen = [top]
    scores = hit.sentence_scores
    body = [i for i in ranked if not _is_title(unit, unit.sentences[i])]
    following = top + 1
    if _is_title(unit, unit.sentences[top]) and body:
        chosen.append(body[0])
    elif len(unit.sentences[top].text) < _SHORT_SENTENCE and following < len(unit.sentences):
        chosen.append(following)  # a short lead sentence usually announces what the next one says
    elif limit > 1 and len(ranked) > 1 and ranked[1] != top and scores[ranked[1]] >= 0.6 * scores[top] > 0:
        chosen.append(ranked[1])
    chosen = chosen[:limit]
    if top > 0 and refers_back(unit.sentences[top].text) and not _is_title(unit, unit.sentences[top - 1]):
        chosen.append(top - 1)  # 这四个特质… is quoted with the sentence that lists the four, whatever the limit
    return sorted(dict.fromkeys(chosen))


def _quotes(hit: Hit, limit: int = 2, subject: str = "") -> list[str]:
    return [hit.unit.sentences[i].text for i in _sentences_for(hit, limit, subject)]


def _part_phrase(context: AnswerContext, unit: Unit) -> str:
    if unit.kind != ARTICLE or unit.part is None:
        return ""
    part = context.document(unit).find(PART, unit.part)
    return f"，属于第{int_to_cn(unit.part)}部分（{part.title}）" if part else ""


# ---------------------------------------------------------------- content strategies (graded)


def content(context: AnswerContext, evidence: Evidence) -> Draft:
    """The best sentence(s) of the best unit, then related units."""
    main = _giving_measure(evidence.question.text, evidence.hits)
    quotes = _quotes(main)
    citations = [_citation(main.unit, q, main.score) for q in quotes]
    lines = [_quoted_line(main.unit, quotes)]
    top = evidence.hits[0].score
    related = [h for h in evidence.hits if h is not main and h.score >= 0.6 * top][:_RELATED_MAX]
    if related:
        lines.append("相关内容：")
    for hit in related:
        quotes = _quotes(hit, limit=1)
        citations += [_citation(hit.unit, q, hit.score) for q in quotes]
        lines.append(_quoted_line(hit.unit, quotes))
    return Draft("\n".join(lines), tuple(citations))


def _giving_measure(question: str, hits: Sequence[Hit], subject: str = "") -> Hit:
    """The best of ``hits``, or, when the question asks for a measure (多久, 几次, 多少钱) its quotes do not give, a
    close one whose quotes give it (用1至2年时间)."""
    best = hits[0]
    answered = answered_measure(question)
    if answered is None or any(answered.search(q) for q in _quotes(best, subject=subject)):
        return best
    close = [h for h in hits[1:_MEASURE_RIVALS] if h.score >= _MEASURE_RIVAL_SHARE * best.score]
    return next((h for h in close if any(answered.search(q) for q in _quotes(h, subject=subject))), best)


def listing(context: AnswerContext, evidence: Evidence) -> Draft:
    """Items of a list: one enumerating sentence, a group of parallel units, or the top units."""
    main = evidence.hits[0]
    count = evidence.question.list_count
    group = _parallel_group(evidence.hits, count)
    named = _enumeration_of(context, evidence, group is not None) or _formula_named(context, evidence)
    if named is not None:
        hit, sentence = named
        cited = (_citation(hit.unit, sentence, hit.score),)
        return Draft(_quoted_line(hit.unit, [sentence]), cited, anchored=count is not None)
    # one sentence that enumerates the items answers, unless it is the commentary restating parallel articles
    if _enumerates("".join(_quotes(main, limit=1)), count) and (group is None or main.unit.kind != PARAGRAPH):
        return content(context, evidence)
    words = _noun_words(context, evidence.question.list_noun)
    anchored = group is not None and count is not None and any(w in h.unit.title for h in group for w in words)
    if group is None:
        group = [h for h in evidence.hits if h.score >= 0.7 * main.score][: count or _LIST_MAX]
    citations, lines = [], []
    for number, hit in enumerate(sorted(group, key=lambda h: h.position), start=1):
        quotes = _quotes(hit, limit=1)
        citations += [_citation(hit.unit, q, hit.score) for q in quotes]
        lines.append(f"{number}. {_quoted_line(hit.unit, quotes)}")
    citations.sort(key=lambda c: -c.score)
    return Draft("\n".join(lines), tuple(citations), anchored=anchored)


def _noun_words(context: AnswerContext, noun: str) -> list[str]:
    """The text's words for a list noun of two characters or more: itself, or an English noun's Chinese words
    (teams → 团队)."""
    found = (bridged(context.retriever.index.bridge, noun) or []) if noun.isascii() else [noun]
    return [w for w in found if len(w) >= 2]


def _subject_hits(evidence: Evidence, subject: str) -> list[Hit]:
    """Hits whose unit contains ``subject``, else all hits; the document the question names (or the policy text)
    first."""
    containing = [h for h in evidence.hits if contains(h.unit.text, subject)] or evidence.hits
    commentary_first = evidence.question.about_commentary
    return sorted(containing, key=lambda h: ((h.unit.kind == PARAGRAPH) != commentary_first, -h.score))


def locate(context: AnswerContext, evidence: Evidence) -> Draft:
    """Where the text says it: the unit (and its part), with the sentence, then other units that say it too."""
    subject = evidence.question.subjects[0] if evidence.question.subjects else ""
    hits = _subject_hits(evidence, subject)
    main = _giving_measure(evidence.question.text, hits, subject)
    hits = [main, *(h for h in hits if h is not main)]
    quotes = _quotes(main, limit=1, subject=subject)
    if subject in quoted_terms(evidence.question.text) and not contains(main.unit.text, subject):
        # not “见…”: the text lacks the term, and the support grade says so before the nearest provision
        return Draft(_quoted_line(main.unit, quotes), (_citation(main.unit, quotes[0], main.score),))
    lines = [f"见{main.unit.label}{_part_phrase(context, main.unit)}：", _quoted_line(main.unit, quotes)]
    citations = [_citation(main.unit, quotes[0], main.score)]
    others = [h for h in hits[1:] if contains(h.unit.text, subject) or (not subject and h.score >= 0.8 * main.score)]
    if others:
        lines.append("也见于：")
    for hit in others[:_RELATED_MAX]:
        quotes = _quotes(hit, limit=1, subject=subject)
        citations += [_citation(hit.unit, q, hit.score) for q in quotes]
        lines.append(_quoted_line(hit.unit, quotes))
    return Draft("\n".join(lines), tuple(citations))


def definition(context: AnswerContext, evidence: Evidence) -> Draft:
    """The sentence that introduces the term (where it first stands in the policy text), then other uses."""
    subject = evidence.question.subjects[0] if evidence.question.subjects else ""
    hits = _subject_hits(evidence, subject)
    if not contains(hits[0].unit.text, subject):
        return content(context, evidence)
    main = hits[0]
    quotes = _quotes(main, limit=1, subject=subject)
    citations = [_citation(main.unit, q, main.score) for q in quotes]
    lines = [_quoted_line(main.unit, quotes)]
    for hit in [h for h in hits[1:] if contains(h.unit.text, subject)][:_RELATED_MAX]:
        quotes = _quotes(hit, limit=1, subject=subject)
        if not lines[-1].startswith("相关") and len(lines) == 1:
            lines.append("相关内容：")
        citations += [_citation(hit.unit, q, hit.score) for q in quotes]
        lines.append(_quoted_line(hit.unit, quotes))
    return Draft("\n".join(lines), tuple(citations))


def compare(context: AnswerContext, evidence: Evidence) -> Draft:
    """Both sides quoted: named units side by side, or the sentences that state each term."""
    named = evidence.named
    if evidence.direct and named and all(u.kind == PART for u in named) and not _topical(context, evidence, True):
        lines, citations = [], []
        for part in named:  # 第二部分和第三部分有什么区别: what each part holds
            line, cited = _part_members(context, part)
            lines.append(line)
            citations += cited
        return Draft(_with_quotes(lines, citations, context.units_by_id), tuple(citations))
    if evidence.direct:
        hits = [h for h in evidence.hits if h.unit.kind != PART] or evidence.hits
        lines, citations = [], []
        topical = _topical(context, evidence)
        for hit in hits:
            first = [s.text for s in body_sentences(hit.unit)[:2]] or [hit.unit.text]
            quotes = _quotes(hit, limit=2) if topical else first
            citations += [_citation(hit.unit, q, 1.0) for q in quotes]
            lines.append(_quoted_line(hit.unit, quotes))
        return Draft("\n".join(lines), tuple(citations))
    lines, citations, missing, read_as = [], [], [], []
    for side in evidence.question.subjects:
        anchor = _in_text(context, side)
        if not anchor:
            missing.append(side)
            continue
        if anchor != side:
            read_as.append(f"“{side}”按原文的“{anchor}”")
        side_evidence = context.retriever.retrieve(
            replace(evidence.question, text=anchor, remainder=anchor), keywords=True
        )
        hits = [h for h in side_evidence.hits if contains(h.unit.text, anchor)]
        hit = sorted(hits, key=lambda h: (h.unit.kind == PARAGRAPH, -h.score))[0]
        quotes = _quotes(hit, limit=1, subject=anchor)
        citations += [_citation(hit.unit, q, hit.score) for q in quotes]
        lines.append(f"“{side}”：{_quoted_line(hit.unit, quotes)}")
    if read_as:
        lines.insert(0, f"（{'、'.join(read_as)}引用。）")
    if not citations:
        nearest = tuple(h.unit.label for h in evidence.hits[:3])
        asked = "、".join(f"“{m}”" for m in missing)
        return Draft(f"原文没有提到{asked}。", (), NONE, nearest=nearest)
    gap = f"原文没有提到{'、'.join(f'“{m}”' for m in missing)}，只能引用另一方的原文。" if missing else ""
    return Draft("\n".join(lines), tuple(citations), PARTIAL if gap else FULL, gap)


def _topical(context: AnswerContext, evidence: Evidence, in_text: bool = False) -> bool:
    """The question says what it is about besides the units it names (第4条和第10条都讲年轻干部 …); with ``in_text``,
    in words the text uses (侧重点 is how the question asks, not a topic)."""
    words = context.retriever.specific_words(topic_text(evidence.question.remainder))
    return any(contains(context.corpus_text, w) for w in words) if in_text else bool(words)


def _asked_subject(context: AnswerContext, evidence: Evidence) -> str:
    """The question's first subject as the text writes it (评论员文章里实干出现几次 → 实干), else as asked; a quoted
    one as quoted. For counting, which needs the exact wording."""
    asked = evidence.question.subjects[0] if evidence.question.subjects else ""
    if asked in quoted_terms(evidence.question.text):
        return asked
    return _in_text(context, asked) or asked


def _in_text(context: AnswerContext, phrase: str) -> str:
    """What the text calls a phrase of the question: the phrase itself, else the longest piece of it that the text
    uses and that keeps at least half of it, the rarer on a tie (了疗休养 → 疗休养, 破格提拔 → 破格); else empty."""
    text = context.corpus_text
    if not phrase or contains(text, phrase):
        return phrase
    pieces = {phrase[i:j] for i in range(len(phrase)) for j in range(i + 2, len(phrase) + 1)} - {phrase}
    core = len(phrase.replace("的", ""))
    # a piece keeps half of what the phrase says, or is a long term itself (每季度一轮的跟踪调研 → 跟踪调研)
    used = [p for p in pieces if (2 * len(p) >= core or len(p) >= _LONG_PIECE) and contains(text, p)]
    return min(used, key=lambda p: (-len(p), count_in(text, p), phrase.index(p)), default="")


# ---------------------------------------------------------------- structural strategies


def lookup(context: AnswerContext, evidence: Evidence) -> Draft:
    """Named units: the sentences asked about, else whole units (a long list by first sentence)."""
    focused = bool(evidence.query_tokens) and evidence.question.kind != QuestionKind.LOOKUP
    whole = len(evidence.hits) <= _WHOLE_UNITS_MAX
    citations, lines = [], []
    for hit in evidence.hits:
        unit = hit.unit
        if unit.kind == PART or (whole and not focused):
            quotes = [unit.text]
        elif focused:
            quotes = _quotes(hit, limit=2 if whole else 1)
        else:
            quotes = [unit.sentences[0].text]
        citations += [_citation(unit, q, hit.score) for q in quotes]
        lines.append(_quoted_line(unit, quotes))
    return Draft("\n".join(lines), tuple(citations))


def named_content(context: AnswerContext, evidence: Evidence) -> Draft:
    """A question about named units (第13条对…怎么规定): the focused sentences, or the units with the gap stated."""
    if evidence.query_tokens and evidence.coverage < context.rule.min_coverage:
        labels = "、".join(h.unit.label for h in evidence.hits[:_WHOLE_UNITS_MAX])
        named_text = "".join(h.unit.text for h in evidence.hits)
        absent = [t for t in _longest(evidence.query_tokens) if len(t) >= 2 and not contains(named_text, t)]
        asked = "、".join(f"“{t}”" for t in (absent or _longest(evidence.query_tokens))[:3])
        whole = replace(evidence.question, kind=QuestionKind.LOOKUP)
        draft = lookup(context, replace(evidence, question=whole))
        return replace(draft, support=PARTIAL, gap=f"{labels}没有提到{asked}；以下是原文。")
    return listing(context, evidence) if evidence.question.is_list else lookup(context, evidence)


def _longest(tokens: Sequence[str]) -> list[str]:
    """Tokens not contained in a longer token of the same list (退休年龄, not 退休 and 年龄 as well)."""
    return [t for t in tokens if not any(t != other and t in other for other in tokens)]


def _with_quotes(summary: list[str], citations: Sequence[Citation], units: dict[str, Unit]) -> str:
    """A structural answer: its summary lines, then every cited sentence quoted under its label."""
    return "\n".join([*summary, *(_quoted_line(units[c.unit_id], [c.quote]) for c in citations)])


def structure(context: AnswerContext, evidence: Evidence) -> Draft:
    """The text's structure: a part's articles, an article's part, a unit's title, or the counts of a document."""
    question = evidence.question
    if question.aspect == "count":
        return _document_outline(context, evidence)
    if question.aspect == "document":
        return _front_matter(context, evidence)
    units = evidence.named
    lines, citations = [], []
    for unit in units:
        heading = unit.sentences[0].text
        if question.aspect == "members" and unit.kind == PART:
            line, cited = _part_members(context, unit)
            lines.append(line)
            citations += cited
        elif question.aspect == "sentences":
            body = body_sentences(unit)
            lines.append(f"{unit.label}共{len(body)}句{'（不算标题）' if unit.title else ''}。")
            citations += [_citation(unit, s.text, 1.0) for s in body]
        elif question.aspect == "part_of" and unit.kind == ARTICLE and unit.part is not None:
            part = context.document(unit).find(PART, unit.part)
            lines.append(f"{unit.label}{_part_phrase(context, unit)}。")
            if part is not None:
                citations.append(_citation(part, part.sentences[0].text, 1.0))
            citations.append(_citation(unit, heading, 1.0))
        else:
            title = unit.title or heading
            lines.append(f"{unit.label}的标题是“{title}”。" if unit.title else _quoted_line(unit, [heading]))
            citations.append(_citation(unit, heading, 1.0))
    return Draft(_with_quotes(lines, citations, context.units_by_id), tuple(citations))


def _part_members(context: AnswerContext, part: Unit) -> tuple[str, list[Citation]]:
    """The line naming a part's articles (第二部分包括3条：第5条（筑实理想信念）、…), citing the part and each article's
    heading."""
    members = [u for u in context.document(part).part_members(part.number or 0) if u.kind == ARTICLE]
    names = "、".join(f"第{u.number}条（{u.title}）" if u.title else f"第{u.number}条" for u in members)
    citations = [
        _citation(part, part.sentences[0].text, 1.0),
        *(_citation(u, u.sentences[0].text, 1.0) for u in members),
    ]
    return f"{part.label}包括{len(members)}条：{names}。", citations


def _named_documents(documents: Sequence[Document], text: str, corpus: Corpus) -> list[Document]:
    """Those of ``documents`` that ``text`` names by one of their aliases (意见, 《评论员文章》, a title)."""
    named = {d.id for _, d in corpus.mentions(text)}
    return [d for d in documents if d.id in named]


def _front_matter(context: AnswerContext, evidence: Evidence) -> Draft:
    """The document's title line and byline, quoted; what they leave open (a masked name, a date, a document number)
    or contradict (是上海市委的意见吗, 由市委组织部发布吗) is the gap."""
    question = evidence.question
    named = _named_documents(context.corpus.documents, question.text, context.corpus)
    if len(named) < 2 and question.about_commentary:
        named = context.corpus.documents_of_kind(COMMENTARY)
    documents = named or (context.corpus.documents_of_kind(POLICY) or list(context.corpus.documents))[:1]
    front_units = [unit for document in documents for unit in document.front]
    citations = [_citation(unit, unit.text, 1.0) for unit in front_units]
    lines = [f"{unit.label}：“{unit.text}”" for unit in front_units]
    front = "".join(unit.text for unit in front_units)
    gap = _front_matter_gap(context, question.text, question.subjects[0] if question.subjects else "", front)
    return Draft("\n".join(lines), tuple(citations), PARTIAL if gap else FULL, gap)


def _front_matter_gap(context: AnswerContext, question: str, claim: str, front: str) -> str:
    masked = _MASK.search(front)  # this document's mask, where it stands
    # 上海市委 fills the masked slot of 中共**市委: something stands where the mask stands, before what follows it
    fills_mask = bool(masked and claim) and claim.find(front[masked.end() : masked.end() + 2]) > 0
    names_place = any(tag == _PLACE_TAG for _, tag in context.segmenter.tagged(claim)) if claim else False
    if masked and (_ASKS_NAME.search(question) or names_place or fills_mask):
        return f"原文隐去了名称（以“{masked.group(0)}”代替），没有写明具体是哪里；以下是原文的标题。"
    for asked, stated, noun in _FRONT_DETAILS:
        if asked.search(claim or question) and not stated.search(front):
            return f"原文的标题和署名没有写明{noun}；以下是原文。"
    if claim and not contains(front, claim):
        return f"原文的标题和署名中没有“{claim}”；以下是原文。"
    return ""


def size_premise(context: AnswerContext, question: str) -> str:
    """The gap when the question states how many parts, articles or paragraphs a document has (意见的六个部分, 共20条)
    and the document has another number."""
    for match in _STATED_SIZE.finditer(question):
        try:
            stated = cn_to_int(match.group("number") or match.group("number2"))
        except ValueError:
            continue
        noun = match.group("noun") or match.group("noun2")
        kind = {"条": ARTICLE, "段": PARAGRAPH}.get(noun, PART)
        documents = [d for d in context.corpus.documents if d.count(kind)]
        named = _named_documents(documents, question, context.corpus) or documents[:1]
        if named and named[0].count(kind) != stated:
            actual = named[0].count(kind)
            measure = "个部分" if kind == PART else noun
            return f"{named[0].short}共{actual}{measure}，不是{stated}{measure}；以下是原文。"
    return ""


def _document_outline(context: AnswerContext, evidence: Evidence) -> Draft:
    question = evidence.question
    commentary = question.about_commentary or "段" in question.text or "paragraph" in question.text.lower()
    wanted = COMMENTARY if commentary else None
    corpus = context.corpus
    documents = [d for d in corpus.documents if wanted is None or d.kind == wanted] or list(corpus.documents)
    # the documents the question names, else every document of the first kind (the policies, or the commentaries)
    targets = _named_documents(documents, question.text, corpus) or [
        d for d in documents if d.kind == documents[0].kind
    ]
    lines, citations = [], []
    for document in targets:
        _outline_lines(document, question.text, lines, citations)
    gap = size_premise(context, question.text)
    return Draft(_with_quotes(lines, citations, context.units_by_id), tuple(citations), PARTIAL if gap else FULL, gap)


def _outline_lines(document: Document, question: str, lines: list[str], citations: list[Citation]) -> None:
    """A document's size and layout (articles by part, or its paragraphs), with the units that show it."""
    if document.count(ARTICLE):
        parts = [u for u in document.units if u.kind == PART]
        last = document.find(ARTICLE, document.count(ARTICLE))
        lines.append(
            f"{document.short}共{document.count(ARTICLE)}条（最后一条是{last.label}），分为{len(parts)}个部分："
        )
        found: list[Citation] = []
        for part in parts:
            members = [u for u in document.part_members(part.number or 0) if u.kind == ARTICLE]
            articles = "、".join(u.reference + (f"（{u.title}）" if u.title else "") for u in members)
            lines.append(f"{part.reference}（{part.title}）：{articles}")
            found.append(_citation(part, part.sentences[0].text, 1.0))
        last_citation = _citation(last, last.sentences[0].text, 1.0)
        if parts and _ASKS_PARTS.search(question) and "条" not in question:
            found.append(last_citation)
        else:
            found.insert(0, last_citation)
        citations += found
    else:
        paragraphs = [u for u in document.units if u.kind == PARAGRAPH]
        lines.append(f"{document.short}共{len(paragraphs)}段（最后一段是{paragraphs[-1].label}）。")
        citations += [_citation(u, u.sentences[0].text, 1.0) for u in reversed(paragraphs)]


def sentence(context: AnswerContext, evidence: Evidence) -> Draft:
    """The M-th (or last) sentence of a named unit, counted after its heading."""
    ordinal = 1 if evidence.question.ordinal is None else evidence.question.ordinal
    lines, citations, gaps = [], [], []
    for unit in evidence.named:
        sentences = body_sentences(unit)
        index = len(sentences) if ordinal == LAST else ordinal
        if not 1 <= index <= len(sentences):
            gaps.append(f"{unit.label}（标题之外）只有{len(sentences)}句，没有第{ordinal}句；以下是全文。")
            citations.append(_citation(unit, unit.text, 1.0))
            lines.append(_quoted_line(unit, [unit.text]))
            continue
        chosen = sentences[index - 1]
        citations.append(_citation(unit, chosen.text, 1.0))
        lines.append(f"{unit.label}第{index}句（共{len(sentences)}句）：“{chosen.text}”")
    gap = "".join(gaps)
    return Draft("\n".join(lines), tuple(citations), PARTIAL if gap else FULL, gap)


def occurrence(context: AnswerContext, evidence: Evidence) -> Draft:
    """How often a term stands in the text and where: a count per unit, with the first sentence in each."""
    subject = _asked_subject(context, evidence)
    scope = _occurrence_scope(context, evidence)
    counted = [(u, count_in(u.text, subject)) for u in scope if contains(u.text, subject)]
    in_scope = {u.id for u in scope}
    outside = [u for u in context.corpus.units if u.id not in in_scope]
    elsewhere = [(u, count_in(u.text, subject)) for u in outside if contains(u.text, subject)]
    if not counted and subject and elsewhere:  # 评论员文章提到火线提拔吗: no, but the Opinion does
        named = "、".join(d.short for d in context.corpus.documents if any(u.doc == d.id for u in scope)) or "所问范围"
        places = "、".join(f"{u.label}{n}次" for u, n in elsewhere)
        return _occurrences(context, [f"{named}中没有出现“{subject}”；它出现在：{places}。"], elsewhere, subject)
    if not counted and subject and evidence.hits and _YES_NO.search(evidence.question.text):
        # 意见提到“躺平”干部吗: no; the nearest provisions follow, as for any word the text never uses
        return replace(content(context, evidence), support=PARTIAL, gap=unknown_gap([subject]))
    if not counted:
        nearest = tuple(h.unit.label for h in evidence.hits[:3])
        message = (
            f"原文中没有出现“{subject}”。"
            if subject
            else "没有看出要统计哪个词；请把它放在引号里，例如：“实干家”出现几次？"
        )
        return Draft(message, (), NONE, nearest=nearest)
    total = sum(n for _, n in counted)
    places = "、".join(f"{u.label}{n}次" for u, n in counted)
    in_scope = [d for d in context.corpus.documents if any(u.doc == d.id for u in scope)]
    where = "、".join(d.short for d in in_scope) if len(in_scope) < len(context.corpus.documents) else ""
    lines = [f"“{subject}”在{where}正文中共出现{total}次，分布在{len(counted)}处：{places}。"]
    titles = [
        d.short for d in context.corpus.documents if contains(d.title, subject) and d.id in {u.doc for u in scope}
    ]
    if titles:
        lines.append(f"（另外，{'、'.join(titles)}的标题中也有“{subject}”。）")
    return _occurrences(context, lines, counted, subject)


def _occurrences(context: AnswerContext, lines: list[str], counted: list[tuple[Unit, int]], subject: str) -> Draft:
    """The summary lines, then the first sentence with ``subject`` in each counted unit, quoted and cited."""
    citations = []
    for unit, _ in counted[:_OCCURRENCE_CITATIONS]:
        first = next((s.text for s in unit.sentences if contains(s.text, subject)), unit.text)
        citations.append(_citation(unit, first, 1.0))
        lines.append(_quoted_line(unit, [first]))
    return Draft("\n".join(lines), tuple(citations))


def _occurrence_scope(context: AnswerContext, evidence: Evidence) -> list[Unit]:
    """The units to count in: the named units, the documents the question names (评论员文章, 意见), else everything."""
    question = evidence.question
    if question.references:
        return [unit for named in evidence.named for unit in context.retriever.expand(named)]
    if question.about_commentary:
        return [u for d in context.corpus.documents_of_kind(COMMENTARY) for u in d.units]
    named = _named_documents(context.corpus.documents, question.text, context.corpus)
    return [u for d in named for u in d.units] if named else list(context.corpus.units)


STRATEGIES: dict[QuestionKind, Strategy] = {
    QuestionKind.CONTENT: content,
    QuestionKind.LIST: listing,
    QuestionKind.LOCATE: locate,
    QuestionKind.DEFINITION: definition,
    QuestionKind.COMPARE: compare,
    QuestionKind.LOOKUP: lookup,
    QuestionKind.STRUCTURE: structure,
    QuestionKind.SENTENCE: sentence,
    QuestionKind.OCCURRENCE: occurrence,
}
GRADED_KINDS = frozenset({QuestionKind.CONTENT, QuestionKind.LIST, QuestionKind.LOCATE, QuestionKind.DEFINITION})


def _parallel_group(hits: Sequence[Hit], count: int | None) -> list[Hit] | None:
    """Units of one kind whose short titles are written in parallel (shared opening or ending).

    With a count (哪四个) any of the best few hits may lead a group of exactly that size; without one, only the best
    hit may lead, and any group of two or more is taken.
    """
    for lead in hits[: _GROUP_LEADS if count else 1]:
        title = lead.unit.title
        if not title:
            continue
        group = [
            h
            for h in hits
            if h.unit.doc == lead.unit.doc
            and h.unit.kind == lead.unit.kind
            and h.unit.title
            and _shared_affix(h.unit.title, title) >= _MIN_AFFIX
        ]
        if (count and len(group) == count) or (not count and len(group) >= 2):
            return group
    return None


def _common_prefix(a: str, b: str) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))


def _shared_affix(a: str, b: str) -> int:
    """Length of the longer of the common prefix and the common suffix of two titles."""
    longest = max(_common_prefix(a, b), _common_prefix(a[::-1], b[::-1]))
    return min(longest, len(a) - 1, len(b) - 1)


def _enumeration_of(context: AnswerContext, evidence: Evidence, parallel_articles: bool) -> tuple[Hit, str] | None:
    """The best-ranked sentence that lists items of the kind asked for, as many as asked (哪三种能力 / which three
    abilities → 政治判断力、政治领悟力、政治执行力); the commentary's only when no parallel articles answer."""
    noun, count = evidence.question.list_noun, evidence.question.list_count
    if not noun or evidence.question.references:
        return None
    # items end like the noun: 能力 → 力, and an English noun like its Chinese words (abilities → 能力 → 力)
    heads = {word[-1] for word in _noun_words(context, noun)} if noun.isascii() else {noun[-1]}
    for hit in evidence.hits:
        if parallel_articles and hit.unit.kind == PARAGRAPH:
            continue
        for sentence in hit.unit.sentences:
            for run in ENUMERATION.findall(sentence.text):
                items = [item.strip("“”") for item in run.split("、")]
                if count not in (None, len(items)):
                    continue
                if any(all(i.endswith(h) for i in items[:-1]) and h in items[-1] for h in heads):
                    return hit, sentence.text
    return None


def _formula_named(context: AnswerContext, evidence: Evidence) -> tuple[Hit, str] | None:
    """The sentence with the text's numbered formula of the asked count and kind (three lists → “三张清单”)."""
    question = evidence.question
    noun, count = question.list_noun, question.list_count
    if not noun or count is None or question.references:
        return None
    words = _noun_words(context, noun)
    for term in context.formulas:
        if formula_count(term) != count or not any(w in term for w in words):
            continue
        for hit in evidence.hits:
            sentence = next((s.text for s in hit.unit.sentences if f"“{term}”" in s.text), "")
            if sentence:
                return hit, sentence
    return None


def _enumerates(sentence: str, count: int | None) -> bool:
    """The sentence lists ``count`` items or more, separated by 、 or quoted one after another (“甲”“乙”)."""
    if not count or count < 2:
        return False
    runs = [len(_QUOTED_ITEM.findall(run)) for run in _QUOTED_RUN.findall(sentence)]
    return max([sentence.count("、") + 1, *runs]) >= count
