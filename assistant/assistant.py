"""The one API every edge (CLI, web app, eval) uses: build once, then ``ask``, ``show``, ``search``."""

from __future__ import annotations

import contextlib
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from .answering.answer import Answer, StreamEvent
from .answering.extractive import ExtractiveAnswerer, numbered_formulas
from .answering.kinds import AnswerContext
from .answering.support import FULL, SupportRule, calibration_key, load_rule
from .base.config import FIRST_TOKEN_SECONDS, IDLE_SECONDS, MAX_QUESTION_CHARS, Settings
from .base.errors import QuestionError
from .question.followup import rewrite_followup
from .question.normalize import NormalizedQuestion, Normalizer
from .search.embeddings import load_embedder
from .search.index import SearchIndex, build_index, open_index
from .text.corpus import ARTICLE, Corpus, Sentence, Unit, load_corpus

if TYPE_CHECKING:  # the LLM stack loads only when an endpoint or a chat model is given
    import numpy as np
    from langchain_core.language_models.chat_models import BaseChatModel

    from .answering.llm import GenerativeAnswerer
from .question.query import Reference, clean_question, parse_question, parse_reference, strip_references
from .search.retrieve import Evidence, Fusion, Retriever
from .text.segment import Segmenter, domain_terms

__all__ = ["REPLAYED_TURNS", "Assistant", "SearchMatch"]

REPLAYED_TURNS = 8

_TOPIC_SHARE = 0.6


@dataclass(frozen=True)
class SearchMatch:
    """A sentence containing every keyword, with the (start, end) spans of each occurrence."""

    unit: Unit
    sentence: Sentence
    spans: tuple[tuple[int, int], ...]


def _last_cited(history: Sequence[Answer]) -> Answer | None:
    """The latest answer of the conversation that quoted the text (a "no such article" answer quotes nothing)."""
    return next((answer for answer in reversed(history) if answer.citations), None)


