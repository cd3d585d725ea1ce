"""The extractive answerer: the question kind's strategy drafts, the support rule grades, the answer is composed.

The support *features* of a graded draft are computed here from the question, the evidence and the sentences the
draft quotes: which of the question's words the text lacks (nouns, places, groups of people), and what a gap detector
finds the quotes leave open (a quoted term the text lacks, another place, a member the text does not list, a scope it
does not set, an asked measure, a stated period or number the text does not say, a formula's count, a numbered formula
it names without its items). ``support.py`` owns the gap sentences and the rule that turns the features into a grade.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from functools import partial

from ..question.asks import SCOPE_QUESTIONS, asked_member
from ..question.normalize import Correction, NormalizedQuestion
from ..question.query import QuestionKind, names_document, quoted_terms, topic_text
from ..search.retrieve import Evidence
from ..text.bridge import lookup
from ..text.corpus import BOOK_TITLE, Corpus
from ..text.numerals import CN_DIGITS
from ..text.segment import STOPWORDS
from ..text.terms import NUMBERED_FORMULA, formula_count, glossary
from .answer import Answer, Draft
from .kinds import ENUMERATION, GRADED_KINDS, STRATEGIES, AnswerContext, contains, named_content, size_premise
from .support import (
    FULL,
    NONE,
    PARTIAL,
    Grade,
    SupportFeatures,
    SupportRule,
    asked_spans,
    clauses,
    formula_gap,
    measure_gap,
    membership_gap,
    place_gap,
    premise_gap,
    scope_gap,
    states_measure,
    unknown_gap,
)

__all__ = ["ExtractiveAnswerer", "answer_notes", "numbered_formulas"]

_NOUN_TAGS = {"n", "nz", "vn", "nt", "nr", "an", "ng"}
_PLACE_TAG = "ns"
_TERM_CHARS = 3
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{3,}")
_SHARED_OPENING = 2
_VARIANT_MIN_CHARS = 3
_PERSON_WORDS = ("干部", "同志", "人员", "人", "者", "员", "们")
_ABBREVIATION_REACH = 4  # 党的代表大会: the abbreviation's first characters may stand just before the noun
_DESCRIPTION_WORDS = 3  # 疫情防控一线的干部 describes whom; 台账管理 names an item
_CJK = re.compile(r"[\u4e00-\u9fff]")
_ENGLISH_WORD = re.compile(r"[a-z]{3,}")
_CODED_FORMULA = re.compile(rf"^[{CN_DIGITS}]{{3,}}$")  # 一二三四六十
_ASKS_CONTENT = re.compile(
    r"具体|哪些|哪几|哪[一二两三四五六七八九十]|包括|包含|内容|分别|指什么|是什么|什么意思|\bwhat\b|\bwhich\b", re.I
)


def _features(context: AnswerContext, evidence: Evidence, quotes: Sequence[str]) -> SupportFeatures:
    """The support features of a question and the sentences its draft quotes."""
    question = evidence.question
    topic = topic_text(question.remainder)
    # the tagger (a sixth of a second to load) runs only when a dictionary word of the question may be new to the
    # text: one that is not a search token of the text (a token without capitals is a substring of the text)
    tokens = context.retriever.index.unit_bm25.postings
    tag = question.language != "en" and any(
        len(w) >= 2 and w.lower() not in STOPWORDS and (w != w.lower() or w not in tokens)
        for w in context.segmenter.dictionary_words(topic)
    )
    tagged = _outside(context.segmenter.tagged(topic), topic, asked_spans(topic)) if tag else []
    dictionary = context.segmenter.dictionary
    # a word jieba's dictionary lacks is a leftover of segmenting casual text (人能, 光管), not something asked about
    absent = [
        w
        for w, tag in tagged
        if len(w) >= 2 and not contains(context.corpus_text, w) and w.lower() not in STOPWORDS and dictionary.get(w)
    ]
    places = [w for w, tag in tagged if tag == _PLACE_TAG and w in absent and not _holds_corpus_word(context, w)]
    nouns = tuple(
        dict.fromkeys(
            w
            for w, tag in tagged
            if tag in _NOUN_TAGS and w in absent and not _variant(context, w) and not _spelled_out(context, w, topic)
        )
    )
    # a quoted term or a 《title》 the text never uses (《纪律处分条例》 is no document of this corpus)
    titles = [t for t in BOOK_TITLE.findall(question.text) if context.corpus.document_named(t) is None]
    quoted = tuple(
        t for t in dict.fromkeys([*quoted_terms(question.text), *titles]) if not contains(context.corpus_text, t)
    )
    member, whole = asked_member(question.text)
    covered, scoped = asked_member(question.text, SCOPE_QUESTIONS)
    gap = (
        (unknown_gap(quoted) if quoted else "")
        or place_gap(question.text, places, context.mask)
        or (_member_gap(context, member, whole, quotes) if member else "")
        or (_scope_gap(context, covered, scoped, quotes) if covered else "")
        # what the question asks for and the text does not give comes before a premise it states
        or (measure_gap(question.text, quotes, partial(_dictionary_words, context)) if not member else "")
        or premise_gap(question.text, *_clauses_about(context, topic, quotes), quotes)
        or _formula_count_gap(context, question.text, question.list_count)
        or (size_premise(context, question.text) if not question.references else "")
        or (_formula_gap(context, question.text) if question.kind != QuestionKind.LOCATE else "")
        or _people_gap(nouns)
    )
    return SupportFeatures(
        coverage=evidence.coverage,
        dense_top=evidence.dense_top,
        matched=evidence.matched,
        english=question.language == "en",
        unknown_share=1.0 - evidence.known,
        unknown_nouns=nouns,
        gap=gap,
        names_term=_names_term(context, question.text, evidence),
    )


def _names_term(context: AnswerContext, text: str, evidence: Evidence) -> bool:
    """The question names, word for word, something of three characters or more that the best unit holds: a term of
    the text (a quoted 提法 or a title), or a run of Chinese between English words (… any 容错纠错 protection …)."""
    best = evidence.hits[0].unit.text if evidence.hits else ""
    named = [t for t in context.segmenter.terms if t in text] + _CJK_RUN.findall(text)
    return any(len(t) >= _TERM_CHARS and contains(best, t) for t in named)


def _dictionary_words(context: AnswerContext, text: str) -> list[str]:
    """The specific words of ``text`` that jieba's dictionary or the corpus has: a word jieba made up while segmenting
    casual text (能休 in 年休假一年能休几天) names nothing that could be measured."""
    dictionary = context.segmenter.dictionary
    return [w for w in context.retriever.specific_words(text) if dictionary.get(w) or contains(context.corpus_text, w)]


def _member_gap(context: AnswerContext, member: str, whole: str, quotes: Sequence[str]) -> str:
    """The gap for an asked member: whether the text lists it with the whole (五个一线), else whether the quotes or
    the text name it at all (English words through the bridge)."""
    if _CJK.search(member):
        member = _without_done_with(context, member)
        words = _content_words(context, member)
        in_text = contains(context.corpus_text, member) or all(contains(context.corpus_text, w) for w in words)
        return membership_gap(member, _listed(context, quotes, member, whole), in_text)
    targets = []
    for word in _ENGLISH_WORD.findall(member.lower()):
        found = lookup(context.retriever.index.bridge, word) if word not in STOPWORDS else []
        if found != []:  # a word too vague to bridge says nothing either way
            targets.append(found or [])
    if not targets:
        return ""
    in_quotes = all(any(t in q for t in found for q in quotes) for found in targets)
    return membership_gap(member, in_quotes, all(targets))


def _without_done_with(context: AnswerContext, member: str) -> str:
    """An asked member without the one-character verb done with it (有没有钱发, 有没有房住 ask about 钱, 房)."""
    tagged = context.segmenter.tagged(member)
    if len(tagged) >= 2 and len(tagged[-1][0]) == 1 and tagged[-1][1].startswith("v"):
        return member[: -len(tagged[-1][0])]
    return member


def _listed(context: AnswerContext, quotes: Sequence[str], member: str, whole: str, described: bool = False) -> bool:
    """The text lists the member with the whole: an item (台账管理) word for word in the clause that names the whole
    (配备目标、重点措施、调整计划“三张清单”), a description (疫情防控一线的干部, or whom a provision is for when
    ``described``) word by word in its sentence; without a sentence naming the whole, in the quotes."""
    sentences = [s.text for s in context.corpus.sentences() if whole and contains(s.text, whole)]
    words = _content_words(context, member)
    if not sentences:
        return any(contains(q, member) for q in quotes)
    if described or len(words) >= _DESCRIPTION_WORDS:
        return any(contains(s, member) or all(contains(s, w) for w in words) for s in sentences)
    return any(contains(item, member) for s in sentences for item in _nearest_list(s, whole))


def _nearest_list(sentence: str, whole: str) -> list[str]:
    """The items of the enumeration (甲、乙、丙) standing nearest to ``whole`` in ``sentence``, else the sentence."""
    at = sentence.find(whole) if whole in sentence else 0
    runs = list(ENUMERATION.finditer(sentence))
    if not runs:
        return [sentence]
    run = min(runs, key=lambda r: min(abs(r.start() - at), abs(r.end() - at)))
    return run.group(0).split("、")


def _clauses_about(context: AnswerContext, topic: str, quotes: Sequence[str]) -> tuple[list[str], list[str]]:
    """The clauses of the quotes that share the most words with the question (at least one), and the quotes they
    stand in: what it is about, and around it."""
    words = [w for w in _content_words(context, topic) if not states_measure(w)]
    scored = [(sum(contains(c, w) for w in words), c, q) for q in quotes for c in clauses(q)]
    best = max((score for score, _, _ in scored), default=0)
    if not best:
        return [], []
    chosen = [(c, q) for score, c, q in scored if score == best]
    return [c for c, _ in chosen], list(dict.fromkeys(q for _, q in chosen))


def _content_words(context: AnswerContext, phrase: str) -> list[str]:
    return [w for w in context.segmenter.words(phrase) if len(w) >= 2 and w not in STOPWORDS]


def _scope_gap(context: AnswerContext, covered: str, whole: str, quotes: Sequence[str]) -> str:
    """Whom a provision is asked to apply to: a provision that names them answers (火线提拔适用于疫情防控一线的干部吗);
    the documents themselves set no scope (意见适用于事业单位吗)."""
    if whole and not names_document(whole) and _listed(context, quotes, covered, whole, described=True):
        return ""
    return scope_gap(covered, contains(context.corpus_text, covered))


def _holds_corpus_word(context: AnswerContext, word: str) -> bool:
    """``word`` holds two characters in a row that the text uses: jieba's place tag on 擂台赛 or a compound of the
    text's words is a mistake, not another city."""
    return any(contains(context.corpus_text, word[i : i + 2]) for i in range(len(word) - 1))


