"""Study material as Markdown or Word (.docx): a title page, real headings, numbered questions, answer key."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..base.errors import OutputError
from ..base.files import FileProblem, atomic_write
from ..text.corpus import Corpus, Document
from ..text.terms import GlossaryEntry
from .study import FILL, JUDGE, LETTERS, MULTIPLE, QUESTION_TYPES, SINGLE, OutlinePart, Quiz

__all__ = [
    "AUTHOR",
    "POINTS",
    "Material",
    "answer_key_material",
    "glossary_material",
    "markdown_literal",
    "outline_material",
    "quiz_material",
    "write_material",
]

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:&])")  # ":" stops web addresses becoming links


def markdown_literal(text: str) -> str:
    """``text`` with every character Markdown (or its LaTeX and HTML extensions) would act on backslash-escaped,
    so typed text such as ``![](http://host/x.png)`` shows as typed instead of becoming an image or a link (the
    escaped colon keeps the address from being linked automatically)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


# A document is a title plus blocks: ("heading", level, text), ("para", text), ("item", number, text, lines) or
# ("break",) for a page break.
Block = tuple

AUTHOR = "实干家助手"
POINTS = {FILL: 2, SINGLE: 2, MULTIPLE: 4, JUDGE: 2}  # per question, by type
_SECTION_NUMERALS = "一二三四五六七八九十"
_INSTRUCTIONS = {
    FILL: "将原文的词语填入括号",
    SINGLE: "只有一个选项符合原文",
    MULTIPLE: "有两个以上选项符合原文，多选、少选、错选均不得分",
    JUDGE: "判断表述与原文是否一致，一致的选“正确”",
}


class Material:
    """A titled document made of headings, paragraphs, numbered items and page breaks, renderable as Markdown or
    .docx (with the title, subject and the project as author in its properties)."""

    def __init__(self, title: str, subtitle: str, source_title: str, fields: Sequence[str] = ()) -> None:
        self.title, self.subtitle, self.source_title = title, subtitle, source_title
        self.fields = tuple(fields)  # lines to fill in on the title page (单位, 姓名 …)
        self.blocks: list[Block] = []

    def heading(self, text: str, level: int = 1) -> None:
        self.blocks.append(("heading", level, text))

    def para(self, text: str) -> None:
        self.blocks.append(("para", text))

    def item(self, number: int, text: str, lines: Sequence[str] = ()) -> None:
        """A numbered item; ``lines`` follow it each on a line of its own (options, a source)."""
        self.blocks.append(("item", number, text, tuple(lines)))

    def page_break(self) -> None:
        self.blocks.append(("break",))

    def markdown(self) -> str:
        """The document as Markdown (a page break is a rule; item lines end in hard line breaks)."""
        lines = [f"# {self.title}", "", f"**{markdown_literal(self.subtitle)}**", ""]
        lines += [f"依据：{markdown_literal(self.source_title)}", ""]
        lines += [*(f"{field}  " for field in self.fields), ""] if self.fields else []
        for block in self.blocks:
            if block[0] == "heading":
                lines += ["#" * (block[1] + 1) + " " + block[2], ""]
            elif block[0] == "item":
                rows = [*block[2].split("\n"), *block[3]]
                lines += [f"{block[1]}. " + "  \n   ".join(rows), ""]
            elif block[0] == "break":
                lines += ["---", ""]
            else:
                lines += [block[1], ""]
        return "\n".join(lines).rstrip() + "\n"

    def docx_bytes(self) -> bytes:
        """The document as Word (.docx): title page, then headings, paragraphs and numbered items."""
        from docx import Document
        from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
        from docx.oxml.ns import qn
        from docx.shared import Pt

        document = Document()
        for style_name in ("Normal", "Title", "Subtitle", "Heading 1", "Heading 2", "Heading 3"):
            style = document.styles[style_name]
            style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "SimSun")
        document.styles["Normal"].font.size = Pt(11)
        properties = document.core_properties
        properties.title, properties.subject, properties.author = self.title, self.subtitle, AUTHOR
        properties.last_modified_by, properties.comments = AUTHOR, f"依据：{self.source_title}"
        title = document.add_paragraph(self.title, style="Title")
        title.alignment = WD_ALIGN_PARAGRAPH.CENTER
        subtitle = document.add_paragraph(self.subtitle, style="Subtitle")
        subtitle.alignment = WD_ALIGN_PARAGRAPH.CENTER
        source = document.add_paragraph(f"依据：{self.source_title}")
        source.alignment = WD_ALIGN_PARAGRAPH.CENTER
        for field in self.fields:
            document.add_paragraph(field).alignment = WD_ALIGN_PARAGRAPH.CENTER
        document.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)
        for block in self.blocks:
            if block[0] == "heading":
                document.add_heading(block[2], level=block[1])
            elif block[0] == "item":
                paragraph = document.add_paragraph()
                paragraph.add_run(f"{block[1]}. ").bold = True
                paragraph.add_run(block[2])
                for line in block[3]:
                    document.add_paragraph(line).paragraph_format.left_indent = Pt(21)
            elif block[0] == "break":
                document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
            else:
                document.add_paragraph(block[1])
        buffer = io.BytesIO()
        document.save(buffer)
        return buffer.getvalue()

    def docx(self, path: Path) -> None:
        """Write the document as Word to ``path`` (see ``write_material`` for the errors)."""
        write_material(self, path)


