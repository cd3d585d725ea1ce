"""The answer value types: citations, drafts from the kind strategies, the finished ``Answer`` and stream events."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..question.normalize import Correction
from .support import FULL, NONE

__all__ = ["Answer", "Citation", "Correction", "Draft", "Generation", "StreamEvent"]


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
class Generation:
    """How a generative answer went: shown or fallen back (and why), the claims kept and dropped, and the timings.

    Attributes:
        kept: a guarded generated answer was shown (False: the extractive fallback).
        reason: why it fell back ("" when kept).
        claims_kept: claims shown.
        dropped: the claims removed, each with the reason.
        first_token_seconds: time to the model's first token (None when none came).
        total_seconds: time from the request to the end of the reply (or the failure).
        reply: the model's raw reply, for evaluation.
        generated: the supported generated text as shown (without the verbatim quotes that follow it).
    """

    kept: bool
    reason: str = ""
    claims_kept: int = 0
    dropped: tuple[tuple[str, str], ...] = ()
    first_token_seconds: float | None = None
    total_seconds: float = 0.0
    reply: str = ""
    generated: str = ""

    def to_dict(self) -> dict:
        """The ``generation`` object of ``ask --json`` (LLM answers only)."""
        return {
            "kept": self.kept,
            "reason": self.reason,
            "claims_kept": self.claims_kept,
            "claims_dropped": [{"claim": claim, "reason": reason} for claim, reason in self.dropped],
            "first_token_seconds": self.first_token_seconds,
            "total_seconds": self.total_seconds,
        }


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
        generation: for an LLM answer, how the generation went; None for extractive answers.
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
    generation: Generation | None = None

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
        } | ({"generation": self.generation.to_dict()} if self.generation else {})


@dataclass(frozen=True)
class StreamEvent:
    """A piece of streamed answer text, or (last) the finished ``Answer``."""

    text: str = ""
    answer: Answer | None = None