def _spelled_out(context: AnswerContext, noun: str, text: str) -> bool:
    """``noun`` (with what comes before it in ``text``) spells out an abbreviation the text uses: 党的代表大会 holds
    党、代、会 in order, so it is the text's 党代会, with at least two of its characters in ``noun`` itself."""
    at = text.find(noun)
    if at < 0:
        return False
    window = text[max(0, at - _ABBREVIATION_REACH) : at + len(noun)]
    start = len(window) - len(noun)
    for word in context.abbreviations:
        positions, position = [], -1
        for char in word:
            position = window.find(char, position + 1)
            if position < 0:
                break
            positions.append(position)
        else:
            if sum(p >= start for p in positions) >= 2 and word not in window:
                return True
    return False


def _people_gap(nouns: Sequence[str]) -> str:
    """A group of people the text never names (老干部, 退休人员) is a gap however close the rest of the question is:
    the text says nothing about them."""
    people = [n for n in nouns if len(n) >= _VARIANT_MIN_CHARS and n.endswith(_PERSON_WORDS)]
    return unknown_gap([*people, *(n for n in nouns if n not in people)]) if people else ""


def _variant(context: AnswerContext, noun: str) -> bool:
    """A person noun is the text's own word for those people in other words when the text names people with the same
    opening (年轻人 ~ 年轻干部, 负责人 ~ 负责同志); 工作人员 is not, for the text has no 工作干部."""
    opening, head = noun[:_SHARED_OPENING], noun[_SHARED_OPENING:]
    return head in _PERSON_WORDS and any(contains(context.corpus_text, opening + word) for word in _PERSON_WORDS)


