"""Browsing the corpus: a table of contents (the 提法 index beside it is ``text.terms.term_index``).

Built from the parsed corpus; nothing here is specific to one document.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..text.corpus import ARTICLE, PART, Corpus, Unit

__all__ = ["TocEntry", "table_of_contents"]


@dataclass(frozen=True)
class TocEntry:
    """One line of the table of contents: the unit, its nesting depth, and the text to show."""

    unit: Unit
    depth: int
    title: str


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
