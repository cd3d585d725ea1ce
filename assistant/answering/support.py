"""Support grades: does the text answer the question fully, partly (and what does it leave open), or not at all?

This module owns both the features and the rule:
- **Relevance** (``none`` below the thresholds): the IDF-weighted share of the question's words found in the best
  unit (``coverage``), the best dense similarity (``dense_top``) and, for English, how many specific words matched.
- **Gaps** (``partial``): what the question asks for that the evidence does not hold, found by general detectors:
  an amount, a number of days, years, people … asked for (几天, 多少钱, 任期几年) with no such number in the quoted
  sentences; a place the corpus never names (深圳市); a numbered formula the text names without listing its items
  (三个区分开来); specific nouns of the question that occur nowhere in the corpus.

The thresholds are data: ``calibration.json`` beside this module, one entry per embedder configuration, written by
``python -m assistant eval --calibrate`` from the dev split.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path

from ..question.asks import INTERROGATIVE
from ..text.numerals import CN_DIGITS, cn_to_int

__all__ = [
    "CALIBRATION_FILE",
    "FULL",
    "NONE",
    "PARTIAL",
    "Grade",
    "SupportFeatures",
    "SupportRule",
    "answered_measure",
    "asked_spans",
    "calibration_key",
    "clauses",
    "fit_rule",
    "formula_gap",
    "load_rule",
    "measure_gap",
    "membership_gap",
    "place_gap",
    "premise_gap",
    "save_rule",
    "scope_gap",
    "states_measure",
    "unknown_gap",
]

FULL, PARTIAL, NONE = "full", "partial", "none"
CALIBRATION_FILE = Path(__file__).with_name("calibration.json")
DEFAULT_KEY = "default"

_NUMERAL = rf"[\d{CN_DIGITS}]+(?:\s*[至到-]\s*[\d{CN_DIGITS}]+)?"
# What a question asks to be counted or measured, the numbers in the text that would answer it, and the noun for it.
_ONCE = "一[次轮回趟遍]"  # 多久搞一轮 asks how often
_MEASURES: tuple[tuple[re.Pattern[str], re.Pattern[str], str], ...] = tuple(
    (re.compile(asked, re.I), re.compile(answered), noun)
    for asked, answered, noun in (
        (
            r"多少钱|几块钱|多少元|多少万|金额|数额|(?:什么|多少|哪些)?奖金|工资(?:是|有)?多少|补贴(?:是|有)?多少|经费|预算"
            r"|\bhow much (?:money|is|are|do|does)\b|\bamount\b|\bsalary\b|\bbonus\b|\bbudget\b|\bfunding\b",
            rf"{_NUMERAL}\s*万?元",
            "金额",
        ),
        (r"(?:几|多少)个?(?:工作)?[天日]|\bhow many days\b", rf"{_NUMERAL}\s*个?(?:工作)?[天日]", "天数"),
        (
            rf"(?:多久|多长时间).{{0,4}}{_ONCE}|频次|频率|(?:几|多少)[次轮批回期]|\bhow many times\b|\bhow often\b",
            rf"每(?:年|月|季度?|周|天|半年)|(?<![第\d{CN_DIGITS}]){_NUMERAL}\s*[次轮批回]",  # 第十三次 is an ordinal
            "频次",
        ),
        (
            r"哪[天年]|哪一[天年]|几月|几号|日期|截止|何时(?:出台|发布|实施|开始|结束)"
            r"|什么时候(?:出台|出来|出|发布|实施|开始|结束|截止|发放|发|兑现|到位|公布|评选?)"
            r"|\bwhat date\b|\bdeadline\b|\bwhen (?:was|will)\b",
            r"\d+\s*月|\d+\s*日|\d{4}\s*年|年底|年初|月底",
            "时间",
        ),
        (
            r"具体(?:程序|流程|步骤|细则|标准)|(?:程序|流程|步骤|手续)(?:是|有)?(?:什么|怎样|如何|哪些)|怎么(?:申请|办理|报名)"
            r"|\bprocedure\b|\bprocess\b|\bhow (?:do|can) i apply\b",
            r"程序|流程|步骤|手续",
            "程序",
        ),
        (
            rf"任期|期限|年限|(?:几|多少)年|(?:多长时间|多久)(?!.{{0,4}}{_ONCE})|\bhow many years\b|\bhow long\b"
            r"|\bterm of office\b",
            rf"{_NUMERAL}\s*个?(?:年|月)",
            "期限",
        ),
        (r"年龄|多大(?:年纪|岁数)|(?:几|多少)岁|\bhow old\b|\bage\b", rf"{_NUMERAL}\s*(?:周)?岁", "年龄"),
        (
            r"(?:几|多少)(?:个)?(?:人|名)|名额|人数|\bhow many (?:people|cadres|officials)\b",
            rf"{_NUMERAL}\s*[名人]",
            "人数",
        ),
        (r"比例|百分之|百分比|%|\bpercent\w*\b|\bratio\b|\bproportion\b", r"%|百分之|比例", "比例"),
        (
            r"(?:什么|哪些)(?:样的)?(?:条件|资格|门槛)|条件(?:是|有)(?:什么|哪些)|(?:什么|哪些|哪种)情况下?(?:会|才|能|要)"
            r"|\bwhat (?:conditions|qualifications)\b|\beligib\w*\b",
            r"条件|资格|情形",
            "条件",
        ),
        (r"(?:什么|哪些)(?:样的)?(?:具体)?标准|标准(?:是|有)(?:什么|哪些)|\bcriteri(?:a|on)\b", r"标准", "标准"),
        (
            r"谁(?:来)?(?:批|审批|批准|决定|认定|说了算|拍板)|由谁(?:来)?(?:审批|批准|决定|认定|拍板)"
            r"|哪(?:个|级|一级)(?:部门|单位|机构)?(?:来)?(?:审批|批准|认定)"
            r"|\bwho (?:approves|decides|signs off)\b",
            r"审批|批准|认定|决定",
            "审批主体",
        ),
        (
            r"(?:怎么|如何)(?:打分|评分|计分)|(?:打分|评分|计分)(?:规则|标准|办法)|(?:什么|哪些)[\u4e00-\u9fff]{0,2}指标|权重"
            r"|\bscor(?:e|ing)\b|\bweights?\b|\bindicators\b",
            r"打分|评分|计分|分值|指标|权重",
            "评分办法",
        ),
        (
            r"(?:什么|哪些|哪种)(?:样的)?(?:处分|处罚|惩罚)|记过|降级|撤职|开除"
            r"|\b(?:what|which) (?:\w+ )?(?:kinds?|types?|forms?) of (?:punishment|penalt\w*|sanction\w*|discipline)\b"
            r"|\b(?:what|which) (?:punishments|penalties|sanctions)\b",
            r"警告|记过|降级|撤职|开除|罚款",
            "处分种类",
        ),
        (
            r"(?<![哪第])(?:多少|几个|几项|几名|几批|几家)|\bhow many\b",
            r"\d|[两二三四五六七八九十百千]+[个项名人家批次条种类]",  # a count: 一批, 一线 are not
            "数量",
        ),
        (  # the items of something the text only names (具体是哪几个地方 → no list in the quote)
            r"具体(?:是|有|包括|包含)?(?:哪些|哪几)|(?:列|说)一下(?:都)?有哪些|\bwhich (?:ones|places) exactly\b",
            r"、|”“",
            "名单",
        ),
        (  # whether the text covers a group it does not name (村干部算不算; 管不管这个 asks if it covers the topic)
            r"算不算|属不属于|包不包括|适不适用|管不管(?![这那它])|适用(?:范围|对象)|(?:管|覆盖)的?范围"
            r"|\bdoes (?:it|this) (?:apply|cover)\b",
            r"适用于|适用范围|所称|范围包括",
            "适用范围",
        ),
        (  # where and how results are made public
            r"(?:在哪|哪里|怎么|如何|是否|会不会)(?:公布|公开|公示|发布|通报|查到|查询)|公布(?:方式|渠道)|\bpublish\w*\b",
            r"公布|公开|公示|发布|通报",
            "公布方式",
        ),
    )
)
# what a question states as fact (每周, 2次, 3至5年, 3个主题), to check against the quotes
_CLASSIFIERS = frozenset("个名项批轮")
_PERIOD = re.compile(
    r"(?:每|按)(半年|季度?|年度?|月度?|周|天|日)(?![头龄纪份限代轻初底末终])|(季度|年度|月度|半年)(?=[\u4e00-\u9fff])"
)
_COUNT_KEY = 3  # (value, measure word, noun)
_DURING = re.compile(r"当中|之中|里|中")
_PERIOD_UNITS = {"季度": "季", "年度": "年", "月度": "月", "日": "天"}
_STATED_COUNT = re.compile(
    rf"(?<![第哪几\d{CN_DIGITS}])([\d{CN_DIGITS}]+(?:\s*[至到~-]\s*[\d{CN_DIGITS}]+)?)\s*(个|次|年|天|名|项|轮|批|期)"
    r"([\u4e00-\u9fff]?)"
)
_ENGLISH_FRAME = re.compile(r"^(?:how|what|which|who|when)\s+(?:do|does|can|should)\s+(?:(?:i|we|you|they)\s+)?", re.I)
_UNKNOWN_GAP = re.compile(r"原文没有提到((?:“[^”]+”、?)+)，以下是最接近的内容。")  # what ``unknown_gap`` writes
_CLAUSE = re.compile(r"[^，,。？?！!；;\s]+")
_ITEM = re.compile(r"[^、，,。？?！!；;\s“”]+")  # a clause, or one item of an enumeration (按月调度、季度通报)
# 每年 / 一年 / 3个月 … say when, not what is measured
_TIME_WORD = re.compile(
    rf"^(?:每|{_NUMERAL}|[上下本这那{CN_DIGITS}\d]个)?(?:年|月|季度?|周|天|日|次|回)$|^(?:一般|平时|通常|现在|目前|今后|以后|将来)$"
)
_CJK_TEXT = re.compile(r"[\u4e00-\u9fff]")
_LIGHT_VERBS = frozenset(
    [
        "经过",
        "通过",
        "得到",
        "受到",
        "给予",
        "获得",
        "进行",
        "需要",
        "要求",
        "能够",
        "可以",
        "应该",
        "打算",
        "准备",
        "是从",
        "的话",
        "算是",
    ]
)
_OTHER_PLACE = re.compile(
    r"外地|外省|外市|外国|国外|境外|海外|其他(?:城市|省份?|地区|地方|国家)|兄弟城市|别的(?:城市|地方|省|国家)|中央层面"
    r"|国家层面|省级层面|省里|省委|国务院|other (?:cities|provinces|countries)|abroad|national level"
    r"|central (?:level|government)",
    re.I,
)


@dataclass(frozen=True)
class SupportFeatures:
    """What the grade is decided from, computed once per question (cheap to re-grade with other thresholds).

    Attributes:
        coverage: IDF-weighted share of the question's words found in the best unit (the named units).
        dense_top: best cosine similarity of the question to a unit or sentence (first embedder).
        matched: specific question words found in the best unit.
        english: the question is written in English only.
        unknown_share: IDF-weighted share of the question's words the corpus does not contain at all.
        unknown_nouns: specific nouns of the question the corpus does not contain.
        gap: what a detector found the evidence does not settle (a sentence), or empty.
        names_term: the question names one of the text's own terms (容错纠错, 苗圃计划) that the best unit holds.
    """

    coverage: float
    dense_top: float
    matched: int
    english: bool
    unknown_share: float = 0.0
    unknown_nouns: tuple[str, ...] = ()
    gap: str = ""
    names_term: bool = False


@dataclass(frozen=True)
class Grade:
    """A support grade and, for ``partial``, the sentence that says what the text does not settle."""

    support: str
    gap: str = ""


@dataclass(frozen=True)
class SupportRule:
    """Thresholds of the support rule (fitted on the dev split; see ``fit_rule``).

    A question is relevant when ``coverage >= min_coverage``, when it names a term of the text the best unit holds
    (English words around 容错纠错 dilute its coverage), or when ``coverage >= weak_coverage`` with
    ``dense_top >= strong_dense``; an English question also needs ``english_min_matched`` specific words in the best
    unit and no more than ``english_max_unknown`` of its words (IDF-weighted) unknown to the text (a question about
    something else shares a word or two with the text, not most of its words). A relevant question is ``partial``
    when a gap detector fires or when ``unknown_share`` exceeds ``max_unknown`` with specific nouns the corpus lacks
    while the dense similarity stays below ``partial_dense`` (a close paraphrase uses other words for what the text
    says); else ``full``.
    """

    min_coverage: float = 0.33
    weak_coverage: float = 0.10
    strong_dense: float = 0.885
    english_min_matched: int = 2
    english_max_unknown: float = 1.01
    max_unknown: float = 0.5
    partial_dense: float = 1.01
    fitted: dict = field(default_factory=dict, compare=False)

    def relevant(self, features: SupportFeatures) -> bool:
        """True when the evidence is about what the question asks."""
        if features.english and (
            features.matched < self.english_min_matched or features.unknown_share > self.english_max_unknown
        ):
            return False
        if features.coverage >= self.min_coverage or features.names_term:
            return True
        return features.coverage >= self.weak_coverage and features.dense_top >= self.strong_dense

    def grade(self, features: SupportFeatures) -> Grade:
        """``none``, ``partial`` with its gap sentence, or ``full``."""
        if not self.relevant(features):
            return Grade(NONE)
        unknown = features.unknown_nouns and features.unknown_share > self.max_unknown
        if features.gap:
            unnamed = [n for n in features.unknown_nouns if n not in features.gap]
            if unnamed and (already := _UNKNOWN_GAP.fullmatch(features.gap)):  # one sentence names them all
                return Grade(PARTIAL, unknown_gap([*re.findall(r"“([^”]+)”", already.group(1)), *unnamed]))
            named = unknown_gap(unnamed).split("，")[0] + "；" if unnamed else ""
            return Grade(PARTIAL, named + features.gap)
        if unknown and features.dense_top < self.partial_dense:
            return Grade(PARTIAL, unknown_gap(features.unknown_nouns))
        return Grade(FULL)

    def thresholds(self) -> dict[str, float]:
        """The fitted numbers, as stored in ``calibration.json``."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "fitted"}


