"""Parse policy texts and commentaries into documents, units and sentences.

A *policy* document has a title line, an optional preamble, parts headed ``一、…`` and numbered
articles written ``N.短标题。正文`` or ``第N条 正文`` (Arabic or Chinese numerals). A *commentary*
has a title line, an optional byline and paragraphs. Every unit (preamble, part, article,
paragraph) has a stable id and a citation label such as ``《意见》第13条（坚持严管厚爱）``.

The title line and the byline are *front matter*: citable (``opinion/title``, ``《意见》标题``), so a question about
the document itself is answered from its own words, but not part of the body that is searched, counted and taught.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from ..base.config import MAX_CORPUS_FILE_BYTES
from ..base.errors import CorpusError
from ..base.files import FileProblem, read_limited
from .numerals import CN_DIGITS, int_to_cn, parse_numeral

__all__ = [
    "BOOK_TITLE",
    "Corpus",
    "Document",
    "Sentence",
    "Unit",
    "corpus_hash",
    "enumerations",
    "load_corpus",
    "parse_document",
    "quoted_terms",
    "split_sentences",
    "unit_reference",
]

POLICY, COMMENTARY = "policy", "commentary"
PREAMBLE, PART, ARTICLE, PARAGRAPH = "preamble", "part", "article", "paragraph"
TITLE, BYLINE = "title", "byline"  # front matter

_PART_RE = re.compile(rf"^([{CN_DIGITS}]+)、\s*(\S.*)$")
_ARTICLE_DOT_RE = re.compile(r"^(\d{1,3})\s*[.．]\s*(\S.*)$")
_ARTICLE_CN_RE = re.compile(rf"^第([{CN_DIGITS}\d]+)条[\s\u3000]*(\S.*)$")
_SENTENCE_RE = re.compile(r"[^。！？!?\n]*(?:[。！？!?]+[”’」』）)]*|\n|$)")
_QUOTED_RE = re.compile(r"“([^“”]{2,24})”")
_HEADING_PUNCT = re.compile(r"[。！？；，]")
_MAX_TITLE_CHARS = 30
_MAX_BYLINE_CHARS = 20
_MIN_ALIAS_CHARS = 2
# a name continues into a longer one (意见2, 意见二, 意见（二）, 规定A) unless what follows is a unit number (规定2条)
_LONGER_NAME = re.compile(rf"[A-Za-z]|[(（]?[\d{CN_DIGITS}](?![\d{CN_DIGITS}]{{0,3}}\s*(?:条|段|部分))")
# a bare name after these is a description of some document, not its name: 第二个意见, 关于…管理的意见
_DESCRIBED = re.compile(rf"(?:第[\d{CN_DIGITS}]+[个份篇部]?|的|另一?[个份篇]?)$")
_ALIAS_SEPARATORS = re.compile(r"[、,，;；\n]")
BOOK_TITLE = re.compile(r"《([^《》]{1,40})》")  # a document written as 《…》; group 1 is the name inside


@dataclass(frozen=True)
class Sentence:
    """One sentence of a unit; ``unit.text[start:start + len(text)] == text``."""

    id: str
    unit_id: str
    index: int
    text: str
    start: int


def unit_reference(kind: str, number: int | None) -> str:
    """第13条, 第四部分, 序言, 第6段, 标题 or 署名: a unit's name inside its document."""
    if kind == ARTICLE:
        return f"第{number}条"
    if kind == PART:
        return f"第{int_to_cn(number) if number and number > 0 else number}部分"
    if kind == PARAGRAPH:
        return f"第{number}段"
    return {PREAMBLE: "序言", TITLE: "标题", BYLINE: "署名"}[kind]


@dataclass(frozen=True)
class Unit:
    """A citable unit: the preamble, a part, an article or a commentary paragraph."""

    id: str
    doc: str
    kind: str
    number: int | None
    title: str
    label: str
    text: str
    part: int | None
    line: int
    sentences: tuple[Sentence, ...]
    short: str = ""

    @property
    def reference(self) -> str:
        """How the unit is named inside its document: 第13条, 第四部分, 序言, 第6段, 标题, 署名."""
        return unit_reference(self.kind, self.number)

    @property
    def article(self) -> int | None:
        """The article number, for articles."""
        return self.number if self.kind == ARTICLE else None

    @property
    def paragraph(self) -> int | None:
        """The paragraph number, for commentary paragraphs."""
        return self.number if self.kind == PARAGRAPH else None


