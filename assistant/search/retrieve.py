"""Hybrid retrieval: BM25 and dense scores at unit and sentence level, fused per unit.

Unit references (第13条, 第四部分, 序言, 第6段) bypass ranking and go straight to the unit.
"""

from __future__ import annotations

import re
from collections.abc import Container, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from ..base.errors import UnitNotFoundError
from ..question.query import LAST, PART, ParsedQuestion, Reference, topic_text
from ..text.bridge import lookup
from ..text.corpus import ARTICLE, BOOK_TITLE, COMMENTARY, PARAGRAPH, POLICY, PREAMBLE, Document, Unit, unit_reference
from ..text.numerals import int_to_cn
from ..text.segment import STOPWORDS
from .index import SearchIndex

__all__ = ["Evidence", "Fusion", "Hit", "Retriever"]

_ASCII_WORD = re.compile(r"^[a-z]+$")
_MIN_ENGLISH_WORD = 3  # "s" of "what's", "ok": no topic
_SPECIFIC_SHARE = 0.25  # a word in at most a quarter of the units says what the question is about
# a heading this short wins BM25's length normalisation on a single shared word
_SHORT_TITLE = 8
# Hits are built for the best units only: every answer strategy reads the head of the ranking, and building a hit for
# each of 5800 units took half of a question's time at 200 copies of the corpus. More than any real corpus here has.
CANDIDATES = 64


@dataclass(frozen=True)
class Fusion:
    """How sparse and dense evidence are combined.

    Attributes:
        method: ``weighted`` (min-max normalised scores, weighted sum) or ``rrf`` (reciprocal rank).
        dense_weight: share of the dense signal in ``weighted`` fusion (the rest is BM25).
        sentence_weight: share of the best sentence in a unit's score (the rest is the whole unit).
        commentary_factor: multiplier on commentary units, so the authoritative text ranks first on ties.
        use_sparse: include BM25; use_dense: include the embedders.
        embedders: names of the index's embedders to rank with (None: all of them). The refusal feature
            ``dense_top`` always comes from the index's first embedder, so refusal stays calibrated.
        title_weight: weight of a heading-like row (an article's short title, a part heading, a question the text
            asks itself) and of a unit that is nothing but one: a four-character heading such as 加强组织领导
            otherwise outscores whole sentences on one shared word.
    """

    method: str = "weighted"
    dense_weight: float = 0.5
    sentence_weight: float = 0.7
    commentary_factor: float = 0.9
    rrf_k: int = 20
    use_sparse: bool = True
    use_dense: bool = True
    embedders: tuple[str, ...] | None = None
    adaptive_sparse: bool = True
    title_weight: float = 0.5


@dataclass(frozen=True)
class Hit:
    """A ranked unit with its fused score and the fused score of each of its sentences."""

    unit: Unit
    score: float
    sentence_scores: tuple[float, ...]
    position: int

    def best_sentences(self, limit: int) -> list[int]:
        """Indexes (0-based) of the best-scoring sentences, best first."""
        order = np.argsort(-np.array(self.sentence_scores), kind="stable")
        return [int(i) for i in order[:limit]]


@dataclass
class Evidence:
    """What retrieval found for one question, with the features the refusal rule uses.

    Attributes:
        coverage: share of the question's content tokens that occur in the best unit.
        known: share of the question's content tokens that occur anywhere in the corpus.
        dense_top: best cosine similarity of the question to any unit or sentence (first embedder).
        matched: how many specific question words (in at most a quarter of the units) occur in the best unit
            (in the named units, for 第13条…).
        direct: the question named units (第13条…), which are the hits.
        not_found: a message when a named unit does not exist (第99条) or the question does not say which
            document's it means.
        named: the units the references name, in the question's order (a part as itself, not expanded).
    """

    question: ParsedQuestion
    hits: list[Hit]
    query_tokens: list[str] = field(default_factory=list)
    coverage: float = 0.0
    known: float = 0.0
    dense_top: float = 0.0
    matched: int = 0
    direct: bool = False
    not_found: str = ""
    named: tuple[Unit, ...] = ()