def answered_measure(question: str) -> re.Pattern[str] | None:
    """What a sentence giving the measure the question asks for looks like (多久 → a number of years or months), or
    None when the question asks for no measure."""
    return next((answered for asked, answered, _ in _MEASURES if asked.search(question)), None)


def measure_gap(question: str, quotes: Sequence[str], subject_words: Callable[[str], list[str]] | None = None) -> str:
    """The gap sentence when the question asks for a measure (金额, 天数, 审批主体 …) that no quoted sentence gives.

    With ``subject_words`` (the specific words of a stretch of text), what is measured is the word just before the
    asked measure in its clause (公示 in 提拔要公示多少天): a quote answers only when it names that as well, and the gap
    sentence names it (原文没有规定“公示”的具体天数).
    """
    for asked, answered, noun in _MEASURES:
        match = asked.search(question)
        if not match:
            continue
        subject = _measured(question, match, subject_words) if subject_words else []
        relevant = [quote for quote in quotes if not subject or subject[-1] in quote]
        # what is done that often (调度 in 多久调度一次) is answered by the item that does it (按月调度)
        inside = _subject_words(subject_words(match.group(0))) if subject_words else []
        relevant += [item for q in quotes for item in _ITEM.findall(q) if any(w in item for w in inside)]
        if any(answered.search(quote) for quote in relevant):
            continue
        named = match.group(0)
        if named != noun and not INTERROGATIVE.search(named) and _CJK_TEXT.search(named):
            subject = [named]  # the question names what it measures (任期, 奖金, 经费)
        if subject:
            return f"原文没有规定“{subject[-1]}”的具体{noun}，以下是最接近的规定。"
        if match.group(0).isascii():
            return f"原文没有规定具体{noun}（{_english_phrase(question, match)}），以下是最接近的规定。"
        return f"原文没有规定具体{noun}，以下是最接近的规定。"
    return ""


