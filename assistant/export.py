"""Study material as Markdown or Word (.docx): a title page, real headings, numbered questions, answer key."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from .corpus import Corpus, Document
from .errors import OutputError
from .files import FileProblem, atomic_write
from .training import LETTERS, GlossaryEntry, OutlinePart, Quiz

__all__ = ["Material", "glossary_material", "markdown_literal", "outline_material", "quiz_material", "write_material"]

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:&])")  # ":" stops web addresses becoming links


def markdown_literal(text: str) -> str:
    """``text`` with every character Markdown (or its LaTeX and HTML extensions) would act on backslash-escaped,
    so typed text such as ``![](http://host/x.png)`` shows as typed instead of becoming an image or a link (the
    escaped colon keeps the address from being linked automatically)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


# A document is a title plus blocks: ("heading", level, text) or ("para", text) or ("item", number, text).
Block = tuple


class Material:
    """A titled document made of headings, paragraphs and numbered items, renderable as Markdown or .docx."""

    def __init__(self, title: str, subtitle: str, source_title: str) -> None:
        self.title, self.subtitle, self.source_title = title, subtitle, source_title
        self.blocks: list[Block] = []

    def heading(self, text: str, level: int = 1) -> None:
        self.blocks.append(("heading", level, text))

    def para(self, text: str) -> None:
        self.blocks.append(("para", text))

    def item(self, number: int, text: str) -> None:
        self.blocks.append(("item", number, text))

    def markdown(self) -> str:
        """The document as Markdown."""
        lines = [f"# {self.title}", "", f"**{markdown_literal(self.subtitle)}**", "", f"依据：{self.source_title}", ""]
        for block in self.blocks:
            if block[0] == "heading":
                lines += ["#" * (block[1] + 1) + " " + block[2], ""]
            elif block[0] == "item":
                lines += [f"{block[1]}. " + block[2].replace("\n", "\n   "), ""]
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
        title = document.add_paragraph(self.title, style="Title")
        title.alignment = WD_ALIGN_PARAGRAPH.CENTER
        subtitle = document.add_paragraph(self.subtitle, style="Subtitle")
        subtitle.alignment = WD_ALIGN_PARAGRAPH.CENTER
        source = document.add_paragraph(f"依据：{self.source_title}")
        source.alignment = WD_ALIGN_PARAGRAPH.CENTER
        source.add_run().add_break(WD_BREAK.PAGE)
        for block in self.blocks:
            if block[0] == "heading":
                document.add_heading(block[2], level=block[1])
            elif block[0] == "item":
                paragraph = document.add_paragraph()
                paragraph.add_run(f"{block[1]}. ").bold = True
                paragraph.add_run(block[2])
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


def quiz_material(corpus: Corpus, quiz: Quiz, scope: str, scope_documents: Sequence[Document] = ()) -> Material:
    """A quiz: questions grouped by type, numbered throughout, and the answer key at the end."""
    source = _source_title(corpus, (q.unit_id for q in quiz.questions), scope_documents)
    material = Material("学习测验", f"范围：{scope}；共{len(quiz.questions)}题", source)
    if quiz.shortfall:
        material.para(quiz.shortfall)
    kinds = list(dict.fromkeys(q.kind for q in quiz.questions))
    numbering: dict[int, int] = {}
    number = 0
    for kind in kinds:
        material.heading(f"{kind}题")
        for index, question in enumerate(quiz.questions):
            if question.kind != kind:
                continue
            number += 1
            numbering[index] = number
            options = "  ".join(f"{LETTERS[i]}. {o}" for i, o in enumerate(question.options)) if kind != "判断" else ""
            text = f"{question.stem}（{question.difficulty}）" + (f"\n{options}" if options else "")
            material.item(number, text)
    material.heading("参考答案")
    for index, question in sorted(((i, q) for i, q in enumerate(quiz.questions)), key=lambda p: numbering[p[0]]):
        material.item(numbering[index], f"{question.answer}。{question.explanation}")
    return material


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