@dataclass(frozen=True)
class Document:
    """A parsed document with its metadata and units in reading order."""

    id: str
    title: str
    short: str
    kind: str
    issuer: str
    path: Path
    units: tuple[Unit, ...]
    front: tuple[Unit, ...] = ()
    extra_aliases: tuple[str, ...] = ()

    @cached_property
    def aliases(self) -> tuple[str, ...]:
        """Names a question may call this document by: its short name with and without 《》, its full title with
        and without 《》, and the ``aliases`` of its metadata; longest first."""
        names = {self.short, self.short.strip("《》"), self.title, f"《{self.title}》", *self.extra_aliases}
        return tuple(sorted((n for n in names if len(n) >= _MIN_ALIAS_CHARS), key=lambda n: (-len(n), n)))

    def find(self, kind: str, number: int | None = None) -> Unit | None:
        """The unit of ``kind`` with ``number`` (the preamble has no number), or None."""
        return next((u for u in self.units if u.kind == kind and u.number == number), None)

    def count(self, kind: str) -> int:
        """How many units of ``kind`` the document has."""
        return sum(1 for u in self.units if u.kind == kind)

    def part_members(self, part: int) -> list[Unit]:
        """The part unit followed by the articles in it."""
        return [u for u in self.units if u.part == part and u.kind in (PART, ARTICLE)]


@dataclass(frozen=True)
class Corpus:
    """All documents of the corpus folder, with a content hash for staleness checks."""

    documents: tuple[Document, ...]
    hash: str

    @cached_property
    def units(self) -> tuple[Unit, ...]:
        """Every unit of every document, in reading order."""
        return tuple(u for d in self.documents for u in d.units)

    @cached_property
    def citable_units(self) -> tuple[Unit, ...]:
        """Every unit answers may cite: the body units and each document's front matter."""
        return tuple(u for d in self.documents for u in (*d.front, *d.units))

    @cached_property
    def _by_id(self) -> dict[str, Unit]:
        return {u.id: u for u in self.citable_units}

    def unit(self, unit_id: str) -> Unit:
        """The unit (or front-matter line) with ``unit_id``; raises KeyError if there is none."""
        return self._by_id[unit_id]

    @cached_property
    def _aliases(self) -> tuple[dict[str, Document], tuple[int, ...]]:
        """Each alias with the (first) document it names, and the alias lengths, longest first."""
        named: dict[str, Document] = {}
        for document in self.documents:
            for alias in document.aliases:
                named.setdefault(alias, document)
        return named, tuple(sorted({len(a) for a in named}, reverse=True))

    def mentions(self, text: str) -> list[tuple[int, Document]]:
        """Where ``text`` names a document by one of its aliases: (position, document) in order of position.

        Longer names win (《意见2》 is not also 《意见》). A name followed by a letter or numeral does not count (意见二
        names some other document), unless the numeral is a unit's number (规定2条); nor does a bare name that a
        description leads up to (第二个意见, 关于…管理的意见). One dictionary look-up per position and alias length, so
        the cost does not grow with the number of documents.
        """
        return [(start, document) for start, _, document in self._name_spans(text)]

    def without_names(self, text: str) -> str:
        """``text`` with the document names it uses removed (what it asks about them)."""
        for start, end, _ in reversed(self._name_spans(text)):
            text = text[:start] + " " + text[end:]
        return text

    def _name_spans(self, text: str) -> list[tuple[int, int, Document]]:
        named, lengths = self._aliases
        found = [
            (start, start + length, named[text[start : start + length]])
            for start in range(len(text))
            for length in lengths
            if text[start : start + length] in named
            and not _LONGER_NAME.match(text, start + length)
            and (text[start] == "《" or not _DESCRIBED.search(text, 0, start))
        ]
        taken: list[tuple[int, int, Document]] = []
        for start, end, document in sorted(found, key=lambda m: (m[0] - m[1], m[0])):
            if all(end <= s or start >= e for s, e, _ in taken):
                taken.append((start, end, document))
        return sorted(taken, key=lambda m: m[0])

    def document_named(self, name: str) -> Document | None:
        """The document whose id, short name (with or without 《》), title or metadata alias is ``name``, or None."""
        wanted = name.strip()
        return next((d for d in self.documents if wanted == d.id or wanted in d.aliases), None)

    def document_of(self, unit: Unit) -> Document:
        """The document ``unit`` belongs to."""
        return next(d for d in self.documents if d.id == unit.doc)

    def documents_of_kind(self, kind: str) -> list[Document]:
        """Documents of one kind (``policy`` or ``commentary``), in file order."""
        return [d for d in self.documents if d.kind == kind]

    def sentences(self) -> Iterator[Sentence]:
        """Every sentence of every unit, in reading order."""
        for u in self.units:
            yield from u.sentences


