"""HTML for the web app: source cards, units with highlighted quotes, search hits, the term index.

Every piece of text is escaped here; callers never build HTML from user input themselves.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from html import escape
from pathlib import Path

from ..answering.answer import Answer
from ..answering.support import PARTIAL
from ..assistant import SearchMatch
from ..text.corpus import Unit
from ..text.terms import TermEntry
from ..training.export import markdown_literal

__all__ = [
    "answer_markdown",
    "deck_preview",
    "highlight",
    "mark_spans",
    "plain_markdown",
    "search_results",
    "source_cards",
    "term_table",
    "text_markdown",
    "unit_html",
    "units_html",
]


def mark_spans(
    text: str, spans: Iterable[tuple[int, int]], opening: str, closing: str, quote: Callable[[str], str] = str
) -> str:
    """``text`` with each (start, end) span between ``opening`` and ``closing``; overlapping or touching spans merge
    into one; ``quote`` is applied to the text around and inside the marks (``html.escape`` for a page)."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        elif end > start:
            merged.append([start, end])
    pieces, cursor = [], 0
    for start, end in merged:
        pieces += [quote(text[cursor:start]), opening, quote(text[start:end]), closing]
        cursor = end
    return "".join(pieces) + quote(text[cursor:])


def highlight(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` escaped, with each (start, end) span wrapped in ``<mark>``; overlapping spans merge."""
    return mark_spans(text, spans, "<mark>", "</mark>", escape)


def _quote_spans(text: str, quotes: list[str]) -> list[tuple[int, int]]:
    spans = []
    for quote in quotes:
        start = text.find(quote)
        if start >= 0:
            spans.append((start, start + len(quote)))
    return spans


def plain_markdown(text: str) -> str:
    """Any text as Markdown that shows it literally: no HTML, entity, image, link, emphasis or formula comes of it."""
    return markdown_literal(text)


def deck_preview(path: Path) -> str:
    """A slide deck as Markdown for the preview: each slide's title as a heading, its paragraphs as list items,
    its highlighted 提法 in bold, all text shown literally."""
    from pptx import Presentation

    lines = []
    for number, slide in enumerate(Presentation(str(path)).slides, 1):
        title = slide.shapes.title.text if slide.shapes.title is not None else ""
        lines += [f"### {number}. {plain_markdown(title)}", ""]
        for shape in slide.placeholders:
            if shape.placeholder_format.idx == 0 or not shape.has_text_frame:
                continue
            for paragraph in shape.text_frame.paragraphs:
                pieces = []
                for bold, runs in itertools.groupby(paragraph.runs, key=lambda run: bool(run.font.bold)):
                    text = plain_markdown("".join(run.text for run in runs))
                    pieces.append(f"**{text}**" if bold and text else text)
                if "".join(pieces).strip():
                    lines.append("- " + "".join(pieces))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def text_markdown(text: str) -> str:
    """Answer text as chat Markdown: shown literally, line breaks kept (also for partial text while streaming)."""
    return plain_markdown(text).replace("\n", "  \n")


def answer_markdown(answer: Answer) -> str:
    """The chat message for an answer (Markdown with escaped text), marked by its support grade:
    ⚠️ not covered, ◐ partly covered (the gap in bold first), or plain when the text answers it."""
    rewritten = f"*（理解为：{plain_markdown(answer.rewritten)}）*  \n" if answer.rewritten else ""
    if answer.refused:
        return f"⚠️ **原文未涉及**  \n{text_markdown(answer.text)}"
    if answer.support == PARTIAL and answer.gap:
        rest = answer.text.replace(answer.gap, "", 1).replace("\n\n", "\n").strip("\n")
        return f"{rewritten}◐ **原文只部分涉及：{plain_markdown(answer.gap)}**  \n{text_markdown(rest)}"
    return rewritten + text_markdown(answer.text)


def source_cards(answer: Answer, units: dict[str, Unit]) -> str:
    """One card per cited unit: its label, the quotes, and the whole unit with the quotes highlighted."""
    if answer.refused:
        nearest = "".join(f"<li>{escape(label)}</li>" for label in answer.nearest)
        listing = f"<p>最接近的条文：</p><ul>{nearest}</ul>" if nearest else ""
        return f'<div class="card refusal"><p class="card-title">⚠️ 原文未涉及这个问题</p>{listing}</div>'
    grouped: dict[str, list[str]] = {}
    for citation in answer.citations:
        grouped.setdefault(citation.unit_id, []).append(citation.quote)
    cards = []
    if answer.support == PARTIAL and answer.gap:
        cards.append(f'<div class="card partial"><p class="card-title">◐ {escape(answer.gap)}</p></div>')
    for unit_id, quotes in grouped.items():
        unit = units[unit_id]
        quoted = "".join(f'<blockquote class="quote">{escape(q)}</blockquote>' for q in quotes)
        full = highlight(unit.text, _quote_spans(unit.text, quotes))
        cards.append(
            f'<div class="card" data-unit="{escape(unit.id)}"><p class="card-title">{escape(unit.label)}</p>{quoted}'
            f'<details><summary>查看全文</summary><div class="unit-text">{full}</div></details></div>'
        )
    return "".join(cards)


def unit_html(unit: Unit, spans: list[tuple[int, int]] | None = None) -> str:
    """A unit as a titled block, optionally with highlighted spans."""
    return (
        f'<div class="unit" data-unit="{escape(unit.id)}"><h3>{escape(unit.label)}</h3>'
        f'<div class="unit-text">{highlight(unit.text, spans or [])}</div></div>'
    )


def units_html(units: list[Unit]) -> str:
    """Several units one after another."""
    return "".join(unit_html(u) for u in units)


def search_results(matches: list[SearchMatch], keywords: str) -> str:
    """Matching sentences with the keywords highlighted, each under its label."""
    if not matches:
        return f'<p class="empty">没有找到包含“{escape(keywords)}”的句子。</p>'
    rows = "".join(
        f'<li><span class="label">{escape(m.unit.label)}</span>：{highlight(m.sentence.text, list(m.spans))}</li>'
        for m in matches
    )
    return f'<p>{len(matches)} 处匹配</p><ol class="hits">{rows}</ol>'


def term_table(entries: list[TermEntry], query: str = "") -> str:
    """The 提法 index: term, where it appears, and the sentence that introduces it (term highlighted)."""
    chosen = [e for e in entries if query.strip() in e.term] if query.strip() else entries
    if not chosen:
        return f'<p class="empty">没有包含“{escape(query)}”的提法。</p>'
    rows = []
    for entry in chosen:
        marked = f"“{entry.term}”"
        start = entry.sentence.text.find(marked)
        spans = [(start, start + len(marked))] if start >= 0 else []
        where = "、".join(escape(u.label) for u in entry.units)
        rows.append(
            f"<tr><td class='term'>{escape(entry.term)}</td><td>{where}</td>"
            f"<td>{highlight(entry.sentence.text, spans)}</td></tr>"
        )
    head = "<tr><th>提法</th><th>出处</th><th>首次出现的句子</th></tr>"
    return f'<p>{len(chosen)} 个提法</p><table class="terms">{head}{"".join(rows)}</table>'