def _joined(words: Sequence[str], text: str) -> list[str]:
    """``words`` (in reading order) with neighbours that stand side by side in ``text`` written as one (安全 生产 →
    安全生产)."""
    joined: list[str] = []
    for word in words:
        if joined and joined[-1] + word in text:
            joined[-1] += word
        else:
            joined.append(word)
    return joined


def _outside(tagged: list[tuple[str, str]], text: str, spans: list[tuple[int, int]]) -> list[tuple[str, str]]:
    """The tagged words of ``text`` that do not overlap any of ``spans``."""
    kept, position = [], 0
    for word, tag in tagged:
        start = text.find(word, position)
        end = start + len(word)
        position = end if start >= 0 else position
        if start < 0 or not any(start < s_end and s_start < end for s_start, s_end in spans):
            kept.append((word, tag))
    return kept


def _formula_count_gap(context: AnswerContext, text: str, asked: int | None) -> str:
    """The gap when the question asks for a number of items other than the formula it names says (五个一线是哪六个)."""
    for term in context.formulas:
        size = formula_count(term)
        if asked is not None and size is not None and size != asked and term in text:
            return f"原文是“{term}”，共{size}个，不是{asked}个；以下是原文。"
    return ""


def _formula_gap(context: AnswerContext, text: str) -> str:
    """A numbered formula the text names without its items, when the question asks what it contains."""
    if not _ASKS_CONTENT.search(text):
        return ""
    for term, listed in context.formulas.items():
        if not listed and term in text:
            return formula_gap(term)
    return ""