def _measured(question: str, match: re.Match[str], subject_words: Callable[[str], list[str]]) -> list[str]:
    """The specific words before the asked measure in its clause, nearest last (or the noun the measure qualifies,
    规划 in 几年的规划), without words that say when or verbs that only carry the sentence (经过, 通过, 受到 …)."""
    clause = next((c for c in _CLAUSE.finditer(question) if c.start() <= match.start() < c.end()), None)
    before = _subject_words(subject_words(question[clause.start() : match.start()] if clause else ""))
    # 几年的规划 / 多少钱的奖金: the measure qualifies the noun after it, which is what is measured
    if clause and question.startswith("的", match.end()) and match.end() < clause.end():
        after = _subject_words(subject_words(question[match.end() + 1 : clause.end()]))
        return before + after[:1]
    return before


def _subject_words(words: Sequence[str]) -> list[str]:
    """``words`` without those that say when (一次, 每年), superlatives (最长 in 最长多久) or verbs that only carry the
    sentence."""
    return [
        w
        for w in words
        if _CJK_TEXT.search(w) and not _TIME_WORD.match(w) and w not in _LIGHT_VERBS and not w.startswith("最")
    ]


def asked_spans(text: str) -> list[tuple[int, int]]:
    """Where ``text`` asks for a detail with a question word (多少钱, 多长时间, 谁批准 …): those words are no topic."""
    return [
        match.span()
        for asked, _, _ in _MEASURES
        for match in asked.finditer(text)
        if INTERROGATIVE.search(match.group(0))
    ]