class Assistant:
    """The 实干家 policy assistant over one corpus.

    Edges (the CLI, the web app, benchmarks) build it with ``Assistant.from_settings``, which loads the corpus and
    the embedders and opens the index; the constructor takes those parts ready-made (tests build it from a tiny
    corpus and swap a part by building another). Build it once and reuse it.

    Args:
        settings: corpus, index and cache folders, embedder specs and the LLM endpoint.
        index: the opened index (it holds the corpus and the segmenter).
        support_rule: the support thresholds.
        fusion: how sparse and dense evidence are combined.
        chat_model: a LangChain chat model for generative answers; None answers extractively.
        timeout: seconds to wait for the chat model's first token; by default the endpoint's (120).
        idle_timeout: seconds to wait for each next token; by default the endpoint's (30).
    """

    def __init__(
        self,
        settings: Settings,
        index: SearchIndex,
        support_rule: SupportRule,
        fusion: Fusion | None = None,
        chat_model: BaseChatModel | None = None,
        timeout: float | None = None,
        idle_timeout: float | None = None,
    ) -> None:
        self.settings, self.index, self.support_rule, self.chat_model = settings, index, support_rule, chat_model
        llm = settings.llm
        self.timeout = timeout if timeout is not None else (llm.timeout if llm else FIRST_TOKEN_SECONDS)
        self.idle_timeout = idle_timeout if idle_timeout is not None else (llm.idle_timeout if llm else IDLE_SECONDS)
        self.corpus: Corpus = index.corpus
        self.segmenter = index.segmenter
        self.retriever = Retriever(index, fusion)
        self.normalizer = Normalizer(self.corpus, self.segmenter, index.vocabulary, index.readings)
        self.formulas = numbered_formulas(self.corpus)
        context = AnswerContext(
            self.corpus,
            self.retriever,
            support_rule,
            self.segmenter,
            self.formulas,
            abbreviations=tuple(index.abbreviations),
        )
        self.answerer = ExtractiveAnswerer(context)
        self.generator: GenerativeAnswerer | None = None
        if chat_model is not None:
            from .answering.llm import GenerativeAnswerer

            self.generator = GenerativeAnswerer(chat_model, self.answerer, self.timeout, self.idle_timeout)

    @classmethod
    def from_settings(
        cls,
        settings: Settings | None = None,
        fusion: Fusion | None = None,
        support_rule: SupportRule | None = None,
        notify: Callable[[str], None] | None = None,
        progress: bool = False,
        rebuild: bool = False,
        chat_model: BaseChatModel | None = None,
        vectors: Mapping[str, np.ndarray] | None = None,
    ) -> Assistant:
        """Load the corpus and embedders ``settings`` name and open the index (rebuilding it, with a one-line
        notice, when it is missing, stale or damaged).

        Args:
            settings: defaults from the environment.
            fusion: how sparse and dense evidence are combined.
            support_rule: the support thresholds; by default the entry of ``calibration.json`` for the embedders.
            notify: receives one-line notices (e.g. "Building the index …"); None keeps quiet.
            progress: show a progress bar while building.
            rebuild: build the index even when the stored one is fresh.
            chat_model: a LangChain chat model for generative answers; by default one is made from
                ``settings.llm`` when an endpoint is configured, else answers are extractive.
            vectors: for a build, passage vectors computed elsewhere, by embedder name (see ``build_index``).
        """
        settings = settings or Settings()
        corpus = load_corpus(settings.corpus_dir, settings.max_file_bytes)
        segmenter = Segmenter(domain_terms(corpus), settings.cache_dir / "jieba")
        embedders = [load_embedder(spec, settings.cache_dir, settings.model_threads) for spec in settings.embedders]
        options = {
            "workers": settings.build_workers,
            "cache_dir": settings.cache_dir,
            "flat_max_rows": settings.flat_max_rows,
        }
        if rebuild:
            index = build_index(
                corpus, segmenter, embedders, settings.index_dir, progress=progress, vectors=vectors, **options
            )
        else:
            index = open_index(
                corpus, segmenter, embedders, settings.index_dir, notify=notify, progress=progress, **options
            )
        if support_rule is None:
            support_rule, entry = load_rule(settings.embedders)
            key = calibration_key(settings.embedders)
            if entry != key and notify is not None:
                notify(f"Support thresholds were not calibrated for embedders {key!r}; using {entry or 'built-in'} "
                       "values. Run `python -m assistant eval --calibrate` to fit them.")  # fmt: skip
        if chat_model is None and settings.llm is not None:
            from .answering.llm import make_chat_model

            chat_model = make_chat_model(settings.llm)
        return cls(settings, index, support_rule, fusion, chat_model)

    def ask(self, question: str, history: Sequence[Answer] = ()) -> Answer:
        """Answer ``question`` with verbatim, cited quotes, or refuse when the text does not cover it.

        Args:
            question: the question, in Chinese, English or both.
            history: earlier answers of the conversation, oldest first; a follow-up such as 那第十一条呢？
                is rewritten into a standalone question from the last one.

        Raises:
            QuestionError: if the question is empty or too long.
        """
        return self.answer_with_evidence(question, history)[0]

    def conversation(self, questions: Sequence[str]) -> list[Answer]:
        """The answers to a conversation's questions in turn, each asked with the ones before it as history (how a
        client that keeps only the messages gets the follow-up context back). Empty or over-long questions are
        skipped; only the last ``REPLAYED_TURNS`` are replayed, which is as far back as a follow-up reaches."""
        answers: list[Answer] = []
        for question in questions[-REPLAYED_TURNS:]:
            with contextlib.suppress(QuestionError):
                answers.append(self.ask(question, answers))
        return answers

    def answer_with_evidence(self, question: str, history: Sequence[Answer] = ()) -> tuple[Answer, Evidence]:
        """``ask``, also returning the retrieval evidence (ranked units and refusal features)."""
        evidence, normalized, standalone = self._evidence(question, history)
        if self.generator:
            answer = self.generator.answer(evidence, normalized)
        else:
            answer = self.answerer.answer(evidence, normalized)
        return self._finish(answer, normalized, standalone), evidence

    def stream(self, question: str, history: Sequence[Answer] = ()) -> Iterator[StreamEvent]:
        """Like ``ask``, streaming the answer text (guarded sentence by sentence with an LLM); the last event
        carries the finished ``Answer``.

        Raises:
            QuestionError: if the question is empty or too long.
        """
        evidence, normalized, standalone = self._evidence(question, history)
        if self.generator is None:
            answer = self.answerer.answer(evidence, normalized)
            events: Iterable[StreamEvent] = (StreamEvent(answer.text), StreamEvent(answer=answer))
        else:
            events = self.generator.stream(evidence, normalized)
        for event in events:
            yield StreamEvent(answer=self._finish(event.answer, normalized, standalone)) if event.answer else event

    def _evidence(self, question: str, history: Sequence[Answer]) -> tuple[Evidence, NormalizedQuestion, str]:
        normalized = self.normalizer.normalize(question)
        standalone = self.standalone(normalized.text, history)
        parsed = parse_question(standalone, original=normalized.original)
        # what is asked about the documents it names, without their names (实施意见第3条 asks nothing about 实施)
        parsed = replace(parsed, remainder=self.corpus.without_names(parsed.remainder))
        # the documents the last answer that quoted anything quoted: an unqualified 第N条 in a follow-up stays there
        cited = _last_cited(history)
        context = tuple(dict.fromkeys(c.doc for c in cited.citations)) if cited else ()
        return self.retriever.retrieve(parsed, context=context), normalized, standalone

    @staticmethod
    def _finish(answer: Answer, normalized: NormalizedQuestion, standalone: str) -> Answer:
        answer = replace(answer, question=normalized.original)
        return replace(answer, rewritten=standalone) if standalone != normalized.text else answer

    def standalone(self, question: str, history: Sequence[Answer]) -> str:
        """The question rewritten to stand alone, given the conversation so far."""
        if not history:
            return question
        previous = history[-1] if history[-1].citations else (_last_cited(history) or history[-1])
        previous_question = previous.rewritten or previous.question
        if self.generator is not None:
            from .answering.llm import rewrite_with_llm

            rewritten = rewrite_with_llm(
                self.generator.model, question, previous_question, self.timeout, self.idle_timeout
            )
            if rewritten and self._keeps_question(rewritten, question, previous_question):
                return rewritten
        unit = self.corpus.unit(previous.citations[0].unit_id) if previous.citations else None
        rewritten = rewrite_followup(
            question, previous_question, unit, self.segmenter.terms, self.answerer.context.corpus_text
        )
        return rewritten if len(rewritten) <= MAX_QUESTION_CHARS else question

    def _keeps_question(self, rewritten: str, question: str, previous: str) -> bool:
        """A model's rewrite of a follow-up may be used: it has no markup, keeps the follow-up's unit references and
        content words, and names no unit and uses no content word that neither question has."""
        from .answering.guard import has_markup  # the LLM path's module: not imported by extractive start-up

        if has_markup(rewritten):
            return False
        asked, given, written = (
            {(r.kind, r.number) for r in parse_reference(text)} for text in (question, question + previous, rewritten)
        )
        if not asked <= written <= given:
            return False
        words = [w for w in self.segmenter.tokens(strip_references(question)) if len(w) > 1]
        added = [w for w in self.segmenter.tokens(strip_references(rewritten)) if len(w) > 1]
        lowered, both = rewritten.lower(), (question + previous).lower()
        return all(w in lowered for w in words) and all(w in both for w in added)

    def topic_units(self, topic: str, limit: int = 5) -> list[Unit]:
        """Policy articles about ``topic``: the best-ranked ones, in reading order.

        Raises:
            QuestionError: if the text does not cover the topic fully (support none or partial).
        """
        answer, evidence = self.answer_with_evidence(topic)
        articles = [h for h in evidence.hits if h.unit.kind == ARTICLE]
        if answer.support != FULL or not articles:
            raise QuestionError(f"the text does not cover {topic!r}; choose articles or a part instead")
        best = articles[0].score
        chosen = [h for h in articles if h.score >= _TOPIC_SHARE * best][:limit]
        return [h.unit for h in sorted(chosen, key=lambda h: h.position)]

    def variant(self, fusion: Fusion) -> Assistant:
        """The same corpus and index with another fusion (for ablations); nothing is reloaded."""
        return Assistant(
            self.settings, self.index, self.support_rule, fusion, self.chat_model, self.timeout, self.idle_timeout
        )

    def with_rule(self, rule: SupportRule) -> Assistant:
        """The same assistant with other support thresholds (for calibration); nothing is reloaded."""
        return Assistant(
            self.settings, self.index, rule, self.retriever.fusion, self.chat_model, self.timeout, self.idle_timeout
        )

    def with_chat_model(
        self, chat_model: BaseChatModel | None, timeout: float | None = None, idle_timeout: float | None = None
    ) -> Assistant:
        """The same assistant answering with ``chat_model`` (None: extractively), waiting at most ``timeout`` s for
        its first token and ``idle_timeout`` s for each next one."""
        first, idle = timeout or self.timeout, idle_timeout or self.idle_timeout
        return Assistant(self.settings, self.index, self.support_rule, self.retriever.fusion, chat_model, first, idle)

    def show(self, reference: str) -> list[Unit]:
        """The units a reference names: ``13``, ``第十三条``, ``article 13``, ``第四部分``, ``序言``, ``第6段``.

        A part comes with its articles.

        Raises:
            QuestionError: if the text names no unit.
            UnitNotFoundError: if the unit does not exist (the message says how many there are).
        """
        if isinstance(reference, str) and not reference.strip():
            raise QuestionError("nothing to show: name an article, part or paragraph, e.g. 13, 第十三条 or 第四部分")
        text = unicodedata.normalize("NFKC", clean_question(reference))
        # a document name and a bare number (《意见2》 3) name that document's article; several (13 14) each theirs
        references = (
            parse_reference(text)
            or parse_reference(self.corpus.without_names(text).strip())
            or _each_reference(text.replace("、", " ").replace(",", " ").split())
        )
        if not references:
            example = f", or {self.corpus.documents[0].short}第13条" if len(self.corpus.documents) > 2 else ""
            raise QuestionError(
                f"{reference!r} names no article, part or paragraph; try 13, 第十三条 or 第四部分{example}"
            )
        units: list[Unit] = []
        for ref in references:
            named = self.retriever.resolve(ref, text, alone=len(references) == 1)
            for member in (m for unit in named for m in self.retriever.expand(unit)):
                if member not in units:
                    units.append(member)
        return units

    def search(self, keywords: str, limit: int = 50) -> list[SearchMatch]:
        """Sentences that contain every whitespace-separated keyword (exact, case-insensitive).

        Raises:
            QuestionError: if no keyword is given.
        """
        if isinstance(keywords, str) and not keywords.strip():
            raise QuestionError("nothing to search for: give one or more keywords, e.g. 容错纠错")
        terms = [t for t in clean_question(keywords).split(" ") if t]
        matches: list[SearchMatch] = []
        for unit in self.corpus.units:
            for sentence in unit.sentences:
                spans = _spans(sentence.text, terms)
                if spans is not None:
                    matches.append(SearchMatch(unit, sentence, spans))
        return matches[:limit]


def _each_reference(pieces: Sequence[str]) -> list[Reference]:
    """The references of several pieces (13 14, 13、15), when there are several and every one names a unit."""
    found = [parse_reference(piece) for piece in pieces]
    return [ref for refs in found for ref in refs] if len(pieces) > 1 and all(found) else []


def _spans(text: str, terms: list[str]) -> tuple[tuple[int, int], ...] | None:
    spans: list[tuple[int, int]] = []
    for term in terms:
        found = [(m.start(), m.end()) for m in re.finditer(re.escape(term), text, re.I)]
        if not found:
            return None
        spans += found
    return tuple(sorted(spans))
