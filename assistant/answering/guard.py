"""Attribution by alignment: a generated claim is shown only where a source sentence supports it, cited by us.

A generated answer is split into claims: sentences and list items. Each claim is aligned with every window of the
sources the model was given (one sentence, or two consecutive sentences, of a unit):
- a Chinese claim must be an in-order copy of its window, trimmed but not added to: it may leave words out, but
  every character it adds is punctuation or a function word (的, 和, 要 …); it may not leave out a negation
  (不, 没, 无 …) inside the copied span, nor join pieces of two sentences;
- it starts and ends where a clause of the window does (or next to function words only), so it cannot begin after
  a 不 (唯年龄 from 不唯年龄) or drop the condition that opens a clause;
- a claim in English (or any claim that is mostly not Chinese) is not shown: a translation cannot be checked
  word for word against the Chinese text, so the model is asked to answer in the text's own words.
Every number (digits, 一二三, 两, 伍佰, Ⅻ, fifty thousand …) and every quoted term of the claim
must occur in the window, and a claim with a link, markup, control or invisible characters or lookalike ideographs is
dropped. Citation tags (``[第13条]``) and inline references (《意见》第12条, 评论员文章指出) written by the model are
hints: they must name the unit the claim aligns with, never replace the alignment. A short claim is checked like any
other. A lead-in (…如下：) is shown only when an item after it is, and its items must come from its own passage. The
citation of each kept claim is built here from the window that supports it, quoted verbatim.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from difflib import SequenceMatcher
from itertools import pairwise

from ..question.query import parse_reference, strip_references
from ..text.corpus import BOOK_TITLE, PARAGRAPH, PREAMBLE, Unit, unit_reference
from ..text.numerals import numbers_in
from .answer import Citation

__all__ = [
    "Claim",
    "GuardResult",
    "Window",
    "align_claim",
    "citation_tag",
    "guard_answer",
    "has_markup",
    "source_tags",
    "split_claims",
]

_TAG_RE = re.compile(r"[\[【]([^\[\]【】]{0,24})[\]】]")
_SENTENCE_END = re.compile(
    r"(?:[。！？；]|[!?;](?=\s|$)|(?<=[A-Za-z0-9\]】）)”\"'])\.(?=\s|$|[\u4e00-\u9fff]))+[”’」』）)\"']*"
)
_LIST_MARKER = re.compile(
    r"^\s*(?:[-*•·+]|\d{1,2}[.、)）](?!\d)|[（(]\d{1,2}[)）]|[一二三四五六七八九十]{1,3}[、．]|[①-⑳])\s*"
)
_EMPHASIS = re.compile(r"\*\*|__|`+|^#{1,6}\s+")
_LEAD_IN_END = re.compile(r"[：:]\s*$")
# web addresses, Markdown images and links, HTML tags and entities, formulas, and terminal or bidi control characters
_MARKUP = re.compile(
    r"[a-z][a-z0-9+.-]*://|www\.|!\[|\]\(|<\s*/?\s*[a-z!][^>]*>|&#?\w+;|\\[(\[]|\$\$"
    r"|~~|\||^\s*>|mailto:"
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]",
    re.I,
)
_OPENING_QUOTES = "“「『‘\"'＂＇〝«‹„‚｢〈"
_CLOSING_QUOTES = "”」』’\"'＂＇〞〟»›“‘｣〉"
_QUOTE_MARKS = re.escape(_OPENING_QUOTES + _CLOSING_QUOTES)
# any quotation mark in any script, so a claim cannot slip an invented quote past the check by its choice of marks
_QUOTED_RE = re.compile(rf"[{re.escape(_OPENING_QUOTES)}]([^{_QUOTE_MARKS}]{{1,200}})[{re.escape(_CLOSING_QUOTES)}]")
_KIND_WORD_RE = re.compile(r"条|部分|段|序言|前言|引言|article|art\.?|part|section|paragraph|para|preamble", re.I)
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_NEGATORS = set("不没无未非莫勿别禁免")
# how a claim introduces what a source says: 根据…，/ 此外，/ 意见明确提出：/ 一是
_REPORTING = re.compile(
    r"^[\s，,：:]*(?:(?:根据|按照|依据|依照)[\s，,]*|(?:此外|另外|同时|首先|其次|再次|最后|总之)[\s，,]*"
    r"|[一二三四五六七八九十]是[\s，,]*)?(?:中|里|文中|原文)?[\s，,]*(?:也|还|则|更|并|进一步)?(?:明确)?"
    r"(?:(?:提出|指出|强调|规定|要求|表示|写道|认为|谈到|说)了?)?[\s，,：:]*"
)
# a unit named inside a claim (《意见》第12条, 第十三条, 评论员文章第6段, Article 13); bare numbers stay: they are facts
_CLAIM_REFERENCE = re.compile(
    r"(?:《[^《》]{1,30}》)?\s*第\s*[\d〇零一二两三四五六七八九十百]+\s*(?:条|部分|段)(?:（[^（）]{1,24}）)?|序言|前言|引言"
    r"|\b(?:article|art\.|part|paragraph|para\.|section)\s*\d+\b",
    re.I,
)
_TAG_PARTS = re.compile(r"[、，,;；]|和|及|\s+and\s+")
_SOURCE_NUMBER = re.compile(r"来源\s*(\d{1,2})")
_MIN_COPIED = 3  # Chinese characters a claim must copy from its window
_COPIED = 1.0  # the score of a citation whose sentence a claim copies
_FUNCTION_CHARS = set("的地得了着和与及并也都要是在将等其之而且或以这该此需应")
_SENTENCE_ENDS = set("。！？!?")
_CLAUSE_MARKS = set("，、；：,;:")
_CLAUSE_SPLIT = re.compile(r"[，、；：,;:。！？!?“”（）()]")
_MAX_LEFT_OFF = 2  # characters a claim may leave off the start of a clause (坚持为实干者撑腰 → 为实干者撑腰)
_REVERSING = set("破除止免防反克杜摒减消禁戒拒")  # 打破, 破除, 防止, 避免, 反对, 克服, 杜绝, 减少, 取消 …
_SPACE_BETWEEN = re.compile(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")
# what may not be in a claim shown as text: CJK compatibility ideographs and radicals look like ordinary characters
_LOOKALIKE = re.compile(r"[\u2e80-\u2fdf\uf900-\ufaff\U0002f800-\U0002fa1f]")


def citation_tag(unit: Unit, qualified: bool = False) -> str:
    """The tag the model is asked to use for ``unit``: 第13条, 第四部分, 序言, 评论员文章第6段 (a paragraph carries its
    document's name); ``qualified`` puts the document's short name first (《规定》第1条)."""
    if qualified:
        return unit.short + unit.reference
    return (unit.short.strip("《》") if unit.kind == PARAGRAPH else "") + unit.reference


def source_tags(sources: Sequence[Unit]) -> dict[str, Unit]:
    """The tag of each source: its plain tag, or its qualified tag when another source has the same plain tag (the
    same article number in two documents), so that every tag names exactly one source."""
    plain = Counter(citation_tag(u) for u in sources)
    return {citation_tag(u, qualified=plain[citation_tag(u)] > 1): u for u in sources}


@dataclass(frozen=True)
class Claim:
    """One sentence or list item of a generated answer.

    Attributes:
        text: as generated, tags included.
        content: what is checked and shown: no tags, list marker or Markdown emphasis.
        marker: the list marker as written ("- ", "1. "), or "".
        new_line: the claim starts a line of the answer.
    """

    text: str
    content: str
    marker: str = ""
    new_line: bool = False

    @property
    def lead_in(self) -> bool:
        """The claim introduces what follows (…措施如下：)."""
        return bool(_LEAD_IN_END.search(self.content))

    @property
    def tags(self) -> list[str]:
        """The citation tags the model wrote."""
        return [tag.strip() for tag in _TAG_RE.findall(self.text) if tag.strip()]


@dataclass(frozen=True)
class Window:
    """One sentence, or two consecutive sentences, of a source unit: ``unit.text[start:start + len(text)]``."""

    unit: Unit
    text: str
    start: int = 0

    def overlaps(self, other: Window) -> bool:
        """Both windows share text of the same unit."""
        return self.unit.id == other.unit.id and (
            self.start < other.start + len(other.text) and other.start < self.start + len(self.text)
        )


@dataclass(frozen=True)
class Alignment:
    """The window that supports a claim, or why the claim fails (``problem``, empty when it passes)."""

    window: Window | None
    problem: str = ""


@dataclass
class GuardResult:
    """What survived the guard: the text, its citations, the claims kept, and the removed claims with reasons."""

    text: str
    citations: list[Citation]
    removed: list[tuple[str, str]] = field(default_factory=list)
    kept: list[tuple[Claim, Alignment]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """True when no claim survived."""
        return not self.text.strip()


def split_claims(text: str) -> list[Claim]:
    """The claims of generated text: each line's list marker set aside, then its sentences (a tag written after the
    full stop stays with the sentence before it)."""
    claims: list[Claim] = []
    for line in text.split("\n"):
        line = _EMPHASIS.sub("", line)  # **要点** is emphasis, not a list marker
        marker_match = _LIST_MARKER.match(line)
        marker = marker_match.group(0).strip() + " " if marker_match and line[marker_match.end() :].strip() else ""
        body = line[marker_match.end() :] if marker else line
        pieces = _sentences(body)
        for number, piece in enumerate(pieces):
            content = _TAG_RE.sub("", piece).strip()
            claims.append(Claim(piece, content, marker if number == 0 else "", number == 0))
    return [c for c in claims if c.text.strip()]


def _sentences(line: str) -> list[str]:
    pieces, start = [], 0
    for match in _SENTENCE_END.finditer(line):
        pieces.append(line[start : match.end()])
        start = match.end()
    pieces.append(line[start:])
    merged: list[str] = []
    for piece in pieces:
        if merged and _TAG_RE.sub("", piece).strip(" 。.;；") == "":
            merged[-1] += piece
        elif piece.strip():
            merged.append(piece)
    return merged


def windows_of(sources: Sequence[Unit]) -> list[Window]:
    """Every sentence of the sources, and every two consecutive sentences of one unit."""
    windows = []
    for unit in sources:
        sentences = unit.sentences
        for index, sentence in enumerate(sentences):
            windows.append(Window(unit, sentence.text, sentence.start))
            if index + 1 < len(sentences):
                end = sentences[index + 1].start + len(sentences[index + 1].text)
                windows.append(Window(unit, unit.text[sentence.start : end], sentence.start))
    return windows


def _is_english(content: str) -> bool:
    latin = sum(len(w) for w in _LATIN_WORD.findall(content))
    return latin > 2 * len("".join(_CJK_RUN.findall(content)))


def _without_references(content: str, sources: Sequence[Unit]) -> str:
    """What the claim says, not where: without unit references, source document names and the reporting verb
    that introduces what a source says (意见明确提出，…; 评论员文章也指出…)."""
    text = _CLAIM_REFERENCE.sub(" ", content)
    for unit in sources:
        text = text.replace(unit.short, "")  # 《意见》 is always a name; 意见 only where a claim starts (not 实施意见)
        bare = unit.short.strip("《》")
        if bare and text.lstrip(" ，,").startswith(bare):
            text = text.lstrip(" ，,")[len(bare) :]
    return _REPORTING.sub("", text)


def _is_filler(character: str) -> bool:
    """Punctuation, space or a function word: what a copy may add without saying anything new."""
    return character in _FUNCTION_CHARS or unicodedata.category(character)[0] in "PZS"


def _opens_clause(window: str, start: int) -> bool:
    """What stands between the start of the window's clause and ``start`` is at most a verb (坚持, 要), never a
    negation or a reversal (不唯年龄, 打破论资排辈) or a condition (对…的干部)."""
    clause = _CLAUSE_SPLIT.split(window[:start])[-1]
    said = [ch for ch in clause if not _is_filler(ch)]
    return len(said) <= _MAX_LEFT_OFF and not (_NEGATORS | _REVERSING) & set(clause)


def _closes_clause(window: str, end: int) -> bool:
    """Only function words stand between ``end`` and the end of the window's clause."""
    clause = _CLAUSE_SPLIT.split(window[end:])[0]
    return all(map(_is_filler, clause))


