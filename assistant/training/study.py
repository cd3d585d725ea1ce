"""Study material for Party-school trainers, generated from the text deterministically.

- ``outline``: parts → articles, each with verbatim key sentences, the terms it introduces and the commentary
  paragraphs that discuss it.
- ``glossary`` (``text.terms``, shared with the answerers): every quoted term and numbered formula (两个确立,
  五个一线 …) with the sentence that introduces it and, where the text enumerates them, its items.
- ``quiz``: 填空, 单选, 多选 and 判断 questions with answers, a one-line explanation quoting the source and its
  citation label. Every question is checked against the text before it is returned; invalid ones are dropped.

The same seed gives the same quiz.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import cache

from ..base.errors import QuestionError
from ..text.corpus import ARTICLE, COMMENTARY, PART, POLICY, Corpus, Document, Sentence, Unit, quoted_terms
from ..text.corpus import enumerations as corpus_enumerations
from ..text.numerals import cn_to_int
from ..text.segment import Segmenter
from ..text.terms import NUMBERED_FORMULA, GlossaryEntry, glossary, term_index

__all__ = [
    "QUESTION_TYPES",
    "OutlineArticle",
    "OutlinePart",
    "Profile",
    "Question",
    "Quiz",
    "difficulty_quotas",
    "enumerations",
    "leakage_pairs",
    "make_quiz",
    "outline",
    "profiles",
    "quiz_problems",
    "select_units",
    "substitution_problem",
]

FILL, SINGLE, MULTIPLE, JUDGE = "填空", "单选", "多选", "判断"
QUESTION_TYPES = (FILL, SINGLE, MULTIPLE, JUDGE)
BLANK = "（　　　　）"  # ideographic spaces: a web page keeps their width
CHOICE = "（　　）"  # where the letters of a choice question are written
LETTERS = "ABCDEF"
_NUMBER_RE = re.compile(r"\d+(?:至\d+)?[年次个]")
_KEY_SENTENCES = 3
_SHARED_PASSAGE = 8
_MAX_STATEMENT = 90
_MIN_STATEMENT = 10


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
    tested: tuple[str, ...] = ()  # what the student must know: the blanked span, the keyed items, a swapped-out term
    substitutes: tuple[str, ...] = ()  # the distractors, or the term swapped into a false statement


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


@dataclass(frozen=True)
class Profile:
    """What kind of term a span is, for the substitution rule: a substitute must have the same profile.

    Attributes:
        kind: "term" (quoted), "number" or "item" (of an enumeration).
        category: for terms, "formula" (三张清单), "enumeration" (崇尚实干、注重实绩…), "sentence" (8+ characters),
            "paired" (quoted right next to another term: “长计划”与“短安排”, “叫醒”“叫停”) or "single"; for numbers,
            the unit and shape (年, 至年 for a range).
        head: the coarse parts of speech of its first and last content words (n, v, a, m, or k for a suffix such as
            式), as ``v-n`` (拧螺丝), ``n`` for a single word (领头雁); ``o`` when it has none.
        length: characters.
    """

    kind: str
    category: str
    head: str
    length: int


_PAIR_BEFORE = ("”", "”与", "”和", "”、", "”及")
_PAIR_AFTER = ("“", "与“", "和“", "、“", "及“")
_MAX_OPTIONS = len(LETTERS)
_MAX_WEIGHT = 1e6


def _category(blank: _Blank) -> str:
    answer, text = blank.answer, blank.sentence.text
    if blank.kind == "number":
        return ("至" if "至" in answer else "") + answer[-1]
    if blank.kind == "item":
        return "item"
    if NUMBERED_FORMULA.match(answer):
        return "formula"
    if re.search(r"[、+＋]", answer):
        return "enumeration"
    if len(answer) >= 8:
        return "sentence"
    at = text.find(answer)
    if text[: max(at - 1, 0)].endswith(_PAIR_BEFORE) or text[at + len(answer) + 1 :].startswith(_PAIR_AFTER):
        return "paired"
    return "single"


def _coarse_tag(flag: str) -> str:
    if flag.startswith("vn"):
        return "n"  # a verbal noun fills a noun's slot (考核, 评估)
    return flag[:1] if flag[:1] in "nvamk" else "o"  # k: a suffix that makes a word a label (贯通式)


@cache
def _plain_segmenter() -> Segmenter:
    """jieba with its own dictionary only: the corpus's domain words would tag every term as one unknown word."""
    from ..base.config import Settings

    return Segmenter((), Settings().cache_dir / "jieba")