def _english_phrase(question: str, match: re.Match[str], around: int = 3) -> str:
    """The asked English phrase with the few words around it (the retirement age for division-level cadres); a
    question's own frame (how do I apply …) is left out and what it asks about kept (apply for a work visa to China)."""
    asked = match.group(0).strip()
    framed = _ENGLISH_FRAME.sub("", asked)
    if framed != asked:
        return " ".join([framed, *question[match.end() :].split()[: 2 * around]]).strip(" ?.!")
    before = question[: match.start()].split()[-around:]
    after = question[match.end() :].split()[:around]
    return " ".join([*before, asked, *after]).strip(" ?.!")


def membership_gap(member: str, in_quotes: bool, in_text: bool) -> str:
    """The gap sentence for an asked member: none when the quotes name it; else the text never mentions it, or the
    quoted provisions do not list it."""
    if in_quotes:
        return ""
    if not in_text:
        return unknown_gap([member])
    return f"所引原文没有列入“{member}”，以下是原文。"


def premise_gap(question: str, about: Sequence[str], around: Sequence[str] = (), all_quotes: Sequence[str] = ()) -> str:
    """The gap sentence when the question states a period or a number (每周, 每月至少2次, 用3至5年) that the text does
    not say about it (``about``: the quoted clauses on the question's subject) while it gives another of the same kind
    (每月, 1次, 1至2年), or gives no period at all (常态化开展“书记擂台” → 每月开展吗). When those clauses give nothing
    of that kind, the sentences ``around`` them are read (季度预警 in the clause after 动态监测预警机制).

    Without clauses on the subject, every quote (``all_quotes``) is read and a missing period is no gap.
    """
    text = "".join(about or all_quotes)
    for stated, given in ((_periods(question), _periods(text)), (_counts(question), _counts(text))):
        for key, shown in stated.items():
            same_kind = {k: g for k, g in given.items() if _comparable(k, key)}
            if not same_kind and around:
                wider = _periods("".join(around)) if key[1:] == ("period",) else _counts("".join(around))
                same_kind = {k: g for k, g in wider.items() if _comparable(k, key)}
            if any(_within(key[0], k[0]) for k in same_kind):
                continue
            if same_kind:
                return f"原文是“{'”“'.join(dict.fromkeys(same_kind.values()))}”，不是“{shown}”；以下是原文。"
            if about and key[1:] == ("period",):
                return f"原文没有“{shown}”的说法，也没有规定具体频次；以下是原文。"
    return ""


