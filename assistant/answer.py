"""Extractive answers: verbatim quotes with citation labels, or a refusal naming the nearest units."""

from __future__ import annotations

from dataclasses import dataclass, field

from .corpus import PART, Unit
from .retrieve import Evidence, Hit

__all__ = ["Answer", "Citation", "ExtractiveAnswerer", "RefusalRule", "StreamEvent"]

_LIST_MAX = 6
_RELATED_MAX = 3
_WHOLE_UNITS_MAX = 3
_GROUP_LEADS = 3
_SHORT_SENTENCE = 40
_MIN_AFFIX = 3


@dataclass(frozen=True)
class Citation:
    """Where a quote stands: document, article or paragraph number, label, the verbatim quote, a score."""

    doc: str
    article: int | None
    paragraph: int | None
    label: str
    quote: str
    score: float
    unit_id: str = ""

    def to_dict(self) -> dict:
        """The JSON form (``unit_id`` is for the Python API only)."""
        return {
            "doc": self.doc,
            "article": self.article,
            "paragraph": self.paragraph,
            "label": self.label,
            "quote": self.quote,
            "score": round(self.score, 4),
        }


@dataclass(frozen=True)
class Answer:
    """An answer: its text, the citations behind it (best first), and whether it is a refusal.

    ``nearest`` names the closest units of a refusal; ``rewritten`` is the standalone form of a follow-up.
    """

    question: str
    text: str
    citations: tuple[Citation, ...]
    refused: bool
    nearest: tuple[str, ...] = field(default=())
    rewritten: str = ""

    def to_dict(self) -> dict:
        """The JSON object printed by ``ask --json``."""
        return {
            "question": self.question,
            "answer": self.text,
            "refused": self.refused,
            "citations": [c.to_dict() for c in self.citations],
        }


@dataclass(frozen=True)
class StreamEvent:
    """A piece of streamed answer text, or (last) the finished ``Answer``."""

    text: str = ""
    answer: Answer | None = None


@dataclass(frozen=True)
class RefusalRule:
    """Answer only when the evidence is strong enough; calibrated on answerable and unanswerable questions.

    ``coverage`` is the IDF-weighted share of the question's content words (English words through the
    dictionary bridge) that occur in the best unit. A question is answered when the coverage reaches
    ``min_coverage``, or reaches ``weak_coverage`` while the dense similarity reaches ``strong_dense``.
    English questions need at least two of their words found in the best unit. A question about named units
    (第13条) is answered unless the units do not exist or it asks for something they do not mention.
    """

    min_coverage: float = 0.33
    weak_coverage: float = 0.10
    strong_dense: float = 0.885
    english_min_matched: int = 2

    def refuse(self, evidence: Evidence) -> bool:
        """True when the question should get a refusal."""
        if evidence.direct:
            return bool(evidence.not_found) or self.off_unit(evidence)
        if not evidence.hits:
            return True
        if evidence.question.language == "en" and evidence.matched < self.english_min_matched:
            return True  # English words reach the text through a dictionary: one match is too little evidence
        if evidence.coverage >= self.min_coverage:
            return False
        return not (evidence.coverage >= self.weak_coverage and evidence.dense_top >= self.strong_dense)

    def off_unit(self, evidence: Evidence) -> bool:
        """A question about named units (第13条…) asking for something those units do not mention."""
        return bool(evidence.query_tokens) and evidence.coverage < self.min_coverage


def _quote(hit: Hit, index: int) -> str:
    return hit.unit.sentences[index].text


def _citation(hit: Hit, quote: str, score: float) -> Citation:
    unit = hit.unit
    return Citation(unit.doc, unit.article, unit.paragraph, unit.label, quote, score, unit.id)


def _is_title(unit: Unit, index: int) -> bool:
    return bool(unit.title) and unit.sentences[index].text.rstrip("。") == unit.title


