"""The answer value types: citations, drafts from the kind strategies, the finished ``Answer`` and stream events."""

from __future__ import annotations

from dataclasses import dataclass, field

from .normalize import Correction
from .support import FULL, NONE

__all__ = ["Answer", "Citation", "Correction", "Draft", "StreamEvent"]


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
class Draft:
    """What a kind's strategy produced: the answer body, its citations, its support grade and the stated gap.

    ``anchored``: the strategy found the answer by the text's structure (a list of as many items as asked, of the kind
    asked), so it is about the question even when few of its words match (an English question).
    """

    body: str
    citations: tuple[Citation, ...]
    support: str = FULL
    gap: str = ""
    nearest: tuple[str, ...] = ()
    anchored: bool = False


@dataclass(frozen=True)
class Answer:
    """An answer: its text, the citations behind it (best first) and how fully the text supports it.

    Attributes:
        question: the question as typed (cleaned).
        text: what the user reads: a note on how the question was read, the gap (partial answers), then the body.
        citations: verbatim quotes with their labels, best first.
        support: ``full`` (the text answers it), ``partial`` (the text covers the topic but leaves ``gap`` open) or
            ``none`` (the text does not cover it; ``nearest`` names the closest units).
        gap: for partial answers, the sentence that says what the text does not settle.
        nearest: the closest units of an answer with support ``none``.
        rewritten: the standalone form of a follow-up question.
        kind: the question kind that answered it (``content``, ``structure``, ``sentence`` …).
        corrections: near-miss spellings that were read as corpus terms.
    """

    question: str
    text: str
    citations: tuple[Citation, ...]
    support: str = FULL
    gap: str = ""
    nearest: tuple[str, ...] = field(default=())
    rewritten: str = ""
    kind: str = "content"
    corrections: tuple[Correction, ...] = ()

    @property
    def refused(self) -> bool:
        """True exactly when the text does not cover the question (support ``none``)."""
        return self.support == NONE

    def to_dict(self) -> dict:
        """The JSON object printed by ``ask --json``."""
        return {
            "question": self.question,
            "answer": self.text,
            "support": self.support,
            "refused": self.refused,
            "gap": self.gap,
            "kind": self.kind,
            "corrections": [{"typed": c.typed, "read_as": c.term} for c in self.corrections],
            "citations": [c.to_dict() for c in self.citations],
        }


@dataclass(frozen=True)
class StreamEvent:
    """A piece of streamed answer text, or (last) the finished ``Answer``."""

    text: str = ""
    answer: Answer | None = None