def _comparable(given: tuple, stated: tuple) -> bool:
    """Two keys of the same kind: periods, or counts with one measure word and (when both have one) one noun."""
    if len(given) != len(stated) or given[1] != stated[1]:
        return False
    return len(given) < _COUNT_KEY or given[2] == stated[2] or not given[2] or not stated[2]


def _within(stated: tuple, given: tuple) -> bool:
    """A stated value (or range) lies inside a given one: 2个 agrees with 1至2个; a period agrees only with itself."""
    if isinstance(stated[0], str):
        return stated == given
    return min(given) <= min(stated) and max(stated) <= max(given)


def _periods(text: str) -> dict[tuple, str]:
    """Every period in ``text`` (每月, 按月, 季度预警, 年度), keyed by its unit; any two periods are comparable."""
    periods = {}
    for match in _PERIOD.finditer(text):
        unit = next(g for g in match.groups() if g)
        periods[((_PERIOD_UNITS.get(unit, unit),), "period")] = match.group(0)
    return periods


def _counts(text: str) -> dict[tuple, str]:
    """Every number with its measure word in ``text``, keyed by value, measure word and, for a classifier (个, 名, 项),
    the noun's first character (3个主题 is compared with 1至2个主题, not with 五个一线); 一个 is an article (一个月),
    not a stated number."""
    counts: dict[tuple, str] = {}
    for match in _STATED_COUNT.finditer(text):
        raw, unit, noun = match.groups()
        if raw == "一" and unit == "个":  # 一个月 is "a month", not a stated count
            continue
        if raw == "一" and _DURING.match(text, match.end(2)):  # 一年当中, 一天里: during it, not how long
            continue
        try:
            value = tuple(cn_to_int(n) for n in re.split(r"\s*[至到~-]\s*", raw))
        except ValueError:
            continue
        counts[(value, unit, noun if unit in _CLASSIFIERS else "")] = match.group(1) + unit
    return counts