def _is_copy(claim: str, window: str) -> bool:
    """Whether ``claim`` is an in-order copy of ``window``: it adds only fillers, copies at least a few characters,
    and leaves out only whole clauses without a negation, a reversal or a sentence end, starting and ending where a
    clause of the window does."""
    claim = _SPACE_BETWEEN.sub("", claim)
    blocks = [b for b in SequenceMatcher(None, claim, window, autojunk=False).get_matching_blocks() if b.size]
    copied = [False] * len(claim)
    for block in blocks:
        if block.size > 1 or _is_filler(claim[block.a]):
            copied[block.a : block.a + block.size] = [True] * block.size
    if any(not done and not _is_filler(ch) for ch, done in zip(claim, copied, strict=True)):
        return False  # a word of its own
    kept = [b for b in blocks if b.size > 1]
    for before, after in pairwise(kept):
        left_out = window[before.b + before.size : after.b]
        if all(map(_is_filler, left_out)):
            continue
        # what is left out holds no negation, nothing that reverses (打破, 防止) and no sentence end, and runs to the
        # end of a clause (…中心组[学习制度，]每月…): never a word inside one (坚持[打破]论资排辈, [至少]1次)
        if (_NEGATORS | _REVERSING | _SENTENCE_ENDS) & set(left_out) or left_out[-1] not in _CLAUSE_MARKS:
            return False
    if not kept or not (_opens_clause(window, kept[0].b) and _closes_clause(window, kept[-1].b + kept[-1].size)):
        return False
    return sum(1 for ch, done in zip(claim, copied, strict=True) if done and _CJK_RUN.match(ch)) >= _MIN_COPIED