def split_sentences(text: str, unit_id: str, offset: int = 0) -> tuple[Sentence, ...]:
    """Split ``text`` at 。！？ (keeping closing quotes with their sentence).

    ``offset`` is where ``text`` starts inside the unit text, so sentence offsets index the unit.
    """
    sentences: list[Sentence] = []
    for match in _SENTENCE_RE.finditer(text):
        raw = match.group(0)
        stripped = raw.strip()
        if not stripped:
            continue
        start = offset + match.start() + (len(raw) - len(raw.lstrip()))
        sentences.append(Sentence(f"{unit_id}/s{len(sentences) + 1}", unit_id, len(sentences) + 1, stripped, start))
    return tuple(sentences)


_ENUMERATION_RUN = re.compile(r"(?:[\u4e00-\u9fff]+、)+[\u4e00-\u9fff]+")
MAX_ENUMERATION_ITEM = 4


def enumerations(
    text: str, shortest: int = 1, cut_at: Callable[[str, int], bool] | None = None
) -> list[tuple[int, int, tuple[str, ...]]]:
    """Enumerations of three or more items of ``shortest`` to four characters written with 、 (严、真、细、实、快;
    大胆改、大胆试、大胆闯), as (start, end, items).

    The inner items fix the length; the first and last items are cut to it from the text around them (鼓励干部大胆改
    → 大胆改), where ``cut_at(part, position)`` allows it when given (a word boundary, say).
    """
    found = []
    for match in _ENUMERATION_RUN.finditer(text):
        parts = match.group(0).split("、")
        inner = parts[1:-1]
        if not inner:
            continue
        length = len(inner[0])
        if not shortest <= length <= MAX_ENUMERATION_ITEM or any(len(p) != length for p in inner):
            continue
        if len(parts[0]) < length or len(parts[-1]) < length:
            continue
        if cut_at is not None and not (cut_at(parts[0], len(parts[0]) - length) and cut_at(parts[-1], length)):
            continue
        items = (parts[0][-length:], *inner, parts[-1][:length])
        start = match.start() + len(parts[0]) - length
        found.append((start, start + len("、".join(items)), items))
    return found


def quoted_terms(text: str) -> list[str]:
    """Every term quoted with “…” in ``text``, in order of first appearance."""
    return list(dict.fromkeys(_QUOTED_RE.findall(text)))


