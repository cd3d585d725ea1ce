"""Lecture slides (.pptx) for a scope of articles: a title slide, one slide per article with its key sentences and
its quoted 提法 highlighted, the commentary paragraphs that discuss it, and a closing slide of discussion questions
from the quiz generator (their answers in the slide notes).
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

from ..base.errors import QuestionError
from ..text.corpus import Corpus, Document
from .export import AUTHOR
from .study import FILL, JUDGE, OutlinePart, Quiz, make_quiz, outline

__all__ = ["DISCUSSION_QUESTIONS", "slide_deck"]

DISCUSSION_QUESTIONS = 4
_QUOTED = re.compile(r"(“[^”]+”)")
_HIGHLIGHT = (0xC0, 0x00, 0x00)
_FONT = "Microsoft YaHei"  # the usual Chinese sans-serif of office machines; other systems substitute their own
_WIDE = (13_333_200, 7_500_000)  # 16:9 in EMU


def slide_deck(
    corpus: Corpus, units: Sequence, scope: str, documents: Sequence[Document], seed: int = 1
) -> tuple[bytes, Quiz | None]:
    """The .pptx bytes of a lecture on ``units`` and the quiz its discussion slide was drawn from (None when the
    scope has nothing to ask).

    Raises:
        QuestionError: if ``units`` is empty.
    """
    from pptx import Presentation

    if not units:
        raise QuestionError("no article in scope to make slides of")
    parts = outline(corpus, units)
    deck = Presentation()
    deck.slide_width, deck.slide_height = _WIDE
    source = "、".join(f"《{d.title}》" for d in documents)
    properties = deck.core_properties
    properties.title, properties.subject, properties.author = f"学习讲稿：{scope}", source, AUTHOR
    properties.last_modified_by = AUTHOR
    _title_slide(deck, _lecture_title(parts, scope, documents), source)
    for part in parts:
        for article in part.articles:
            _article_slide(deck, article, part)
    try:
        quiz = make_quiz(corpus, units, count=DISCUSSION_QUESTIONS, types=[FILL, JUDGE], seed=seed)
    except QuestionError:
        quiz = None
    _discussion_slide(deck, quiz)
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue(), quiz


def _lecture_title(parts: Sequence[OutlinePart], scope: str, documents: Sequence[Document]) -> str:
    """学习《意见》第四部分（…） for a scope of one whole part, else 学习 and the scope (with the document's name)."""
    if len(parts) == 1 and parts[0].unit is not None and "部分" in scope and "条" not in scope:
        return f"学习{parts[0].unit.label}"
    named = scope.startswith("《") or len(documents) != 1
    return f"学习{'' if named else documents[0].short}{scope}"


def _font(run, size: int, bold: bool = False, color: tuple[int, int, int] | None = None) -> None:
    from pptx.dml.color import RGBColor
    from pptx.oxml.ns import qn
    from pptx.util import Pt

    run.font.size, run.font.bold, run.font.name = Pt(size), bold, _FONT
    properties = run._r.get_or_add_rPr()
    east_asian = properties.find(qn("a:ea"))
    if east_asian is None:
        east_asian = properties.makeelement(qn("a:ea"), {})
        properties.append(east_asian)
    east_asian.set("typeface", _FONT)
    if color is not None:
        run.font.color.rgb = RGBColor(*color)


def _spread(shape, top: int, height: int) -> None:
    """Place ``shape`` across the wide slide (the default template's placeholders are laid out for 4:3)."""
    from pptx.util import Emu

    shape.left, shape.top = Emu(600_000), Emu(top)
    shape.width, shape.height = Emu(_WIDE[0] - 1_200_000), Emu(height)


def _title_slide(deck, title: str, subtitle: str) -> None:
    slide = deck.slides.add_slide(deck.slide_layouts[0])
    _spread(slide.shapes.title, 2_000_000, 1_600_000)
    _spread(slide.placeholders[1], 3_900_000, 1_400_000)
    slide.shapes.title.text = title
    _font(slide.shapes.title.text_frame.paragraphs[0].runs[0], 40, bold=True)
    body = slide.placeholders[1].text_frame
    body.text = subtitle
    _font(body.paragraphs[0].runs[0], 20)


def _size_for(texts: Sequence[str]) -> int:
    """A font size that lets the sentences fit a 16:9 slide."""
    length = sum(len(t) for t in texts)
    return 22 if length <= 120 else 20 if length <= 200 else 18 if length <= 280 else 16


def _article_slide(deck, article, part: OutlinePart) -> None:
    from pptx.util import Pt

    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = article.unit.label
    _font(slide.shapes.title.text_frame.paragraphs[0].runs[0], 30, bold=True)
    _spread(slide.shapes.title, 300_000, 1_000_000)
    body = slide.placeholders[1]
    _spread(body, 1_500_000, _WIDE[1] - 1_900_000)
    frame = body.text_frame
    frame.word_wrap = True
    lines = list(article.key_sentences)
    size = _size_for(lines)
    for number, sentence in enumerate(lines):
        paragraph = frame.paragraphs[0] if number == 0 else frame.add_paragraph()
        paragraph.space_after = Pt(8)
        for piece in _QUOTED.split(sentence):
            if piece:
                _font(paragraph.add_run(), size, *((True, _HIGHLIGHT) if _QUOTED.fullmatch(piece) else (False, None)))
                paragraph.runs[-1].text = piece
    notes = []
    if article.terms:
        notes.append("本条提法：" + "、".join(f"“{t}”" for t in article.terms))
    if article.commentary:
        notes.append("相关评论：" + "、".join(u.label for u in article.commentary))
    for note in notes:
        paragraph = frame.add_paragraph()
        _font(paragraph.add_run(), max(size - 4, 12), color=(0x59, 0x59, 0x59))
        paragraph.runs[-1].text = note
    if part.unit is not None:
        slide.notes_slide.notes_text_frame.text = f"所属：{part.unit.label}"


def _discussion_slide(deck, quiz: Quiz | None) -> None:
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = "思考与讨论"
    _font(slide.shapes.title.text_frame.paragraphs[0].runs[0], 30, bold=True)
    _spread(slide.shapes.title, 300_000, 1_000_000)
    _spread(slide.placeholders[1], 1_500_000, _WIDE[1] - 1_900_000)
    frame = slide.placeholders[1].text_frame
    frame.word_wrap = True
    questions = quiz.questions if quiz is not None else []
    prompts = [f"{n}. {'判断正误：' if q.kind == JUDGE else ''}{q.stem}" for n, q in enumerate(questions, 1)]
    prompts = prompts or ["结合本单位工作实际，谈谈对本部分要求的理解。"]
    size = _size_for(prompts)
    for number, prompt in enumerate(prompts):
        paragraph = frame.paragraphs[0] if number == 0 else frame.add_paragraph()
        _font(paragraph.add_run(), size)
        paragraph.runs[-1].text = prompt
    if questions:
        answers = [f"{n}. {q.answer}。{q.explanation}" for n, q in enumerate(questions, 1)]
        slide.notes_slide.notes_text_frame.text = "参考答案：\n" + "\n".join(answers)