def _head(text: str) -> str:
    """The coarse parts of speech of the first and last words of ``text`` that have one (``v-n``, or ``n`` for one)."""
    tags = [_coarse_tag(flag) for _, flag in _plain_segmenter().tagged(re.sub(r"[、+＋]", "", text))]
    content = [tag for tag in tags if tag != "o"] or ["o"]
    return content[0] if len(content) == 1 else f"{content[0]}-{content[-1]}"


def profiles(blanks: Iterable[_Blank]) -> dict[str, Profile]:
    """Each answer's ``Profile`` (from its first occurrence)."""
    found: dict[str, Profile] = {}
    for blank in blanks:
        if blank.answer not in found:
            found[blank.answer] = Profile(blank.kind, _category(blank), _head(blank.answer), len(blank.answer))
    return found


def substitution_problem(original: Profile, substitute: Profile) -> str:
    """Why a span of profile ``substitute`` may not stand in for one of profile ``original`` as a distractor or in
    a false statement, or "" when it may.

    The rule: the same kind, the same category, the same parts of speech of the first and last content words, and a
    length within a quarter (at least one character) of the original's.
    """
    if substitute.kind != original.kind:
        return f"{'an' if substitute.kind == 'item' else 'a'} {substitute.kind} for a {original.kind}"
    if substitute.category != original.category:
        return f"a {substitute.category} term for a {original.category} one"
    if substitute.head != original.head:
        return f"part of speech {substitute.head} for {original.head}"
    if abs(substitute.length - original.length) > max(1, original.length // 4):
        return f"{substitute.length} characters for {original.length}"
    return ""


def _blanks(units: Sequence[Unit], formulas: list[GlossaryEntry]) -> list[_Blank]:
    blanks: list[_Blank] = []
    for unit in units:
        for sentence in unit.sentences:
            if sentence.text.rstrip("。") == unit.title:
                continue
            blanks += [_Blank(unit, sentence, t, "term") for t in quoted_terms(sentence.text)]
            blanks += [_Blank(unit, sentence, m.group(0), "number") for m in _NUMBER_RE.finditer(sentence.text)]
            blanks += [_Blank(unit, sentence, item, "item") for _, _, items in enumerations(sentence.text)
                       for item in items]  # fmt: skip
    for entry in formulas:
        if entry.unit in units:
            blanks += [_Blank(entry.unit, entry.sentence, item, "item") for item in entry.items if len(item) > 1]
    unique = {(b.unit.id, b.sentence.index, b.answer, b.kind): b for b in blanks}
    return [b for b in unique.values() if b.sentence.text.count(b.answer) == 1]


def enumerations(text: str) -> list[tuple[int, int, tuple[str, ...]]]:
    """Enumerations a 多选 question may ask about (``corpus.enumerations`` of items of two or more characters, cut
    where jieba sees a word boundary: 干部疗休养 is not cut to 干部疗休)."""
    return corpus_enumerations(text, shortest=2, cut_at=_word_boundary)


def _word_boundary(text: str, position: int) -> bool:
    """Whether jieba's segmentation of ``text`` has a word boundary at ``position`` (its ends always are)."""
    ends, at = {0}, 0
    for word in _plain_segmenter().words(text):
        at += len(word)
        ends.add(at)
    return position in ends or position == len(text)


def _explanation(unit: Unit, sentence: Sentence) -> str:
    return f"出处：{unit.label}：“{sentence.text}”"


def _stem(blank: _Blank) -> str:
    return blank.sentence.text.replace(blank.answer, BLANK, 1)


class _Maker:
    """Makes candidate questions of every type from the blanks of one quiz's scope, with the substitution rule."""

    def __init__(self, pool: Sequence[_Blank], rng: random.Random) -> None:
        self.pool, self.rng = pool, rng
        self.profiles = profiles(pool)

    def substitutes(self, blank: _Blank, count: int) -> list[str]:
        """Up to ``count`` answers from other articles that pass the substitution rule, none in the sentence."""
        original = self.profiles[blank.answer]
        fitting = sorted(
            {
                b.answer
                for b in self.pool
                if b.unit.id != blank.unit.id
                and b.answer not in blank.sentence.text
                and not substitution_problem(original, self.profiles[b.answer])
            }
        )
        self.rng.shuffle(fitting)
        return fitting[:count]

    def fill(self, blank: _Blank) -> Question:
        difficulty = "易" if blank.kind == "term" else "中"
        return Question(FILL, _stem(blank), (), blank.answer, _explanation(blank.unit, blank.sentence),
                        blank.unit.label, blank.unit.id, blank.sentence.text, difficulty, (blank.answer,))  # fmt: skip

    def single(self, blank: _Blank) -> Question | None:
        wrong = self.substitutes(blank, 3)
        if len(wrong) < 3:
            return None
        options = [blank.answer, *wrong]
        self.rng.shuffle(options)
        letter = LETTERS[options.index(blank.answer)]
        difficulty = "难" if self.profiles[blank.answer].category in ("enumeration", "sentence") else "中"
        return Question(SINGLE, _stem(blank), tuple(options), letter, _explanation(blank.unit, blank.sentence),
                        blank.unit.label, blank.unit.id, blank.sentence.text, difficulty, (blank.answer,),
                        tuple(wrong))  # fmt: skip

    def judge(self, blank: _Blank, truth: bool) -> Question | None:
        sentence = blank.sentence.text
        if len(sentence) > _MAX_STATEMENT:
            return None
        substitute: tuple[str, ...] = ()
        if truth:
            statement, answer, difficulty = sentence, "正确", "易"
        else:
            wrong = self.substitutes(blank, 1)
            if not wrong:
                return None
            statement, answer, difficulty = sentence.replace(blank.answer, wrong[0], 1), "错误", "中"
            substitute = (wrong[0],)
        stem = f"{blank.unit.label.split('（')[0]}提出：{statement}"
        return Question(JUDGE, stem, ("正确", "错误"), answer, _explanation(blank.unit, blank.sentence),
                        blank.unit.label, blank.unit.id, sentence, difficulty, (blank.answer,), substitute)  # fmt: skip

    def item_substitutes(self, items: Sequence[str], source: str, unit: Unit, count: int) -> list[str]:
        """Items of other enumerations that pass the substitution rule against one of ``items``."""
        originals = [self.profiles[i] for i in items if i in self.profiles]
        fitting = sorted(
            {
                b.answer
                for b in self.pool
                if b.kind == "item"
                and b.unit.id != unit.id
                and b.answer not in source
                and any(not substitution_problem(o, self.profiles[b.answer]) for o in originals)
            }
        )
        self.rng.shuffle(fitting)
        return fitting[:count]

    def multiple_of_formula(self, entry: GlossaryEntry) -> Question | None:
        """下列属于“三张清单”的有: two or three of its items and other enumerations' items."""
        if len(entry.items) < 3:
            return None
        right = list(entry.items)
        self.rng.shuffle(right)
        right = right[: self.rng.choice((2, 3))]
        wrong = self.item_substitutes(right, entry.sentence.text, entry.unit, 4 - len(right))
        if len(wrong) < 4 - len(right):
            return None
        options = right + wrong
        self.rng.shuffle(options)
        answer = "".join(LETTERS[i] for i, option in enumerate(options) if option in right)
        stem = f"根据{entry.unit.label}，下列属于“{entry.term}”的有{CHOICE}。"
        return Question(MULTIPLE, stem, tuple(options), answer, _explanation(entry.unit, entry.sentence),
                        entry.unit.label, entry.unit.id, entry.sentence.text, "难", tuple(right),
                        tuple(wrong))  # fmt: skip

    def multiple_of_enumeration(self, unit: Unit, sentence: Sentence) -> Question | None:
        """A sentence whose enumeration is blanked: which items belong in the blank (all of them are keyed)."""
        for start, end, items in enumerations(sentence.text):
            spare = min(2, _MAX_OPTIONS - len(items))
            wrong = self.item_substitutes(items, sentence.text, unit, spare) if spare > 0 else []
            if not wrong:
                continue
            options = [*items, *wrong]
            self.rng.shuffle(options)
            answer = "".join(LETTERS[i] for i, option in enumerate(options) if option in items)
            blanked = sentence.text[:start] + BLANK + sentence.text[end:]
            stem = f"根据{unit.label}，“{blanked}”一句括号处依次列举的有{CHOICE}。"
            return Question(MULTIPLE, stem, tuple(options), answer, _explanation(unit, sentence), unit.label,
                            unit.id, sentence.text, "难", tuple(items), tuple(wrong))  # fmt: skip
        return None


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
    if any(item in items for _, _, items in enumerations(sentence)):
        return True
    return bool(re.search(rf"(?:^|[、，“—：]|实施|明确|推行){re.escape(item)}(?:$|[、，”。；])", sentence))


def _check_multiple(question: Question, unit: Unit, texts: list[str]) -> str:
    letters = LETTERS[: len(question.options)]
    if len(question.options) < 3 or not question.answer or any(k not in letters for k in question.answer):
        return "a 多选 question needs three or more options and a key of their letters"
    if len(question.answer) == len(question.options):
        return "a 多选 question needs at least one option that is not keyed"
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
    """Every question of the requested types the scope allows, in a seeded random order."""
    formulas = glossary(corpus)
    pool = _blanks([u for d in corpus.documents_of_kind(POLICY) for u in d.units], formulas)
    maker = _Maker(pool, rng)
    scoped = [b for b in pool if b.unit in units and b.kind != "item"]
    rng.shuffle(scoped)
    made: list[Question | None] = []
    for blank in scoped:
        if FILL in types:
            made.append(maker.fill(blank))
        if SINGLE in types:
            made.append(maker.single(blank))
        if JUDGE in types:
            made.append(maker.judge(blank, truth=rng.random() < 0.5))
    if MULTIPLE in types:
        made += [maker.multiple_of_formula(e) for e in formulas if e.unit in units]
        made += [maker.multiple_of_enumeration(u, s) for u in units for s in u.sentences]
    candidates = [q for q in made if q is not None]
    rng.shuffle(candidates)
    return candidates


def leakage_pairs(questions: Sequence[Question]) -> list[tuple[int, int, str]]:
    """(i, j, span): question i gives question j away (0-based positions). Either i's stem or options show ``span``,
    which j asks for; or i's stem shows ``span``, one of j's distractors or its swapped-in term, in its real place in
    the text (“长计划”与“短安排” in one stem tells that “短安排” does not belong where another question put it)."""
    return [
        (i, j, span)
        for i, asking in enumerate(questions)
        for j, answered in enumerate(questions)
        if i != j
        for span in _given_away(asking, answered)
    ]


def _given_away(asking: Question, answered: Question) -> list[str]:
    """What ``asking`` shows that gives ``answered`` away (see ``leakage_pairs``)."""
    shown = "\n".join([asking.stem, *asking.options])
    return [a for a in answered.tested if a and a in shown] + [
        s for s in answered.substitutes if s and s in asking.stem
    ]


def quiz_problems(quiz: Quiz, corpus: Corpus) -> list[str]:
    """Everything wrong with a composed quiz, one line each: invalid questions, two questions on one sentence, a stem
    that shows another question's answer, a distractor or swapped-in term the substitution rule rejects."""
    questions = quiz.questions
    problems = [f"Q{n}: {problem}" for n, q in enumerate(questions, 1) if (problem := check_question(q, corpus))]
    sources: dict[str, int] = {}
    for number, question in enumerate(questions, 1):
        if question.source in sources:
            problems.append(f"Q{number}: the sentence of Q{sources[question.source]} again")
        sources.setdefault(question.source, number)
    problems += [f"Q{i + 1} shows {answer!r}, the answer of Q{j + 1}" for i, j, answer in leakage_pairs(questions)]
    pool = _blanks([u for d in corpus.documents_of_kind(POLICY) for u in d.units], glossary(corpus))
    known = profiles(pool)
    for number, question in enumerate(questions, 1):
        originals = [known[t] for t in question.tested if t in known]
        for substitute in question.substitutes:
            rejected = [substitution_problem(o, known[substitute]) for o in originals] if substitute in known else []
            if substitute not in known or (rejected and all(rejected)):
                problems.append(f"Q{number}: {substitute!r} for {question.tested[0]!r}: {rejected or 'not a term'}")
    return problems


def _compose(candidates: Sequence[Question], count: int, quotas: dict[str, int] | None) -> list[Question]:
    """Up to ``count`` questions, greedily: each next one from the article with the fewest so far, of the type with
    the fewest so far; never a second question on a sentence, never one whose stem shows another's answer or whose
    answer another's stem shows, and no more of a difficulty than ``quotas`` allows."""
    chosen: list[Question] = []
    per_unit: Counter[str] = Counter()
    per_kind: Counter[str] = Counter()
    per_level: Counter[str] = Counter()
    sources: set[str] = set()
    remaining = list(candidates)
    while len(chosen) < count:
        best: tuple[tuple[int, int, int], int] | None = None
        for position, question in enumerate(remaining):
            if question.source in sources or (
                quotas is not None and per_level[question.difficulty] >= quotas.get(question.difficulty, 0)
            ):
                continue
            order = (per_unit[question.unit_id], per_kind[question.kind], position)
            if best is not None and order >= best[0]:
                continue
            if any(_given_away(question, other) or _given_away(other, question) for other in chosen):
                continue
            best = (order, position)
        if best is None:
            break
        question = remaining.pop(best[1])
        chosen.append(question)
        sources.add(question.source)
        per_unit[question.unit_id] += 1
        per_kind[question.kind] += 1
        per_level[question.difficulty] += 1
    return chosen


def difficulty_quotas(spec: str, count: int) -> dict[str, int]:
    """Questions per difficulty from a mix such as ``易:3,中:5,难:2`` (weights, scaled to ``count``; easy, medium
    and hard may be written for 易, 中, 难).

    Raises:
        QuestionError: for an unknown level, a weight that is not a number, or no weight above zero.
    """
    names = {"易": "易", "easy": "易", "中": "中", "medium": "中", "难": "难", "hard": "难"}
    weights: dict[str, float] = {}
    for piece in re.split(r"[,，、\s]+", unicodedata.normalize("NFKC", spec).strip()):
        if not piece:
            continue
        level, _, weight = piece.partition(":") if ":" in piece else piece.partition("=")
        if level.strip().lower() not in names:
            raise QuestionError(f"unknown difficulty {level!r}; use 易, 中 and 难, e.g. 易:3,中:5,难:2")
        try:
            value = float(weight.rstrip("%")) if weight else 1.0
        except ValueError as exc:
            raise QuestionError(f"{piece!r}: the weight must be a number, e.g. 易:3") from exc
        if not 0 <= value <= _MAX_WEIGHT:  # also NaN and infinity
            raise QuestionError(f"{piece!r}: a weight is a number from 0 to {_MAX_WEIGHT:g}, e.g. 易:3")
        weights[names[level.strip().lower()]] = weights.get(names[level.strip().lower()], 0.0) + value
    total = sum(w for w in weights.values() if w > 0)
    if total <= 0:
        raise QuestionError("give at least one difficulty a weight above zero, e.g. 易:3,中:5,难:2")
    exact = {level: count * w / total for level, w in weights.items() if w > 0}
    quotas = {level: int(share) for level, share in exact.items()}
    for level in sorted(exact, key=lambda lv: exact[lv] - quotas[lv], reverse=True)[: count - sum(quotas.values())]:
        quotas[level] += 1
    return quotas


def make_quiz(
    corpus: Corpus,
    units: Sequence[Unit],
    count: int = 20,
    types: Sequence[str] = QUESTION_TYPES,
    seed: int = 1,
    difficulty: str | None = None,
) -> Quiz:
    """A quiz of up to ``count`` valid questions over ``units``: at most one per sentence, none showing another's
    answer, spread over the articles and the ``types``, in the ``difficulty`` mix asked for (``易:3,中:5,难:2``).

    Raises:
        QuestionError: for an unknown type or difficulty, a count below one, or a scope with no question at all.
    """
    unknown = [t for t in types if t not in QUESTION_TYPES]
    if unknown or not types:
        raise QuestionError(f"question types must be among {'、'.join(QUESTION_TYPES)}, not {unknown or 'none'}")
    if count < 1:
        raise QuestionError("ask for at least one question")
    quotas = difficulty_quotas(difficulty, count) if difficulty else None
    rng = random.Random(seed)
    candidates, dropped = [], []
    for question in _candidates(units, corpus, types, rng):
        problem = check_question(question, corpus)
        if problem:
            dropped.append(f"{question.kind} {question.stem[:30]}…: {problem}")
        else:
            candidates.append(question)
    chosen = _compose(candidates, count, quotas)
    questions = [q for kind in QUESTION_TYPES for q in chosen if q.kind == kind]
    if not questions:
        raise QuestionError(f"所选范围内出不了{'、'.join(types)}题：{_why_none(types)}请扩大范围或增加题型。")
    missing = [t for t in types if not any(q.kind == t for q in candidates)]
    return Quiz(questions, count, _shortfall(questions, count, missing, quotas), dropped)


def _why_none(types: Sequence[str]) -> str:
    if list(types) == [MULTIPLE]:
        return "多选题要有三项以上的并列内容，且其他条文中有同类的干扰项。"
    return "没有可出题的提法、数字或列举。"


def _shortfall(questions: Sequence[Question], count: int, missing: Sequence[str], quotas: dict[str, int] | None) -> str:
    """What the quiz lacks: questions, types the scope has nothing for (``missing``), questions of a level."""
    short_levels = [
        f"难度“{level}”只有{made}道（要求{wanted}道）。"
        for level, wanted in (quotas or {}).items()
        if (made := sum(q.difficulty == level for q in questions)) < wanted
    ]
    notes = []
    if len(questions) < count:
        reason = "按所选的难度配比可出的题目不足" if short_levels else "所选范围内可出题的句子不足（每句至多出一题）"
        notes.append(f"只生成了{len(questions)}道有效题目（要求{count}道）：{reason}。")
    if missing:
        notes.append(f"所选范围内出不了{'、'.join(missing)}题。")
    return "".join(notes + short_levels)