def _is_heading_row(unit: Unit, sentence: int) -> bool:
    """A row that names a topic without saying anything about it.

    That is an article's short heading as a sentence of its own (加强组织领导), a part's heading, or a question the
    text asks itself (我们要锻造一支怎样的队伍？): each echoes a question's words while answering none of them.
    """
    text = unit.sentences[sentence - 1].text.rstrip()
    if text.endswith(("？", "?")):
        return True
    title = unit.title
    if unit.kind == PART:
        return text.rstrip("。") == title
    return unit.kind == ARTICLE and 0 < len(title) <= _SHORT_TITLE and text.rstrip("。") == title


def _spoken(reference: Reference) -> str:
    """第13条, 第四部分, 序言, 第6段: how a question writes the reference."""
    if reference.number == LAST:
        return {PART: "最后一部分", PARAGRAPH: "最后一段"}.get(reference.kind, "最后一条")
    return unit_reference(reference.kind, reference.number)


def _minmax(values: np.ndarray) -> np.ndarray:
    span = float(values.max() - values.min()) if values.size else 0.0
    return (values - values.min()) / span if span > 1e-12 else np.zeros_like(values)


def _scaled(values: np.ndarray) -> np.ndarray:
    top = float(values.max()) if values.size else 0.0
    return values / top if top > 1e-12 else np.zeros_like(values)


def _rrf(values: np.ndarray, k: int) -> np.ndarray:
    ranks = np.empty(values.size)
    ranks[np.argsort(-values, kind="stable")] = np.arange(1, values.size + 1)
    return 1.0 / (k + ranks)