def has_markup(text: str) -> bool:
    """``text`` holds a web address, a Markdown image or link, an HTML tag or entity, or a formula."""
    return bool(_MARKUP.search(text))


def _facts_problem(content: str, window: str) -> str:
    """A number, quoted term or markup of the claim that its window does not bear out."""
    if _MARKUP.search(content):
        return "contains a link or markup"
    present = numbers_in(window, every=True)
    values, counted = {n.value for n in present}, {(n.value, n.after) for n in present}
    for number in numbers_in(content):
        # a count must count the same thing: 两次 needs 2次 (or 两次) in the source, not any 2
        counts_chinese = bool(_CJK_RUN.match(number.after))
        if (number.value, number.after) not in counted if counts_chinese else number.value not in values:
            return f"the number {number.written} is not in the source"
    for term in _QUOTED_RE.findall(content):
        if term not in window:
            return f"“{term}” is not in the source"
    return ""


def _hinted(claim: Claim, sources: Sequence[Unit]) -> tuple[list[Unit], str]:
    """The units the claim's tags, inline references and document names point to ([] when it names none), or why
    one of them names no source."""
    named: list[Unit] = []
    for tag in claim.tags:
        units = _resolve_tag(tag, sources)
        if units is None:
            return [], f"cites [{tag}], which is not among the sources"
        named += units
    names = {n for u in sources for n in (u.short, u.short.strip("《》")) if n}
    texts = "".join(u.text for u in sources)
    if any(title not in names and title not in texts for title in BOOK_TITLE.findall(claim.content)):
        return [], "names a document the sources are not from"
    documents = {u.doc for u in sources if any(n in claim.content for n in (u.short, u.short.strip("《》")) if n)}
    for reference in parse_reference(claim.content):
        matching = [
            u
            for u in sources
            if u.kind == reference.kind and u.number == reference.number and (not documents or u.doc in documents)
        ]
        if not matching:
            return [], f"mentions {unit_reference(reference.kind, reference.number)}, which is not among the sources"
        named += matching
    if documents:  # 评论员文章指出… : the words must be that document's
        in_documents = [u for u in (named or sources) if u.doc in documents]
        if not in_documents:
            return [], "names one document and cites another"
        named = in_documents
    return named, ""