def _undecodable(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def corpus_hash(corpus_dir: Path, max_file_bytes: int = MAX_CORPUS_FILE_BYTES) -> str:
    """SHA-256 over the names and bytes of every corpus file (``*.txt`` and ``*.json``)."""
    digest = hashlib.sha256()
    for path in sorted(corpus_dir.glob("*.txt")) + sorted(corpus_dir.glob("*.json")):
        digest.update(path.name.encode() + b"\0" + _read_file(path, max_file_bytes) + b"\0")
    return digest.hexdigest()


def load_corpus(corpus_dir: Path, max_file_bytes: int = MAX_CORPUS_FILE_BYTES) -> Corpus:
    """Parse every ``*.txt`` file in ``corpus_dir`` (policy documents first, then commentaries).

    Every ``*.txt`` and ``*.json`` entry must be a regular file of at most ``max_file_bytes`` bytes.

    Raises:
        CorpusError: if the folder holds no documents, or a file is not a regular file, too large or malformed.
    """
    if not corpus_dir.is_dir():
        problem = "not a folder" if corpus_dir.exists() else "no such folder"
        raise CorpusError(corpus_dir, None, f"{problem}; set ASSISTANT_CORPUS_DIR to the folder of the source texts")
    paths = sorted(corpus_dir.glob("*.txt"))
    if not paths:
        raise CorpusError(corpus_dir, None, "no *.txt documents found; put the source texts in this folder")
    for path in [*paths, *corpus_dir.glob("*.json")]:
        if not path.name.isprintable() or _undecodable(path.name):
            shown = path.name.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")
            raise CorpusError(corpus_dir, None, f"the file name '{shown}' is not printable UTF-8; rename the file")
    documents = [parse_document(p, max_file_bytes) for p in paths]
    documents.sort(key=lambda d: (d.kind != POLICY, d.path.name))
    ids = [d.id for d in documents]
    if len(set(ids)) != len(ids):
        raise CorpusError(corpus_dir, None, f"duplicate document ids: {ids}")
    return Corpus(tuple(documents), corpus_hash(corpus_dir, max_file_bytes))


def parse_document(path: Path, max_file_bytes: int = MAX_CORPUS_FILE_BYTES) -> Document:
    """Parse one document file, using ``<stem>.json`` beside it for metadata when present.

    Raises:
        CorpusError: naming the file and line of the first problem.
    """
    lines = _read_lines(path, max_file_bytes)
    meta = _read_meta(path, max_file_bytes)
    numbered = [(n, t) for n, t in lines if t]
    if not numbered:
        raise CorpusError(path, None, "the file is empty")
    title_line = numbered[0]
    body = numbered[1:]
    kind = meta.get("kind") or _guess_kind(body)
    if kind not in (POLICY, COMMENTARY):
        raise CorpusError(path.with_suffix(".json"), None, f'kind must be "{POLICY}" or "{COMMENTARY}", not {kind!r}')
    title = meta.get("title", title_line[1])
    short = meta.get("short") or f"《{title}》"
    doc_id = path.stem
    front = [_front_unit(doc_id, short, TITLE, title_line)]
    if kind == COMMENTARY and body and _is_byline(body[0][1]):
        front.append(_front_unit(doc_id, short, BYLINE, body[0]))
        body = body[1:]
    parse = _parse_policy if kind == POLICY else _parse_commentary
    units = parse(path, doc_id, short, body)
    aliases = tuple(a.strip() for a in _ALIAS_SEPARATORS.split(meta.get("aliases", "")) if a.strip())
    return Document(doc_id, title, short, kind, meta.get("issuer", ""), path, tuple(units), tuple(front), aliases)


def _is_byline(text: str) -> bool:
    return len(text) <= _MAX_BYLINE_CHARS and not _HEADING_PUNCT.search(text)


def _front_unit(doc_id: str, short: str, kind: str, line: tuple[int, str]) -> Unit:
    """The title line or byline as a citable unit of one sentence."""
    line_no, text = line
    unit_id = f"{doc_id}/{kind}"
    sentences = (Sentence(f"{unit_id}/s1", unit_id, 1, text, 0),)
    return Unit(
        unit_id, doc_id, kind, None, "", short + unit_reference(kind, None), text, None, line_no, sentences, short
    )


def _read_file(path: Path, max_file_bytes: int) -> bytes:
    try:
        return read_limited(path, max_file_bytes)
    except FileProblem as exc:
        raise CorpusError(
            path, None, f"{exc}; corpus files must be regular files (the size limit is ASSISTANT_MAX_FILE_BYTES)"
        ) from exc


def _read_lines(path: Path, max_file_bytes: int) -> list[tuple[int, str]]:
    raw = _read_file(path, max_file_bytes)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise CorpusError(path, line, "not valid UTF-8; save the file as UTF-8") from exc
    return [(i, line.strip()) for i, line in enumerate(text.splitlines(), start=1)]


def _read_meta(path: Path, max_file_bytes: int) -> dict[str, str]:
    meta_path = path.with_suffix(".json")
    if not meta_path.exists():
        return {}
    try:
        meta = json.loads(_read_file(meta_path, max_file_bytes).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise CorpusError(meta_path, getattr(exc, "lineno", None), f"unreadable metadata: {exc}") from exc
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        raise CorpusError(
            meta_path, None, "metadata must be a JSON object of strings (title, short, kind, issuer, aliases)"
        )
    return meta


def _guess_kind(body: list[tuple[int, str]]) -> str:
    return POLICY if any(_match_article(t) for _, t in body) else COMMENTARY


def _match_part(text: str) -> tuple[int, str] | None:
    match = _PART_RE.match(text)
    if not match or _HEADING_PUNCT.search(match.group(2)) or (number := parse_numeral(match.group(1))) is None:
        return None
    return number, match.group(2).strip()


def _match_article(text: str) -> tuple[int, str, bool] | None:
    """(number, text after the number, whether a short title may follow) for an article line, else None.

    Only the ``N.短标题。正文`` style carries short titles; ``第N条`` articles start with their text.
    """
    for pattern, titled in ((_ARTICLE_DOT_RE, True), (_ARTICLE_CN_RE, False)):
        match = pattern.match(text)
        if match and (number := parse_numeral(match.group(1))) is not None:
            return number, match.group(2), titled
    return None


@dataclass
class _Draft:
    kind: str
    number: int | None
    title: str
    part: int | None
    line: int
    text: str
    body_start: int


def _parse_policy(path: Path, doc_id: str, short: str, body: list[tuple[int, str]]) -> list[Unit]:
    drafts: list[_Draft] = []
    part: int | None = None
    for line_no, text in body:
        heading = _match_part(text)
        article = _match_article(text)
        if heading:
            number, title = heading
            _expect_next(path, line_no, "part", number, part or 0)
            part = number
            drafts.append(_Draft(PART, number, title, part, line_no, text, len(text)))
        elif article:
            number, rest, titled = article
            previous = max((d.number or 0 for d in drafts if d.kind == ARTICLE), default=0)
            _expect_next(path, line_no, "article", number, previous)
            drafts.append(_article_draft(path, line_no, number, rest, text, part, titled))
        elif drafts:
            _append_paragraph(drafts[-1], text)
        else:
            drafts.append(_Draft(PREAMBLE, None, "", None, line_no, text, 0))
    if not any(d.kind == ARTICLE for d in drafts):
        raise CorpusError(path, body[0][0] if body else 1, "no numbered articles (N. or 第N条) found in a policy text")
    return [_finish(d, doc_id, short) for d in drafts]


def _expect_next(path: Path, line_no: int, what: str, number: int, previous: int) -> None:
    if number != previous + 1:
        raise CorpusError(
            path, line_no, f"{what} {number} follows {what} {previous}; {what}s must be numbered 1, 2, 3, …"
        )


def _article_draft(
    path: Path, line_no: int, number: int, rest: str, text: str, part: int | None, titled: bool
) -> _Draft:
    if not rest.strip():
        raise CorpusError(path, line_no, f"article {number} has no text")
    title = ""
    head, sep, _ = rest.partition("。")
    if titled and sep and len(head) <= _MAX_TITLE_CHARS and not _HEADING_PUNCT.search(head):
        title = head
    return _Draft(ARTICLE, number, title, part, line_no, text, len(text) - len(rest))


def _append_paragraph(draft: _Draft, text: str) -> None:
    if draft.kind == PART and len(draft.text) == draft.body_start:
        draft.body_start += 1
    draft.text += "\n" + text


def _finish(draft: _Draft, doc_id: str, short: str) -> Unit:
    unit_id = f"{doc_id}/" + {PREAMBLE: "preamble", PART: f"part{draft.number}"}.get(draft.kind, f"art{draft.number}")
    label = short + unit_reference(draft.kind, draft.number) + (f"（{draft.title}）" if draft.title else "")
    sentences = _unit_sentences(draft, unit_id)
    return Unit(
        unit_id, doc_id, draft.kind, draft.number, draft.title, label, draft.text, draft.part, draft.line, sentences,
        short,
    )  # fmt: skip


def _unit_sentences(draft: _Draft, unit_id: str) -> tuple[Sentence, ...]:
    """Sentences of a unit; a part's heading and an article's short title count as sentences."""
    if draft.kind == PART:
        head = draft.text[: draft.body_start].rstrip("\n")
        title_at = head.rindex(draft.title)
        pieces = [(draft.title, title_at)]
        body = draft.text[draft.body_start :]
        found = split_sentences(body, unit_id, draft.body_start)
        pieces += [(s.text, s.start) for s in found]
        return tuple(Sentence(f"{unit_id}/s{i}", unit_id, i, t, start) for i, (t, start) in enumerate(pieces, 1))
    return split_sentences(draft.text[draft.body_start :], unit_id, draft.body_start)


def _parse_commentary(path: Path, doc_id: str, short: str, body: list[tuple[int, str]]) -> list[Unit]:
    if not body:
        raise CorpusError(path, None, "a commentary needs at least one paragraph after its title")
    units = []
    for number, (line_no, text) in enumerate(body, start=1):
        unit_id = f"{doc_id}/para{number}"
        sentences = split_sentences(text, unit_id)
        label = short + unit_reference(PARAGRAPH, number)
        units.append(Unit(unit_id, doc_id, PARAGRAPH, number, "", label, text, None, line_no, sentences, short))
    return units