def numbered_formulas(corpus: Corpus) -> dict[str, bool]:
    """Quoted numbered or coded formulas (三张清单, 三个区分开来, 一二三四六十) → whether the text lists their
    items next to them."""
    formulas = {}
    for entry in glossary(corpus):
        if (NUMBERED_FORMULA.match(entry.term) or _CODED_FORMULA.match(entry.term)) and entry.quoted:
            formulas[entry.term] = bool(entry.items)
    return formulas


# ---------------------------------------------------------------- the answerer


class ExtractiveAnswerer:
    """Answers from evidence by dispatching to the question kind's strategy; never generates policy text."""

    def __init__(self, context: AnswerContext) -> None:
        self.context = context

    @property
    def rule(self) -> SupportRule:
        """The support rule in use."""
        return self.context.rule

    def answer(self, evidence: Evidence, normalized: NormalizedQuestion | None = None) -> Answer:
        """The answer for ``evidence``, with the corrections made while normalizing the question."""
        return self.compose(self.draft(evidence), evidence, normalized)

    def draft(self, evidence: Evidence) -> Draft:
        """The kind's draft, graded by the support rule."""
        draft, features = self.ungraded(evidence)
        return draft if features is None else self.apply(draft, features, self.context.rule, evidence)

    def ungraded(self, evidence: Evidence) -> tuple[Draft, SupportFeatures | None]:
        """The kind's draft before grading, with the support features when the kind is graded (else None)."""
        kind = evidence.question.kind
        if evidence.not_found:
            return Draft(evidence.not_found, (), NONE), None
        if evidence.direct and kind in GRADED_KINDS:
            draft = named_content(self.context, evidence)
            # 第3条的“一二三四六十”分别指什么: the named article holds the formula, not its items
            gap = _formula_gap(self.context, evidence.question.text) if draft.support == FULL else ""
            return (replace(draft, support=PARTIAL, gap=gap) if gap else draft), None
        if kind not in GRADED_KINDS:
            return STRATEGIES[kind](self.context, evidence), None
        if not evidence.hits or not evidence.query_tokens:  # 你好, 在吗: nothing asked that the text could answer
            return self._not_covered(evidence), None
        draft = STRATEGIES[kind](self.context, evidence)
        return draft, _features(self.context, evidence, [c.quote for c in draft.citations])

    def apply(self, draft: Draft, features: SupportFeatures, rule: SupportRule, evidence: Evidence) -> Draft:
        """``draft`` with the grade ``rule`` gives its features: unchanged, partial with the gap, or not covered."""
        grade = rule.grade(features)
        if grade.support == NONE and draft.anchored:
            grade = Grade(PARTIAL, features.gap) if features.gap else Grade(FULL)
        if grade.support == NONE:
            return self._not_covered(evidence)
        if grade.support == PARTIAL:
            return replace(draft, support=PARTIAL, gap=grade.gap)
        return draft

    def _not_covered(self, evidence: Evidence) -> Draft:
        nearest = tuple(h.unit.label for h in evidence.hits[:3])
        text = f"{self.context.sources}没有涉及这个问题，无法依据原文作答。"
        if nearest:
            text += "最接近的内容见：" + "、".join(nearest) + "。"
        return Draft(text, (), NONE, nearest=nearest)

    @staticmethod
    def compose(draft: Draft, evidence: Evidence, normalized: NormalizedQuestion | None = None) -> Answer:
        """The finished answer: how the question was read, the gap of a partial answer, then the body."""
        corrections = normalized.corrections if normalized else ()
        lines = [*answer_notes(corrections, draft.support, draft.gap), draft.body]
        citations = draft.citations if draft.support != NONE else ()
        return Answer(
            question=normalized.original if normalized else evidence.question.original,
            text="\n".join(lines),
            citations=citations,
            support=draft.support,
            gap=draft.gap if draft.support == PARTIAL else "",
            nearest=draft.nearest,
            kind=evidence.question.kind.value,
            corrections=corrections,
        )


def answer_notes(corrections: Sequence[Correction], support: str, gap: str) -> list[str]:
    """The lines an answer starts with: how misspelt terms were read, and what a partial answer leaves open."""
    notes = []
    if corrections:
        notes.append("（" + "，".join(f"“{c.typed}”按“{c.term}”理解" for c in corrections) + "。）")
    if support == PARTIAL and gap:
        notes.append(gap)
    return notes