class Retriever:
    """Ranks units of a ``SearchIndex`` for parsed questions."""

    def __init__(self, index: SearchIndex, fusion: Fusion | None = None) -> None:
        self.index = index
        self.fusion = fusion or Fusion()
        self._unit_position = {u.id: i for i, u in enumerate(index.units)}
        rows = [index.rows[i] for i in index.sentence_rows]
        self._sentence_weight = np.array(
            [
                self.fusion.title_weight if _is_heading_row(index.units[unit], row.sentence) else 1.0
                for unit, row in zip(index.sentence_unit, rows, strict=True)
            ]
        )
        heading_only = np.ones(len(index.units), dtype=bool)
        np.logical_and.at(heading_only, index.sentence_unit, self._sentence_weight < 1.0)
        self._unit_weight = np.where(heading_only, self.fusion.title_weight, 1.0)
        commentaries = {d.id for d in index.corpus.documents_of_kind(COMMENTARY)}
        in_commentary = np.array([u.doc in commentaries for u in index.units])
        # A question that names the commentary ranks its paragraphs first (unless there is no commentary).
        self._commentary_mask = (
            np.where(in_commentary, 1.0, 0.01) if in_commentary.any() else np.ones(len(in_commentary))
        )
        self._has_sentences = index.sentence_end > index.sentence_start  # sentence rows are grouped by unit
        self._paragraph_factor = np.array(
            [self.fusion.commentary_factor if u.kind == PARAGRAPH else 1.0 for u in index.units]
        )

    def retrieve(
        self, question: ParsedQuestion, limit: int = CANDIDATES, context: Sequence[str] = (), keywords: bool = False
    ) -> Evidence:
        """Rank units for ``question`` (the best ``limit``); references (第13条) go straight to their units, in the
        document the question names, else in one of ``context`` (ids of the documents the conversation is about).
        ``keywords``: rank by BM25 alone (for a phrase taken from the text, where the embedders add nothing but
        their cost)."""
        if question.references:
            return self._direct(question, context)
        unit_scores, sentence_scores, terms, dense_top = self._score(question.text, keywords)
        if question.about_commentary:
            unit_scores = unit_scores * self._commentary_mask
        order = np.argsort(-unit_scores, kind="stable")[:limit]
        hits = [self._hit(int(i), unit_scores, sentence_scores) for i in order]
        return self._evidence(question, hits, terms, dense_top)

    def resolve(
        self, reference: Reference, text: str = "", context: Sequence[str] = (), alone: bool = True
    ) -> list[Unit]:
        """The units a reference names: one, or one per document when it is the question's only reference and
        follows several document names (网格意见和垃圾分类意见的第1条).

        Args:
            reference: a reference parsed from ``text``.
            text: the question (NFKC), whose document names (《意见2》第13条) say which document is meant.
            context: ids of the documents the conversation is about, for a reference that names none.
            alone: the reference is the question's only one.

        Raises:
            UnitNotFoundError: with a message that says how many units of that kind exist, which documents have
                the unit when the question does not say which one it means, that the document named has no units
                of that kind (《评论员文章》第3条), or that the corpus has no document of the name (《条例》第3条).
        """
        return [self._find(d, reference) for d in self._documents_for(reference, text, context, alone)]

    @staticmethod
    def _find(document: Document, reference: Reference) -> Unit:
        """The unit of ``document`` a reference names.

        Raises:
            UnitNotFoundError: saying how many units of that kind the document has.
        """
        kind = reference.kind
        number = document.count(kind) if reference.number == LAST else reference.number
        unit = document.find(kind, number)
        if unit is not None:
            return unit
        count = document.count(kind)
        names = {ARTICLE: ("条", "第{}条"), PART: ("部分", "第{}部分"), PARAGRAPH: ("段", "第{}段")}
        if kind == PREAMBLE:
            raise UnitNotFoundError(f"{document.short}没有序言。")
        noun, pattern = names[kind]
        shown = (
            int_to_cn(reference.number)
            if kind == PART and reference.number and reference.number < 10000
            else reference.number
        )
        raise UnitNotFoundError(
            f"{document.short}共有{count}{'个' if kind == PART else ''}{noun}，没有{pattern.format(shown)}；"
            f"请查询第1至{count}{noun}。"
        )

    def _documents_for(self, reference: Reference, text: str, context: Sequence[str], alone: bool) -> list[Document]:
        """The document a reference points into: the one named nearest before it in the question (each one named
        before it, when it is ``alone``), else one named after it that has such a unit, else the one the
        conversation is about, else the only one of its kind that has such a unit."""
        corpus = self.index.corpus
        wanted = COMMENTARY if reference.commentary and reference.kind in (PARAGRAPH, PREAMBLE) else POLICY
        if reference.kind == PARAGRAPH:
            wanted = COMMENTARY
        candidates = corpus.documents_of_kind(wanted) or list(corpus.documents)
        mentions = corpus.mentions(text)
        before = [d for start, d in mentions if start <= reference.start]
        if before and before[-1] not in candidates:
            noun = "条" if before[-1].kind == POLICY else "段"
            raise UnitNotFoundError(f"{before[-1].short}没有{_spoken(reference)}：它按{noun}编排。")
        if len(candidates) == 1:
            return candidates
        unknown = [t for t in BOOK_TITLE.findall(text) if corpus.document_named(t) is None]
        if unknown and not mentions:
            names = "、".join(d.short for d in candidates)
            raise UnitNotFoundError(f"所收录的文件中没有《{unknown[0]}》；可查询：{names}。")
        number = reference.number
        having = [d for d in candidates if number == LAST or d.find(reference.kind, number) is not None]
        named_before = [d for d in dict.fromkeys(before) if d in candidates]
        if named_before:
            return named_before if alone else named_before[-1:]
        after = [d for start, d in mentions if start > reference.start and d in having]
        if after:
            return after[:1]
        in_context = [d for d in candidates if d.id in context]
        if len(in_context) == 1:
            return in_context
        if len(having) == 1:
            return having
        if not having:
            return candidates[:1]
        shown = "、".join(d.short for d in having)
        raise UnitNotFoundError(
            f"{shown}都有{_spoken(reference)}；请说明是哪一份文件，例如“{having[0].short}{_spoken(reference)}”。"
        )

    def _direct(self, question: ParsedQuestion, context: Sequence[str]) -> Evidence:
        units: list[Unit] = []
        alone = len(question.references) == 1
        try:
            named = tuple(
                unit
                for reference in question.references
                for unit in self.resolve(reference, question.text, context, alone)
            )
        except UnitNotFoundError as missing:
            return Evidence(question, [], direct=True, not_found=str(missing))
        for unit in named:
            units += [u for u in self.expand(unit) if u not in units]
        unit_scores, sentence_scores, terms, dense_top = self._score(topic_text(question.remainder))
        hits = [self._hit(self._unit_position[u.id], unit_scores, sentence_scores, fixed=1.0) for u in units]
        evidence = self._evidence(question, hits, terms, dense_top)
        evidence.direct, evidence.named = True, named
        return evidence

    def expand(self, unit: Unit) -> list[Unit]:
        """A part stands for its heading and its articles."""
        if unit.kind != PART:
            return [unit]
        document = self.index.corpus.document_of(unit)
        return document.part_members(unit.number or 0)

    def _hit(
        self, position: int, unit_scores: np.ndarray, sentence_scores: np.ndarray, fixed: float | None = None
    ) -> Hit:
        sentences = sentence_scores[self.index.sentence_start[position] : self.index.sentence_end[position]]
        score = float(unit_scores[position]) if fixed is None else fixed
        return Hit(self.index.units[position], score, tuple(sentences.tolist()), position)

    def query_terms(self, text: str) -> list[tuple[str, list[str]]]:
        """Each content word of ``text`` with the corpus tokens that stand for it.

        A Chinese word stands for itself; an English word for its bridged Chinese words (none when
        the corpus has no word for it).
        """
        terms: list[tuple[str, list[str]]] = []
        for token in dict.fromkeys(self.index.segmenter.tokens(text)):
            if _ASCII_WORD.match(token):
                targets = lookup(self.index.bridge, token)
                if len(token) < _MIN_ENGLISH_WORD or targets == []:
                    continue  # too short, or too vague (years → 年, one → 23 words): no topic either way
                terms.append((token, targets or []))
            else:
                terms.append((token, [token]))
        return terms

    def specific_words(self, text: str) -> list[str]:
        """Words of ``text`` (jieba's precise mode) that say what it is about: two characters or more, not stopwords,
        and in at most a quarter of the units (a word the corpus lacks counts as specific)."""
        bm25 = self.index.unit_bm25
        floor = bm25.idf_at(_SPECIFIC_SHARE)
        words = self.index.segmenter.words(text)
        return [w for w in words if len(w) >= 2 and w.lower() not in STOPWORDS and bm25.idf(w) >= floor]

    def _term_weights(self, terms: list[tuple[str, list[str]]]) -> np.ndarray:
        """IDF of each question word (its best translation; a word the corpus lacks gets the highest IDF)."""
        bm25 = self.index.unit_bm25
        return np.array([max((bm25.idf(t) for t in tokens), default=bm25.idf("")) for _, tokens in terms])

    @staticmethod
    def _found(terms: list[tuple[str, list[str]]], vocabulary: Container[str]) -> np.ndarray:
        return np.array([any(t in vocabulary for t in tokens) for _, tokens in terms], dtype=bool)

    def _known_share(self, terms: list[tuple[str, list[str]]]) -> float:
        """IDF-weighted share of the question's words that occur in the corpus."""
        if not terms:
            return 0.0
        weights = self._term_weights(terms)
        return float(weights[self._found(terms, self.index.unit_bm25.postings)].sum() / weights.sum())

    def _evidence(
        self, question: ParsedQuestion, hits: list[Hit], terms: list[tuple[str, list[str]]], dense_top: float
    ) -> Evidence:
        """Attach the refusal features: IDF-weighted shares of the question's words found."""
        coverage = known = 0.0
        matched = 0
        if hits and terms:
            against = hits if question.references else hits[:1]  # named units together, else the best one
            unit_tokens = {t for h in against for t in self.index.tokens[self.index.unit_rows[h.position]]}
            weights = self._term_weights(terms)
            in_top = self._found(terms, unit_tokens)
            coverage = float(weights[in_top].sum() / weights.sum())
            known = self._known_share(terms)
            specific = weights >= self.index.unit_bm25.idf_at(_SPECIFIC_SHARE)
            matched = int((in_top & specific).sum())
        return Evidence(question, hits, [word for word, _ in terms], coverage, known, dense_top, matched=matched)

    def _score(
        self, text: str, keywords: bool = False
    ) -> tuple[np.ndarray, np.ndarray, list[tuple[str, list[str]]], float]:
        """Fused scores for every unit and every sentence, the query terms and the top dense cosine (0 with
        ``keywords``, which leaves the embedders out)."""
        index = self.index
        fusion = replace(self.fusion, use_dense=False) if keywords else self.fusion
        terms = self.query_terms(text)
        n_units = len(index.units)
        if not text.strip():
            return np.zeros(n_units), np.zeros(len(index.sentence_rows)), terms, 0.0
        signals: list[tuple[np.ndarray, np.ndarray, float, bool]] = []
        dense_top = 0.0
        # An English word counts once, split over its translations; a Chinese word is a group of one.
        groups = [(tokens, 1.0 / len(tokens)) for _, tokens in terms if tokens]
        if fusion.use_sparse and index.unit_bm25.known([t for tokens, _ in groups for t in tokens]):
            weight = 1.0 - fusion.dense_weight if fusion.use_dense and index.dense else 1.0
            if fusion.adaptive_sparse and fusion.use_dense and index.dense:
                weight *= self._known_share(terms)
            signals.append(
                (index.unit_bm25.grouped_scores(groups), index.sentence_bm25.grouped_scores(groups), weight, True)
            )
        ranking = [
            name for name in index.dense if fusion.use_dense and (fusion.embedders is None or name in fusion.embedders)
        ]
        for number, (name, dense) in enumerate(index.dense.items()):
            if keywords or (number > 0 and name not in ranking):
                continue
            similarities = dense.scores(text)
            if number == 0:
                dense_top = float(similarities.max())
            if name in ranking:
                share = (fusion.dense_weight if signals else 1.0) / len(ranking)
                signals.append((similarities[index.unit_rows], similarities[index.sentence_rows], share, False))
        unit_total = np.zeros(n_units)
        sentence_total = np.zeros(len(index.sentence_rows))
        for unit_raw, sentence_raw, weight, sparse in signals:
            unit_part, sentence_part = self._normalise(unit_raw, sentence_raw, sparse)
            best_sentence = self._best_per_unit(sentence_part * self._sentence_weight)
            unit_part = unit_part * self._unit_weight
            unit_total += weight * ((1 - fusion.sentence_weight) * unit_part + fusion.sentence_weight * best_sentence)
            sentence_total += weight * sentence_part * self._sentence_weight
        return unit_total * self._paragraph_factor, sentence_total, terms, dense_top

    def _best_per_unit(self, sentence_values: np.ndarray) -> np.ndarray:
        """The best sentence value of each unit (0 for a unit without sentences, and never below 0)."""
        best = np.zeros(len(self.index.units))
        if self._has_sentences.any():
            best[self._has_sentences] = np.maximum(
                np.maximum.reduceat(sentence_values, self.index.sentence_start[self._has_sentences]), 0.0
            )
        return best

    def _normalise(self, unit_raw: np.ndarray, sentence_raw: np.ndarray, sparse: bool) -> tuple[np.ndarray, np.ndarray]:
        """Put one signal on a 0–1 scale: BM25 relative to its best score, cosines min-max."""
        if self.fusion.method == "rrf":
            return _rrf(unit_raw, self.fusion.rrf_k), _rrf(sentence_raw, self.fusion.rrf_k)
        if sparse:
            return _scaled(unit_raw), _scaled(sentence_raw)
        return _minmax(unit_raw), _minmax(sentence_raw)
