"""Browsing the corpus: a table of contents and the 提法 (official wording) index.

Both are built from the parsed corpus; nothing here is specific to one document.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..text.corpus import ARTICLE, PART, POLICY, Corpus, Sentence, Unit, quoted_terms

__all__ = ["TermEntry", "TocEntry", "table_of_contents", "term_index"]


@dataclass(frozen=True)
class TocEntry:
    """One line of the table of contents: the unit, its nesting depth, and the text to show."""

    unit: Unit
    depth: int
    title: str


@dataclass(frozen=True)
class TermEntry:
    """A quoted term “…”: where it appears and the sentence that introduces it (its first use in a policy text)."""

    term: str
    units: tuple[Unit, ...]
    sentence: Sentence
    unit: Unit


def table_of_contents(corpus: Corpus) -> list[TocEntry]:
    """Documents' units in reading order: parts at depth 0, their articles at depth 1, paragraphs at depth 0."""
    entries = []
    for document in corpus.documents:
        for unit in document.units:
            if unit.kind == ARTICLE:
                depth = 1 if unit.part else 0
                title = f"{unit.number}. {unit.title or unit.sentences[0].text[:24]}"
            elif unit.kind == PART:
                depth, title = 0, unit.label.removeprefix(document.short)
            else:
                depth, title = 0, unit.label
            entries.append(TocEntry(unit, depth, title))
    return entries


def term_index(corpus: Corpus) -> list[TermEntry]:
    """Every quoted term in the corpus, in order of first appearance (policy texts first)."""
    policy_first = {d.id: d.kind != POLICY for d in corpus.documents}
    units = sorted(corpus.units, key=lambda u: policy_first[u.doc])
    first: dict[str, tuple[Sentence, Unit]] = {}
    places: dict[str, dict[str, Unit]] = {}
    for unit in units:
        for sentence in unit.sentences:
            for term in quoted_terms(sentence.text):
                first.setdefault(term, (sentence, unit))
                places.setdefault(term, {}).setdefault(unit.id, unit)
    return [TermEntry(term, tuple(places[term].values()), *first[term]) for term in first]