def scope_gap(covered: str, in_text: bool) -> str:
    """The gap sentence for whom the text is asked to apply to: it states no scope (适用范围) of its own."""
    if not in_text:
        return unknown_gap([covered])
    return f"原文没有规定适用范围，没有说明是否适用于“{covered}”；以下是最接近的规定。"


def clauses(text: str) -> list[str]:
    """The clauses of ``text``, split at commas, stops and semicolons."""
    return _CLAUSE.findall(text)


def states_measure(word: str) -> bool:
    """``word`` states a period or a number (每年, 季度, 3个), which says when or how many, not what about."""
    return bool(_PERIOD.search(word) or _STATED_COUNT.search(word))


def unknown_gap(nouns: Sequence[str]) -> str:
    """The gap sentence for specific words of the question that the text never uses."""
    return "原文没有提到" + "、".join(f"“{n}”" for n in nouns) + "，以下是最接近的内容。"


def place_gap(question: str, foreign_places: Sequence[str], mask: str = "") -> str:
    """The gap sentence for a question about another place (a place name the corpus never uses, 外省 …).

    When the text masks its own city (``mask``, e.g. ``**``), it cannot be said not to be that place: the sentence says
    the text never names it and that the city's name is masked.
    """
    other = _OTHER_PLACE.search(question)
    named = "、".join(foreign_places) or (other.group(0) if other else "")
    if not named:
        return ""
    if mask and foreign_places:
        return f"原文没有提到“{named}”（本文件隐去了市名，以“{mask}”代替）；以下是本市的相关规定。"
    return f"本文件是本市的规定，不涉及{named}的规定；以下是本市的相关规定。"