def _source_title(corpus: Corpus, unit_ids: Iterable[str] = (), scope: Sequence[Document] = ()) -> str:
    """The titles of the documents the material quotes (when it quotes none, of the documents in ``scope``, else of
    every policy document), in 《》."""
    wanted = {corpus.unit(unit_id).doc for unit_id in unit_ids}
    documents = [d for d in corpus.documents if d.id in wanted] or list(scope) or corpus.documents_of_kind("policy")
    return "、".join(f"《{d.title}》" for d in documents)


def quiz_material(
    corpus: Corpus, quiz: Quiz, scope: str, scope_documents: Sequence[Document] = (), key: str = "appended"
) -> Material:
    """A quiz as an exam paper: a title page with 单位/姓名/得分 lines, instructions, one section per question type
    with its points, and a 总分 line; the answer key with explanations and citations (and, for the trainer, why the
    quiz has fewer questions than asked for) follows after a page break (``key="appended"``), or is left out
    (``"none"``: the student copy, see ``answer_key_material``)."""
    source = _source_title(corpus, (q.unit_id for q in quiz.questions), scope_documents)
    total = sum(POINTS[q.kind] for q in quiz.questions)
    paper = Material(
        "学习测验", f"范围：{scope}；共{len(quiz.questions)}题，满分{total}分", source,
        fields=("单位：＿＿＿＿＿＿＿＿　　姓名：＿＿＿＿＿＿＿＿　　得分：＿＿＿＿＿＿",),
    )  # fmt: skip
    kinds = [k for k in QUESTION_TYPES if any(q.kind == k for q in quiz.questions)]
    paper.para("答题说明：" + "；".join(f"{k}题{_INSTRUCTIONS[k]}" for k in kinds) + "。")
    for section, kind in enumerate(kinds):
        members = [(n, q) for n, q in enumerate(quiz.questions, 1) if q.kind == kind]
        points = POINTS[kind]
        paper.heading(f"{_SECTION_NUMERALS[section]}、{kind}题（每题{points}分，共{points * len(members)}分）")
        for number, question in members:
            options = [f"{LETTERS[i]}. {o}" for i, o in enumerate(question.options)] if kind != JUDGE else []
            paper.item(number, question.stem, options)
    paper.para(f"总分：{total}分")
    if key == "appended":
        paper.page_break()
        _add_key(paper, quiz)
    return paper


def answer_key_material(corpus: Corpus, quiz: Quiz, scope: str, scope_documents: Sequence[Document] = ()) -> Material:
    """The answer key of ``quiz`` as a document of its own (for a paper written with ``key="none"``)."""
    source = _source_title(corpus, (q.unit_id for q in quiz.questions), scope_documents)
    total = sum(POINTS[q.kind] for q in quiz.questions)
    key = Material("学习测验 参考答案", f"范围：{scope}；共{len(quiz.questions)}题，满分{total}分", source)
    _add_key(key, quiz)
    return key


def _add_key(material: Material, quiz: Quiz) -> None:
    material.heading("参考答案与解析")
    if quiz.shortfall:  # for the trainer, not on the students' paper
        material.para(f"出题说明：{quiz.shortfall}")
    for number, question in enumerate(quiz.questions, 1):
        material.item(
            number, f"{question.answer}（{question.kind}，{POINTS[question.kind]}分，难度：{question.difficulty}）",
            [question.explanation],
        )  # fmt: skip


def outline_material(
    corpus: Corpus, parts: Sequence[OutlinePart], scope: str, scope_documents: Sequence[Document] = ()
) -> Material:
    """The study outline: parts and articles as headings, key sentences, terms and commentary references."""
    source = _source_title(corpus, (a.unit.id for part in parts for a in part.articles), scope_documents)
    material = Material("学习提纲", f"范围：{scope}", source)
    for part in parts:
        if part.unit is not None:
            material.heading(part.unit.label, 1)
        for article in part.articles:
            material.heading(article.unit.label, 2)
            for number, sentence in enumerate(article.key_sentences, start=1):
                material.item(number, f"“{sentence}”")
            if article.terms:
                material.para("本条提法：" + "、".join(f"“{t}”" for t in article.terms))
            if article.commentary:
                material.para("相关评论：" + "、".join(u.label for u in article.commentary))
    return material


def glossary_material(
    corpus: Corpus, entries: Sequence[GlossaryEntry], scope: str, scope_documents: Sequence[Document] = ()
) -> Material:
    """The glossary: each term, its items when enumerated, the introducing sentence and its label."""
    source = _source_title(corpus, (entry.unit.id for entry in entries), scope_documents)
    material = Material("提法术语表", f"范围：{scope}；共{len(entries)}条", source)
    for number, entry in enumerate(entries, start=1):
        text = f"“{entry.term}”" if entry.quoted else entry.term
        if entry.items:
            text += "：" + "、".join(entry.items)
        text += f"\n{entry.unit.label}：“{entry.sentence.text}”"
        if entry.also_in:
            text += "\n另见：" + "、".join(entry.also_in)
        material.item(number, text)
    return material


def write_material(material: Material, path: Path | None) -> str:
    """Write to ``path`` (.docx or .md by suffix), whole or not at all; with no path, return the Markdown.

    Missing parent folders are created; an existing file is replaced only once the new one is complete.

    Raises:
        OutputError: if ``path`` is a folder or cannot be written (the message names the reason).
    """
    if path is None:
        return material.markdown()
    blob = material.docx_bytes() if path.suffix.lower() == ".docx" else material.markdown().encode("utf-8")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, blob)
    except OSError as exc:
        reason = str(exc) if isinstance(exc, FileProblem) else f"cannot write {path}: {exc.strerror or exc}"
        raise OutputError(f"{reason}; choose a writable file path ending in .docx or .md") from exc
    return str(path)