class ExtractiveAnswerer:
    """Builds answers from evidence by quoting sentences verbatim; never generates policy text."""

    def __init__(self, sources: str = "《意见》和《评论员文章》", refusal: RefusalRule | None = None) -> None:
        """``sources`` names the documents in refusals, e.g. 《意见》和《评论员文章》."""
        self.sources = sources
        self.refusal = refusal or RefusalRule()

    def answer(self, evidence: Evidence) -> Answer:
        """The answer for ``evidence``: direct lookup, list, single-point answer, or refusal."""
        question = evidence.question.original
        if evidence.not_found:
            return Answer(question, evidence.not_found, (), True)
        if self.refusal.refuse(evidence):
            return self._refusal(evidence)
        if evidence.direct:
            return self._lookup(evidence)
        if evidence.question.is_list:
            return self._list(evidence)
        return self._point(evidence)

    def _refusal(self, evidence: Evidence) -> Answer:
        nearest = tuple(h.unit.label for h in evidence.hits[:3])
        if evidence.direct:
            named = "、".join(h.unit.label for h in evidence.hits[:3])
            text = f"{named}没有涉及这个问题。"
            return Answer(evidence.question.original, text, (), True, nearest)
        text = f"{self.sources}没有涉及这个问题，无法依据原文作答。"
        if nearest:
            text += "最接近的内容见：" + "、".join(nearest) + "。"
        return Answer(evidence.question.original, text, (), True, nearest)

    def _sentences_for(self, hit: Hit, limit: int = 2) -> list[int]:
        """The best sentences of a hit, in reading order; a bare title gets its best body sentence."""
        ranked = hit.best_sentences(len(hit.unit.sentences))
        top = ranked[0]
        chosen = [top]
        scores = hit.sentence_scores
        body = [i for i in ranked if not _is_title(hit.unit, i)]
        following = top + 1
        if _is_title(hit.unit, top) and body:
            chosen.append(body[0])
        elif len(hit.unit.sentences[top].text) < _SHORT_SENTENCE and following < len(hit.unit.sentences):
            chosen.append(following)  # a short lead sentence usually announces what the next one says
        elif limit > 1 and len(ranked) > 1 and scores[ranked[1]] >= 0.6 * scores[top] > 0:
            chosen.append(ranked[1])
        return sorted(chosen[:limit])

    def _point(self, evidence: Evidence) -> Answer:
        main = evidence.hits[0]
        citations = [_citation(main, _quote(main, i), main.score) for i in self._sentences_for(main)]
        related = [h for h in evidence.hits[1:] if h.score >= 0.6 * main.score][:_RELATED_MAX]
        lines = [self._quoted_line(main, [c.quote for c in citations])]
        if related:
            lines.append("相关内容：")
        for hit in related:
            index = self._sentences_for(hit, limit=1)[0]
            citations.append(_citation(hit, _quote(hit, index), hit.score))
            lines.append(self._quoted_line(hit, [_quote(hit, index)]))
        return Answer(evidence.question.original, "\n".join(lines), tuple(citations), False)

    def _list(self, evidence: Evidence) -> Answer:
        """Items of a list: one enumerating sentence, a group of parallel units, or the top units."""
        main = evidence.hits[0]
        count = evidence.question.list_count
        best = self._sentences_for(main, limit=1)[0]
        if count and _enumerates(_quote(main, best), count):
            return self._point(evidence)
        group = self._parallel_group(evidence, count)
        if group is None:
            group = [h for h in evidence.hits if h.score >= 0.7 * main.score][: count or _LIST_MAX]
        citations, lines = [], []
        for number, hit in enumerate(sorted(group, key=lambda h: h.position), start=1):
            index = self._sentences_for(hit, limit=1)[0]
            quote = _quote(hit, index)
            citations.append(_citation(hit, quote, hit.score))
            lines.append(f"{number}. {self._quoted_line(hit, [quote])}")
        citations.sort(key=lambda c: -c.score)
        return Answer(evidence.question.original, "\n".join(lines), tuple(citations), False)

    @staticmethod
    def _parallel_group(evidence: Evidence, count: int | None) -> list[Hit] | None:
        """Units of one kind whose short titles are written in parallel (shared opening or ending).

        With a count (哪四个) any of the best few hits may lead a group of exactly that size; without one,
        only the best hit may lead, and any group of two or more is taken.
        """
        for lead in evidence.hits[: _GROUP_LEADS if count else 1]:
            title = lead.unit.title
            if not title:
                continue
            group = [
                h
                for h in evidence.hits
                if h.unit.doc == lead.unit.doc
                and h.unit.kind == lead.unit.kind
                and h.unit.title
                and _shared_affix(h.unit.title, title) >= _MIN_AFFIX
            ]
            if (count and len(group) == count) or (not count and len(group) >= 2):
                return group
        return None

    def _lookup(self, evidence: Evidence) -> Answer:
        """Named units: the sentences asked about, else whole units (a long list by first sentence)."""
        focused = bool(evidence.query_tokens)
        whole = len(evidence.hits) <= _WHOLE_UNITS_MAX
        citations, lines = [], []
        for hit in evidence.hits:
            unit = hit.unit
            if unit.kind == PART or (whole and not focused):
                quotes = [unit.text]
            elif focused:
                quotes = [_quote(hit, i) for i in self._sentences_for(hit, limit=2 if whole else 1)]
            else:
                quotes = [unit.sentences[0].text]
            citations += [_citation(hit, q, hit.score) for q in quotes]
            lines.append(self._quoted_line(hit, quotes))
        return Answer(evidence.question.original, "\n".join(lines), tuple(citations), False)

    @staticmethod
    def _quoted_line(hit: Hit, quotes: list[str]) -> str:
        return f"{hit.unit.label}：" + "……".join(f"“{q}”" for q in quotes)


def _common_prefix(a: str, b: str) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))


def _shared_affix(a: str, b: str) -> int:
    """Length of the longer of the common prefix and the common suffix of two titles."""
    longest = max(_common_prefix(a, b), _common_prefix(a[::-1], b[::-1]))
    return min(longest, len(a) - 1, len(b) - 1)


def _enumerates(sentence: str, count: int) -> bool:
    return sentence.count("、") + 1 >= count and count > 1