def _resolve_tag(tag: str, sources: Sequence[Unit]) -> list[Unit] | None:
    """The sources a tag names: one reference, several joined by 、 or 和, or the prompt's 来源N; None when a part
    names none."""
    units = []
    for part in _TAG_PARTS.split(tag):
        numbered = _SOURCE_NUMBER.fullmatch(part.strip())
        if numbered and 0 < int(numbered.group(1)) <= len(sources):
            units.append(sources[int(numbered.group(1)) - 1])
            continue
        unit = _resolve(part.strip(), sources)
        if unit is None:
            return None
        units.append(unit)
    return units


def align_claim(claim: Claim, sources: Sequence[Unit], windows: Sequence[Window] | None = None) -> Alignment:
    """The window of ``sources`` (``windows``: their ``windows_of``, when already at hand) that supports ``claim``,
    or why none does."""
    if _MARKUP.search(claim.text) or _MARKUP.search(unicodedata.normalize("NFKC", claim.text)):
        return Alignment(None, "contains a link or markup")
    if _LOOKALIKE.search(claim.text) or any(unicodedata.category(ch) == "Cf" for ch in claim.text):
        return Alignment(None, "contains invisible or lookalike characters")
    named, problem = _hinted(claim, sources)
    if problem:
        return Alignment(None, problem)
    said = _without_references(claim.content, sources)
    if _is_english(said):
        return Alignment(None, "a claim in English cannot be checked word for word against the Chinese text")
    copies = [w for w in (windows_of(sources) if windows is None else windows) if _is_copy(said, w.text)]
    if not copies:
        return Alignment(None, "no source sentence says this")
    sound = [w for w in copies if not _facts_problem(said, w.text)]
    if not sound:
        return Alignment(copies[0], _facts_problem(said, copies[0].text))
    agreeing = [w for w in sound if not named or w.unit in named]
    if not agreeing:
        return Alignment(sound[0], f"its words are from {sound[0].unit.reference}, not from the unit it names")
    rank = {unit.id: place for place, unit in enumerate(sources)}  # the better-ranked source, then the shorter window
    return Alignment(min(agreeing, key=lambda w: (rank[w.unit.id], len(w.text))))