def formula_gap(term: str) -> str:
    """The gap sentence for a numbered formula the text names without listing its items."""
    return f"原文只提出“{term}”，未列出具体内容；以下是原文的提法。"


# ---------------------------------------------------------------- calibration data


def calibration_key(embedders: Sequence[str]) -> str:
    """The calibration entry of an embedder configuration: ``e5+use``, ``e5``, ``sparse`` …"""
    return "+".join(embedders) or "sparse"


def load_rule(embedders: Sequence[str], path: Path = CALIBRATION_FILE) -> tuple[SupportRule, str]:
    """The fitted rule for an embedder configuration, and which entry it came from.

    Falls back to the ``default`` entry (with its key reported) when the configuration was never calibrated, and to
    the dataclass defaults when the file is missing.
    """
    key = calibration_key(embedders)
    try:
        table = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return SupportRule(), ""
    chosen = key if key in table else DEFAULT_KEY
    entry = table.get(chosen)
    if not isinstance(entry, dict):
        return SupportRule(), ""
    known = {f.name for f in fields(SupportRule)} - {"fitted"}
    values = {name: entry["thresholds"][name] for name in known if name in entry.get("thresholds", {})}
    return SupportRule(**values, fitted=entry), chosen


def save_rule(rule: SupportRule, embedders: Sequence[str], report: dict, path: Path = CALIBRATION_FILE) -> None:
    """Store ``rule`` for an embedder configuration (and as ``default`` for ``e5+use``), atomically."""
    try:
        table = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        table = {}
    entry = {"thresholds": rule.thresholds(), **report}
    key = calibration_key(embedders)
    table[key] = entry
    if key == "e5+use" or DEFAULT_KEY not in table:
        table[DEFAULT_KEY] = entry
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".calibration-", suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump(table, out, ensure_ascii=False, indent=2, sort_keys=True)
        out.write("\n")
    os.replace(temporary, path)


# ---------------------------------------------------------------- fitting

Outcome = Callable[[SupportRule], float]

_GRID = {
    "min_coverage": [0.15, 0.2, 0.25, 0.3, 0.35, 0.4],
    "weak_coverage": [0.0, 0.1, 0.2],
    "strong_dense": [0.85, 0.86, 0.87, 0.88, 0.89, 0.9, 1.01],
    "english_min_matched": [2, 3],  # with 1, "What's the weather today?" is answered (today → 当前)
    "english_max_unknown": [0.5, 0.55, 0.6, 0.65, 1.01],
    "max_unknown": [0.2, 0.4, 0.6, 1.01],
    "partial_dense": [0.86, 0.88, 0.9, 1.01],
}


def fit_rule(score: Outcome, grid: dict[str, list[float]] | None = None) -> tuple[SupportRule, float]:
    """The rule with the best ``score`` over a grid of thresholds; ties go to the middle of the best plateau.

    ``score`` maps a candidate rule to a number to maximise (the evaluation of precomputed features on the dev items).
    """
    grid = grid or _GRID
    names = list(grid)
    scored = []
    for values in itertools.product(*(grid[n] for n in names)):
        rule = SupportRule(**dict(zip(names, values, strict=True)))
        scored.append((score(rule), values))
    best = max(s for s, _ in scored)
    plateau = [values for s, values in scored if math.isclose(s, best, abs_tol=1e-9)]
    middle = {n: sorted(v[i] for v in plateau)[len(plateau) // 2] for i, n in enumerate(names)}
    candidate = SupportRule(**middle)
    if not math.isclose(score(candidate), best, abs_tol=1e-9):
        candidate = SupportRule(**dict(zip(names, plateau[len(plateau) // 2], strict=True)))
    return candidate, best
