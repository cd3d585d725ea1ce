"""The text's own vocabulary: every quoted term “…” and numbered formula (三张清单, 两个确立), with the sentence that
introduces it and, where the text enumerates them, its items.

Shared by the answerers (how many items a formula names, which formulas the text lists), the trainer's glossary and
the web app's 提法 (official wording) index; nothing here is specific to one document.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .corpus import POLICY, Corpus, Sentence, Unit, quoted_terms
from .numerals import CN_COUNTS, parse_numeral

__all__ = [
    "NUMBERED_FORMULA",
    "GlossaryEntry",
    "TermEntry",
    "formula_count",
    "glossary",
    "refers_back",
    "term_index",
]

NUMBERED_FORMULA = re.compile(rf"^([{CN_COUNTS}]+)[个张项种条大]")  # 三张清单, 三个区分开来
_UNQUOTED_FORMULA_RE = re.compile(rf"([{CN_COUNTS}]+)[个张项种]([\u4e00-\u9fff]{{2,3}}?)(?=——|：)")
# 这四个特质 / 以上四种特质: a formula that names items the sentence before lists (after its dash or colon)
_BACK_REFERENCE_RE = re.compile(rf"(?:这|上述|以上|前述)(([{CN_COUNTS}]+)[个张项种]([\u4e00-\u9fff]{{2}}))")
_LIST_SPLIT = re.compile(r"[、，]")


@dataclass(frozen=True)
class TermEntry:
    """A quoted term “…”: where it appears and the sentence that introduces it (its first use in a policy text)."""

    term: str
    units: tuple[Unit, ...]
    sentence: Sentence
    unit: Unit


@dataclass(frozen=True)
class GlossaryEntry:
    """A term or formula, the sentence that introduces it, where that stands, and its items if enumerated."""

    term: str
    sentence: Sentence
    unit: Unit
    items: tuple[str, ...] = ()
    also_in: tuple[str, ...] = ()
    quoted: bool = True


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


def refers_back(sentence: str) -> bool:
    """The sentence opens by pointing back at items the sentence before lists (这四个特质…, 以上三项…)."""
    return bool(_BACK_REFERENCE_RE.match(sentence.lstrip("“")))


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
            found = [(m.group(0), m.group(1)) for m in _UNQUOTED_FORMULA_RE.finditer(sentence.text)]
            found += [(m.group(1), m.group(2)) for m in _BACK_REFERENCE_RE.finditer(sentence.text)]
            for term, numeral in found:
                count = parse_numeral(numeral)
                items = _items_near(sentence, _previous(unit, sentence), term, count) if count else ()
                if term not in known and items:
                    entries.append(GlossaryEntry(term, sentence, unit, items, quoted=False))
                    known.add(term)
    return entries


def _previous(unit: Unit, sentence: Sentence) -> Sentence | None:
    return unit.sentences[sentence.index - 2] if sentence.index > 1 else None