def _resolve(tag: str, sources: Sequence[Unit]) -> Unit | None:
    """The one source a tag names; only a reference with a kind word counts (not [1], [13] or [第13条第99款]), with
    at most the name of a source's document, and one that could be either of two sources names neither."""
    by_tag = source_tags(sources)
    if tag in by_tag:
        return by_tag[tag]
    references = parse_reference(tag)
    names = sorted({n for u in sources for n in (u.short, u.short.strip("《》")) if n}, key=len, reverse=True)
    named = [n for n in names if n in tag]
    if any(f"《{title}》" not in names for title in BOOK_TITLE.findall(tag)):
        return None  # a document the sources are not from
    leftover = strip_references(tag)
    for name in names:
        leftover = leftover.replace(name, "")
    if len(references) != 1 or re.sub(r"[\s《》]", "", leftover) or not _KIND_WORD_RE.search(tag):
        return None
    reference = references[0]
    matching = [
        unit
        for unit in sources
        if unit.kind == reference.kind
        and (reference.number == unit.number or reference.kind == PREAMBLE)
        and (not named or named[0] in (unit.short, unit.short.strip("《》")))
    ]
    return matching[0] if len(matching) == 1 else None


def shown_claim(claim: Claim, window: Window, tags: Mapping[str, str]) -> str:
    """The claim as shown: its marker, its content, and the tag of the unit that supports it before the final
    punctuation mark."""
    content = claim.content
    stripped = content.rstrip("。！？!?；;.…：:")
    tag = f"[{tags[window.unit.id]}]"
    return claim.marker + stripped + tag + content[len(stripped) :]


