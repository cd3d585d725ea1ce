"""Study material for trainers: the one function the command line and the web app both call.

A ``Scope`` (article numbers, parts, a topic, and which policy document) becomes the articles in scope, and those
become a quiz, an outline or a glossary, ready to write as Markdown or Word.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..base.errors import QuestionError
from ..text.corpus import Corpus, Document, Unit
from ..text.terms import glossary
from .export import Material, answer_key_material, glossary_material, outline_material, quiz_material
from .study import QUESTION_TYPES, Quiz, make_quiz, outline, policies, select_units

__all__ = [
    "GLOSSARY",
    "KINDS",
    "OUTLINE",
    "QUIZ",
    "QuizOptions",
    "Scope",
    "exam_papers",
    "lecture_slides",
    "study_material",
]

QUIZ, OUTLINE, GLOSSARY = "quiz", "outline", "glossary"
KINDS = (QUIZ, OUTLINE, GLOSSARY)


@dataclass(frozen=True)
class Scope:
    """What the material covers: article numbers (``11-13``), parts (``四``), a topic, or everything; of one policy
    document (its short name, an alias or its file name) or of all."""

    articles: str | None = None
    parts: str | None = None
    topic: str | None = None
    document: str | None = None

    @property
    def whole(self) -> bool:
        """No articles, parts or topic: the whole text."""
        return not (self.articles or self.parts or self.topic is not None)

    def described(self, corpus: Corpus) -> str:
        """The scope as the material's subtitle says it: 第11-13条, 第四部分, 主题“年轻干部”, 全文."""
        if self.topic is not None:
            text = f"主题“{self.topic}”"
        else:
            pieces = [f"第{self.articles}条" if self.articles else "", f"第{self.parts}部分" if self.parts else ""]
            text = "、".join(p for p in pieces if p) or "全文"
        return (policies(corpus, self.document)[0].short + text) if self.document else text


def scope_units(corpus: Corpus, scope: Scope, topic_units: Callable[[str], list[Unit]] | None = None) -> list[Unit]:
    """The policy articles in ``scope``; a topic needs ``topic_units`` (``Assistant.topic_units``).

    Raises:
        QuestionError: for a scope that names nothing the text has, or a topic the document does not cover.
    """
    if scope.topic is None:
        return select_units(corpus, articles=scope.articles, parts=scope.parts, document=scope.document)
    if scope.articles or scope.parts:
        raise QuestionError("choose a topic or articles and parts, not both")
    if topic_units is None:
        raise QuestionError("a topic needs the search index; build the material through the assistant")
    units = topic_units(scope.topic)
    if scope.document:
        document = policies(corpus, scope.document)[0]
        units = [u for u in units if u.doc == document.id]
        if not units:
            raise QuestionError(f"{document.short}没有涉及主题“{scope.topic}”；请按条或按部分选择。")
    return units


@dataclass(frozen=True)
class QuizOptions:
    """What a quiz asks for: question types, how many questions, the seed, and a difficulty mix (``易:3,中:5,难:2``)."""

    types: tuple[str, ...] = tuple(QUESTION_TYPES)
    count: int = 20
    seed: int = 1
    difficulty: str | None = None

    def make(self, corpus: Corpus, units: Sequence[Unit]) -> Quiz:
        """The quiz over ``units`` (see ``training.make_quiz`` for the errors)."""
        return make_quiz(corpus, units, self.count, list(self.types), self.seed, self.difficulty)


def _resolved(
    corpus: Corpus, scope: Scope, topic_units: Callable[[str], list[Unit]] | None
) -> tuple[list[Unit], str, list[Document]]:
    """The articles of ``scope``, how the material's subtitle names it, and the policy documents it draws on."""
    return scope_units(corpus, scope, topic_units), scope.described(corpus), policies(corpus, scope.document)


def study_material(
    corpus: Corpus,
    kind: str,
    scope: Scope,
    topic_units: Callable[[str], list[Unit]] | None = None,
    quiz: QuizOptions = QuizOptions(),
) -> tuple[Material, str]:
    """A quiz (an exam paper with its answer key after a page break), outline or glossary of ``scope``, and a notice
    for the user (a quiz with fewer questions than asked for says why; otherwise empty).

    Raises:
        QuestionError: for an unknown kind, a scope the text does not have, or a quiz with no question at all.
    """
    units, described, documents = _resolved(corpus, scope, topic_units)
    if kind == OUTLINE:
        return outline_material(corpus, outline(corpus, units), described, documents), ""
    if kind == GLOSSARY:
        every_policy = len(documents) == len(policies(corpus))
        entries = glossary(corpus, None if scope.whole and every_policy else units)
        return glossary_material(corpus, entries, described, documents), ""
    if kind != QUIZ:
        raise QuestionError(f"unknown material {kind!r}; choose one of {', '.join(KINDS)}")
    made = quiz.make(corpus, units)
    return quiz_material(corpus, made, described, documents), made.shortfall


def exam_papers(
    corpus: Corpus,
    scope: Scope,
    topic_units: Callable[[str], list[Unit]] | None = None,
    quiz: QuizOptions = QuizOptions(),
) -> tuple[Material, Material, Quiz]:
    """The student paper of a quiz of ``scope`` (no answers) and its answer key as a separate document.

    Raises:
        QuestionError: as ``study_material``.
    """
    units, described, documents = _resolved(corpus, scope, topic_units)
    made = quiz.make(corpus, units)
    paper = quiz_material(corpus, made, described, documents, key="none")
    return paper, answer_key_material(corpus, made, described, documents), made


def lecture_slides(
    corpus: Corpus, scope: Scope, topic_units: Callable[[str], list[Unit]] | None = None, seed: int = 1
) -> bytes:
    """A lecture deck (.pptx bytes) on ``scope``: see ``slides.slide_deck``.

    Raises:
        QuestionError: for a scope the text does not have.
    """
    from .slides import slide_deck

    deck, _ = slide_deck(corpus, *_resolved(corpus, scope, topic_units), seed)
    return deck
