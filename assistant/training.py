"""Study material for Party-school trainers, generated from the text deterministically.

- ``outline``: parts → articles, each with verbatim key sentences, the terms it introduces and the commentary
  paragraphs that discuss it.
- ``glossary``: every quoted term and numbered formula (两个确立, 五个一线 …) with the sentence that introduces
  it and, where the text enumerates them, its items.
- ``quiz``: 填空, 单选, 多选 and 判断 questions with answers, a one-line explanation quoting the source and its
  citation label. Every question is checked against the text before it is returned; invalid ones are dropped.

The same seed gives the same quiz.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from .browse import term_index
from .corpus import ARTICLE, COMMENTARY, PART, POLICY, Corpus, Document, Sentence, Unit, quoted_terms
from .errors import QuestionError
from .numerals import CN_COUNTS, cn_to_int, parse_numeral

__all__ = [
    "QUESTION_TYPES",
    "GlossaryEntry",
    "OutlineArticle",
    "OutlinePart",
    "Question",
    "Quiz",
    "glossary",
    "make_quiz",
    "outline",
    "select_units",
]

FILL, SINGLE, MULTIPLE, JUDGE = "填空", "单选", "多选", "判断"
QUESTION_TYPES = (FILL, SINGLE, MULTIPLE, JUDGE)
BLANK = "（    ）"
LETTERS = "ABCD"
NUMBERED_FORMULA = re.compile(rf"^([{CN_COUNTS}]+)[个张项种条大]")  # 三张清单, 三个区分开来
_UNQUOTED_FORMULA_RE = re.compile(rf"([{CN_COUNTS}]+)[个张项种]([\u4e00-\u9fff]{{2,3}}?)(?=——|：)")
_NUMBER_RE = re.compile(r"\d+(?:至\d+)?[年次个]")
_LIST_SPLIT = re.compile(r"[、，]")
_KEY_SENTENCES = 3
_SHARED_PASSAGE = 8
_MAX_STATEMENT = 90
_MIN_STATEMENT = 10


@dataclass(frozen=True)
class GlossaryEntry:
    """A term or formula, the sentence that introduces it, where that stands, and its items if enumerated."""

    term: str
    sentence: Sentence
    unit: Unit
    items: tuple[str, ...] = ()
    also_in: tuple[str, ...] = ()
    quoted: bool = True


@dataclass(frozen=True)
class OutlineArticle:
    """One article of the outline: key sentences, terms introduced, commentary paragraphs discussing it."""

    unit: Unit
    key_sentences: tuple[str, ...]
    terms: tuple[str, ...]
    commentary: tuple[Unit, ...]


@dataclass(frozen=True)
class OutlinePart:
    """A part (or the document when it has no parts) with its articles."""

    unit: Unit | None
    articles: tuple[OutlineArticle, ...]


@dataclass(frozen=True)
class Question:
    """One quiz question with its answer, a one-line explanation quoting the source, and the citation label."""

    kind: str
    stem: str
    options: tuple[str, ...]
    answer: str
    explanation: str
    label: str
    unit_id: str
    source: str
    difficulty: str


@dataclass
class Quiz:
    """Questions in order, and a note when fewer valid questions exist than were asked for."""

    questions: list[Question]
    requested: int
    shortfall: str = ""
    dropped: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- scope


def policies(corpus: Corpus, document: str | None = None) -> list[Document]:
    """The policy documents study material is built from: the one named (id, short name or alias), else all.

    Raises:
        QuestionError: if the corpus has no policy document or none of that name.
    """
    every = corpus.documents_of_kind(POLICY)
    if not every:
        raise QuestionError("the corpus has no policy document to build study material from")
    if document is None:
        return every
    named = corpus.document_named(document)
    if named is None or named.kind != POLICY:
        names = "、".join(d.short for d in every)
        raise QuestionError(f"no policy document is called {document!r}; choose one of {names}")
    return [named]


def _parse_range(text: str, limit: int) -> list[int]:
    numbers: list[int] = []
    for piece in re.split(r"[,，、\s]+", unicodedata.normalize("NFKC", text).strip()):
        if not piece:
            continue
        bounds = re.split(r"[-–~至到]", piece)
        try:
            low, high = cn_to_int(bounds[0]), cn_to_int(bounds[-1])
        except ValueError as exc:
            raise QuestionError(f"{piece!r} is not an article or part number; write e.g. 11-13 or 四") from exc
        if low > high:
            raise QuestionError(f"{piece!r} runs backwards; write the smaller number first ({high}-{low})")
        if not 1 <= low <= high <= limit:
            raise QuestionError(f"{piece!r} is out of range: the text has 1 to {limit}")
        numbers += [n for n in range(low, high + 1) if n not in numbers]
    return numbers


def select_units(
    corpus: Corpus, articles: str | None = None, parts: str | None = None, document: str | None = None
) -> list[Unit]:
    """The policy articles in scope: chosen article numbers (``11-13``), parts (``四`` or ``2,3``), or all; of the
    ``document`` named, else of every policy document (numbers need one document when there are several).

    Raises:
        QuestionError: for numbers out of range or unreadable, or numbers without a document among several.
    """
    documents = policies(corpus, document)
    if (articles or parts) and len(documents) > 1:
        names = "、".join(d.short for d in documents)
        raise QuestionError(f"several policy documents have numbered articles ({names}); choose one with --doc")
    if not articles and not parts:
        return [u for d in documents for u in d.units if u.kind == ARTICLE]
    document = documents[0]
    chosen = [u for u in document.units if u.kind == ARTICLE]
    if articles:
        wanted = set(_parse_range(articles, document.count(ARTICLE)))
        chosen = [u for u in chosen if u.number in wanted]
    if parts:
        wanted_parts = set(_parse_range(parts, document.count(PART)))
        chosen = [u for u in chosen if u.part in wanted_parts]
    if not chosen:
        raise QuestionError("no article matches that scope")
    return chosen


# ---------------------------------------------------------------- glossary


def _enumeration(text: str, count: int) -> tuple[str, ...] | None:
    """Exactly ``count`` items listed in ``text`` (separated by 、 or ，), or a run of ``count`` single characters."""
    text = text.strip("，。：；“”‘’")
    if len(text) == count and re.fullmatch(r"[\u4e00-\u9fff]+", text):
        return tuple(text)
    items = [i.strip("“”‘’ ") for i in _LIST_SPLIT.split(text)]
    if len(items) != count or not all(items):
        return None
    longest_rest = max(len(i) for i in items[1:])
    items[0] = items[0][-longest_rest:] if len(items[0]) > longest_rest + 1 else items[0]
    return tuple(items)


def _items_near(sentence: Sentence, previous: Sentence | None, term: str, count: int) -> tuple[str, ...]:
    """The enumerated items of a formula: just before it, after a dash or colon following it, or in the sentence
    before (after its dash or colon)."""
    text = sentence.text
    at = text.find(term)
    before = re.split(r"[，；：——]", text[:at].rstrip("“"))[-1]
    candidates = [re.sub(r"^.*?(?:实施|明确|推行|开展|落实|健全)", "", before) or before]
    after = re.split(r"——|：", text[at + len(term) :], maxsplit=1)
    if len(after) == 2:
        candidates.append(after[1].split("。")[0])
    if previous is not None:
        tail = re.split(r"——|：", previous.text, maxsplit=1)
        if len(tail) == 2:
            candidates.append(tail[1].split("。")[0])
    for candidate in candidates:
        found = _enumeration(candidate, count)
        if found:
            return found
    return ()


def formula_count(term: str) -> int | None:
    """How many items a numbered formula names (三张清单 → 3), or None for any other term."""
    match = NUMBERED_FORMULA.match(term)
    return parse_numeral(match.group(1)) if match else None


def glossary(corpus: Corpus, units: Iterable[Unit] | None = None) -> list[GlossaryEntry]:
    """Quoted terms and numbered formulas, in order of first appearance (restricted to ``units`` if given)."""
    scope = {u.id for u in units} if units is not None else None
    entries: list[GlossaryEntry] = []
    for term in term_index(corpus):
        if scope is not None and not scope & {u.id for u in term.units}:
            continue
        count = formula_count(term.term)
        items = _items_near(term.sentence, _previous(term.unit, term.sentence), term.term, count) if count else ()
        also = tuple(u.label for u in term.units if u.id != term.unit.id)
        entries.append(GlossaryEntry(term.term, term.sentence, term.unit, items, also))
    known = {e.term for e in entries}
    for unit in corpus.units:
        if scope is not None and unit.id not in scope:
            continue
        for sentence in unit.sentences:
            for match in _UNQUOTED_FORMULA_RE.finditer(sentence.text):
                term = match.group(0)
                count = parse_numeral(match.group(1))
                items = _items_near(sentence, _previous(unit, sentence), term, count) if count else ()
                if term not in known and items:
                    entries.append(GlossaryEntry(term, sentence, unit, items, quoted=False))
                    known.add(term)
    return entries


def _previous(unit: Unit, sentence: Sentence) -> Sentence | None:
    return unit.sentences[sentence.index - 2] if sentence.index > 1 else None


# ---------------------------------------------------------------- outline


def _key_sentences(unit: Unit) -> tuple[str, ...]:
    """Up to three body sentences, preferring ones with quoted terms or numbers, in reading order."""
    body = [s for s in unit.sentences if s.text.rstrip("。") != unit.title]
    scored = sorted(body, key=lambda s: (-(len(quoted_terms(s.text)) + bool(_NUMBER_RE.search(s.text))), s.index))
    return tuple(s.text for s in sorted(scored[:_KEY_SENTENCES], key=lambda s: s.index))


def _discussed_in(unit: Unit, paragraphs: Sequence[Unit]) -> tuple[Unit, ...]:
    """Commentary paragraphs sharing a passage of at least eight characters with the article."""
    found = []
    for paragraph in paragraphs:
        matcher = SequenceMatcher(None, unit.text, paragraph.text, autojunk=False)
        match = matcher.find_longest_match(0, len(unit.text), 0, len(paragraph.text))
        if match.size >= _SHARED_PASSAGE:
            found.append(paragraph)
    return tuple(found)


def outline(corpus: Corpus, units: Sequence[Unit]) -> list[OutlinePart]:
    """The study outline for the articles in ``units``, grouped by document and part."""
    paragraphs = [u for d in corpus.documents_of_kind(COMMENTARY) for u in d.units]
    introduced = {e.term: e.unit.id for e in term_index(corpus)}
    result: list[OutlinePart] = []
    groups: dict[tuple[str, int | None], Unit] = {}
    for unit in units:
        groups.setdefault((unit.doc, unit.part), unit)  # the first unit of each part, in reading order
    for first in groups.values():
        doc, part_number = first.doc, first.part
        part_unit = corpus.document_of(first).find(PART, part_number) if part_number else None
        articles = tuple(
            OutlineArticle(
                unit,
                _key_sentences(unit),
                tuple(t for t in quoted_terms(unit.text) if introduced.get(t) == unit.id),
                _discussed_in(unit, paragraphs),
            )
            for unit in units
            if (unit.doc, unit.part) == (doc, part_number)
        )
        result.append(OutlinePart(part_unit, articles))
    return result


# ---------------------------------------------------------------- quiz


@dataclass(frozen=True)
class _Blank:
    """A span of a verbatim sentence that can be blanked: the answer and what kind of thing it is."""

    unit: Unit
    sentence: Sentence
    answer: str
    kind: str  # "term", "number" or "item"


def _blanks(units: Sequence[Unit], formulas: list[GlossaryEntry]) -> list[_Blank]:
    blanks: list[_Blank] = []
    for unit in units:
        for sentence in unit.sentences:
            if sentence.text.rstrip("。") == unit.title:
                continue
            blanks += [_Blank(unit, sentence, t, "term") for t in quoted_terms(sentence.text)]
            blanks += [_Blank(unit, sentence, m.group(0), "number") for m in _NUMBER_RE.finditer(sentence.text)]
    for entry in formulas:
        if entry.unit in units:
            blanks += [_Blank(entry.unit, entry.sentence, item, "item") for item in entry.items if len(item) > 1]
    return [b for b in blanks if b.sentence.text.count(b.answer) == 1]


def _explanation(unit: Unit, sentence: Sentence) -> str:
    return f"出处：{unit.label}：“{sentence.text}”"


def _stem(blank: _Blank) -> str:
    return blank.sentence.text.replace(blank.answer, BLANK, 1)


def _fill(blank: _Blank) -> Question:
    difficulty = "易" if blank.kind == "term" else "中"
    return Question(FILL, _stem(blank), (), blank.answer, _explanation(blank.unit, blank.sentence),
                    blank.unit.label, blank.unit.id, blank.sentence.text, difficulty)  # fmt: skip


def _distractors(blank: _Blank, pool: Sequence[_Blank], rng: random.Random, count: int) -> list[str]:
    """Answers of the same kind from other articles, of similar length, never the right answer."""
    same_kind = sorted(
        {b.answer for b in pool if b.kind == blank.kind and b.unit.id != blank.unit.id and b.answer != blank.answer}
    )
    close = [a for a in same_kind if abs(len(a) - len(blank.answer)) <= 3] or same_kind
    rng.shuffle(close)
    return close[:count]


def _single(blank: _Blank, pool: Sequence[_Blank], rng: random.Random) -> Question | None:
    wrong = _distractors(blank, pool, rng, 3)
    if len(wrong) < 3:
        return None
    options = [blank.answer, *wrong]
    rng.shuffle(options)
    letter = LETTERS[options.index(blank.answer)]
    return Question(SINGLE, _stem(blank), tuple(options), letter, _explanation(blank.unit, blank.sentence),
                    blank.unit.label, blank.unit.id, blank.sentence.text, "中")  # fmt: skip


def _multiple(entry: GlossaryEntry, others: Sequence[GlossaryEntry], rng: random.Random) -> Question | None:
    if len(entry.items) < 3:
        return None
    right = list(entry.items)
    rng.shuffle(right)
    right = right[: rng.choice((2, 3))]
    pool = sorted({i for e in others if e.term != entry.term for i in e.items if i not in entry.sentence.text})
    if len(pool) < 4 - len(right):
        return None
    rng.shuffle(pool)
    options = right + pool[: 4 - len(right)]
    rng.shuffle(options)
    answer = "".join(LETTERS[i] for i, option in enumerate(options) if option in right)
    stem = f"根据{entry.unit.label}，下列属于“{entry.term}”的有（    ）。"
    return Question(MULTIPLE, stem, tuple(options), answer, _explanation(entry.unit, entry.sentence),
                    entry.unit.label, entry.unit.id, entry.sentence.text, "难")  # fmt: skip


def _judge(blank: _Blank, pool: Sequence[_Blank], rng: random.Random, truth: bool) -> Question | None:
    sentence = blank.sentence.text
    if len(sentence) > _MAX_STATEMENT:
        return None
    if truth:
        statement, answer, difficulty = sentence, "正确", "易"
    else:
        wrong = _distractors(blank, pool, rng, 1)
        if not wrong:
            return None
        statement, answer, difficulty = sentence.replace(blank.answer, wrong[0], 1), "错误", "中"
    stem = f"{blank.unit.label.split('（')[0]}提出：{statement}"
    return Question(JUDGE, stem, ("正确", "错误"), answer, _explanation(blank.unit, blank.sentence),
                    blank.unit.label, blank.unit.id, sentence, difficulty)  # fmt: skip


def check_question(question: Question, corpus: Corpus) -> str:
    """Why ``question`` is invalid against the text, or an empty string when it is valid."""
    try:
        unit = corpus.unit(question.unit_id)
    except KeyError:
        return "the cited unit does not exist"
    if not question.source or question.source not in unit.text or unit.label != question.label:
        return "the source sentence is not verbatim in the cited unit"
    if len(set(question.options)) != len(question.options):
        return "two options are the same"
    checks = {FILL: _check_fill, SINGLE: _check_single, MULTIPLE: _check_multiple, JUDGE: _check_judge}
    if question.kind not in checks:
        return f"unknown question type {question.kind!r}"
    return checks[question.kind](question, unit, [u.text for u in corpus.units])


def _check_fill(question: Question, unit: Unit, texts: list[str]) -> str:
    if question.stem.count(BLANK) != 1 or not question.answer or question.options:
        return "a 填空 question needs one blank, an answer and no options"
    if question.stem.replace(BLANK, question.answer, 1) != question.source:
        return "the answer does not restore the source sentence"
    return ""


def _check_single(question: Question, unit: Unit, texts: list[str]) -> str:
    if question.stem.count(BLANK) != 1 or len(question.options) < 2 or len(question.answer) != 1:
        return "a 单选 question needs one blank, two or more options and one keyed letter"
    if question.answer not in LETTERS[: len(question.options)]:
        return f"the key {question.answer!r} names no option"
    right = question.options[LETTERS.index(question.answer)]
    if question.stem.replace(BLANK, right, 1) != question.source:
        return "the keyed option does not restore the source sentence"
    for option in question.options:
        if option != right and any(question.stem.replace(BLANK, option, 1) in t for t in texts):
            return f"distractor {option!r} also makes a sentence of the text"
        if option != right and option in question.source:
            return f"distractor {option!r} occurs in the source sentence"
    return ""


def _is_listed(item: str, sentence: str) -> bool:
    """``item`` stands in ``sentence`` as one whole item of an enumeration (between 、 ， “ ”, or one character)."""
    if len(item) == 1:
        return item in sentence
    return bool(re.search(rf"(?:^|[、，“—：]|实施|明确|推行){re.escape(item)}(?:$|[、，”。；])", sentence))


def _check_multiple(question: Question, unit: Unit, texts: list[str]) -> str:
    letters = LETTERS[: len(question.options)]
    if len(question.options) < 3 or not question.answer or any(k not in letters for k in question.answer):
        return "a 多选 question needs three or more options and a key of their letters"
    for letter, option in zip(letters, question.options, strict=True):
        if (letter in question.answer) != _is_listed(option, question.source):
            return f"option {option!r} is keyed wrongly against the source sentence"
    return ""


def _check_judge(question: Question, unit: Unit, texts: list[str]) -> str:
    statement = question.stem.split("提出：", 1)[1] if "提出：" in question.stem else ""
    if len(statement) < _MIN_STATEMENT or question.answer not in ("正确", "错误"):
        return "a 判断 question needs a whole statement and the key 正确 or 错误"
    if question.answer == "正确" and statement != question.source:
        return "a true statement must be the cited sentence itself"
    if question.answer == "错误" and any(statement in t for t in texts):
        return "the false statement is in the text"
    return ""


def _candidates(units: Sequence[Unit], corpus: Corpus, types: Sequence[str], rng: random.Random) -> list[Question]:
    """Questions of the requested types in turn; each blankable span serves one question only."""
    formulas = glossary(corpus)
    pool = _blanks([u for d in corpus.documents_of_kind(POLICY) for u in d.units], formulas)
    scoped = [b for b in pool if b.unit in units]
    rng.shuffle(scoped)
    queues: dict[str, list[Question]] = {t: [] for t in types}
    if MULTIPLE in queues:
        made = (_multiple(e, formulas, rng) for e in formulas if e.unit in units)
        queues[MULTIPLE] = [q for q in made if q is not None]
    span_types = [t for t in types if t != MULTIPLE]
    used: dict[_Blank, set[str]] = {b: set() for b in scoped}
    for round_ in range(len(span_types)):  # first each span serves one type; later rounds the other types
        for number, blank in enumerate(scoped):
            for offset in range(len(span_types)):
                kind = span_types[(number + round_ + offset) % len(span_types)]
                if kind in used[blank]:
                    continue
                question = _from_blank(kind, blank, pool, rng)
                if question is not None:
                    queues[kind].append(question)
                    used[blank].add(kind)
                    break
    mixed: list[Question] = []
    while any(queues.values()):
        for kind in types:
            if queues[kind]:
                mixed.append(queues[kind].pop(0))
    return mixed


def _from_blank(kind: str, blank: _Blank, pool: Sequence[_Blank], rng: random.Random) -> Question | None:
    if kind == FILL:
        return _fill(blank)
    if kind == SINGLE:
        return _single(blank, pool, rng)
    return _judge(blank, pool, rng, truth=rng.random() < 0.5)


def make_quiz(
    corpus: Corpus,
    units: Sequence[Unit],
    count: int = 20,
    types: Sequence[str] = QUESTION_TYPES,
    seed: int = 1,
) -> Quiz:
    """A quiz of up to ``count`` valid questions over ``units``, mixing ``types`` in turn.

    Raises:
        QuestionError: for an unknown type or a count below one.
    """
    unknown = [t for t in types if t not in QUESTION_TYPES]
    if unknown or not types:
        raise QuestionError(f"question types must be among {'、'.join(QUESTION_TYPES)}, not {unknown or 'none'}")
    if count < 1:
        raise QuestionError("ask for at least one question")
    rng = random.Random(seed)
    questions: list[Question] = []
    dropped: list[str] = []
    seen: set[tuple[str, str]] = set()
    for question in _candidates(units, corpus, types, rng):
        problem = check_question(question, corpus)
        key = (question.kind if question.kind in (JUDGE, MULTIPLE) else "blank", question.stem)
        if problem:
            dropped.append(f"{question.kind} {question.stem[:30]}…: {problem}")
        elif key not in seen:
            seen.add(key)
            questions.append(question)
        if len(questions) == count:
            break
    shortfall = ""
    if len(questions) < count:
        shortfall = f"只生成了{len(questions)}道有效题目（要求{count}道）：所选范围内可出的题目不足。"
    return Quiz(questions, count, shortfall, dropped)