class ClaimFilter:
    """The guard as a stream: claims go in one by one, the text to show comes out (a lead-in waits for an item).

    Args:
        sources: the units the model was given.
    """

    def __init__(self, sources: Sequence[Unit]) -> None:
        self.sources = list(sources)
        self.windows = windows_of(self.sources)
        self.tags = {unit.id: tag for tag, unit in source_tags(sources).items()}
        self.kept: list[tuple[Claim, Alignment]] = []
        self.removed: list[tuple[str, str]] = []
        self.shown: list[str] = []
        self.seen = 0
        self._lead_in: tuple[Claim, Alignment] | None = None
        self._passage: Window | None = None  # where the items of the last lead-in must come from

    def add(self, claim: Claim) -> str:
        """Check one claim; returns the text to show now (maybe a held lead-in with it), or ""."""
        self.seen += 1
        alignment = align_claim(claim, self.sources, self.windows)
        if not alignment.problem and self._passage and claim.marker:
            assert alignment.window is not None
            if not alignment.window.overlaps(self._passage):
                alignment = replace(alignment, problem="is not from the passage its lead-in introduces")
        elif not claim.marker and claim.new_line:
            self._passage = None  # the list is over
        if alignment.problem:
            self.removed.append((claim.text.strip(), alignment.problem))
            return ""
        if claim.lead_in:
            self._drop_lead_in("no item after it was kept")
            self._lead_in, self._passage = (claim, alignment), alignment.window
            return ""
        released = [self._lead_in, (claim, alignment)] if self._lead_in else [(claim, alignment)]
        self._lead_in = None
        pieces = []
        for kept_claim, kept_alignment in released:
            assert kept_alignment.window is not None
            piece = shown_claim(kept_claim, kept_alignment.window, self.tags)
            if kept_claim.new_line and self.shown:
                piece = "\n" + piece
            elif self.shown and self.shown[-1][-1:] in ".!?;:" and piece[:1].isascii() and piece[:1].isalnum():
                piece = " " + piece  # English sentences keep their space
            self.kept.append((kept_claim, kept_alignment))
            self.shown.append(piece)
            pieces.append(piece)
        return "".join(pieces)

    def _drop_lead_in(self, reason: str) -> None:
        if self._lead_in:
            self.removed.append((self._lead_in[0].text.strip(), reason))
            self._lead_in = None

    def result(self) -> GuardResult:
        """Everything shown, with one citation per supporting window."""
        self._drop_lead_in("no item after it was kept")
        citations: dict[tuple[str, str], Citation] = {}
        for _, alignment in self.kept:
            window = alignment.window
            assert window is not None
            unit = window.unit
            citations[(unit.id, window.text)] = Citation(
                unit.doc, unit.article, unit.paragraph, unit.label, window.text, _COPIED, unit.id
            )
        return GuardResult("".join(self.shown).strip(), list(citations.values()), self.removed, self.kept)


def guard_answer(text: str, sources: Sequence[Unit]) -> GuardResult:
    """Check every claim of ``text`` against ``sources``; keep the supported ones, cited by their windows."""
    claims = ClaimFilter(sources)
    for claim in split_claims(text):
        claims.add(claim)
    return claims.result()
