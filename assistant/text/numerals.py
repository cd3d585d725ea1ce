"""Chinese numerals <-> integers, for references such as 第十三条 and 第四部分."""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = ["CN_COUNTS", "CN_DIGITS", "ENGLISH_ONES", "Number", "cn_to_int", "int_to_cn", "numbers_in", "parse_numeral"]

CN_DIGITS = "〇零一二两三四五六七八九十百千"
CN_COUNTS = "一二两三四五六七八九十"  # the numerals of small counts: 哪四个, 三张清单
_DIGIT = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNIT = {"十": 10, "百": 100, "千": 1000}
_MAX_DIGITS = 9  # longer digit strings are not references; int() also refuses very long ones
_CANONICAL = str.maketrans({"两": "二", "〇": "零"})


def parse_numeral(text: str) -> int | None:
    """The number a numeral writes (``十三`` → 13, ``一百零五`` → 105, ``二〇二四`` → 2024, ``13`` → 13), or None
    when ``text`` is not a well-formed numeral below 10000 (``1十``, ``十1``, ``十十``, ``百五百``)."""
    text = text.strip()
    if not text or len(text) > _MAX_DIGITS:
        return None
    if text.isdecimal():
        return int(text)
    if any(ch not in _DIGIT and ch not in _UNIT for ch in text):
        return None
    if all(ch in _DIGIT for ch in text):
        return int("".join(str(_DIGIT[ch]) for ch in text))
    total, digit = 0, None
    for ch in text:
        if ch in _DIGIT:
            digit = _DIGIT[ch]
        else:
            total += (1 if digit is None else digit) * _UNIT[ch]
            digit = None
    total += digit or 0
    written = text.translate(_CANONICAL)
    if not 0 < total < 10000 or written not in (int_to_cn(total), "一" + int_to_cn(total)):
        return None
    return total


def cn_to_int(text: str) -> int:
    """Parse a Chinese or Arabic numeral below 10000 (``十三`` → 13, ``一百零五`` → 105, ``13`` → 13).

    Raises:
        ValueError: if ``text`` is not a well-formed numeral.
    """
    number = parse_numeral(text)
    if number is None:
        raise ValueError(f"not a numeral: {text!r}")
    return number


def int_to_cn(number: int) -> str:
    """Write a positive integer below 10000 in Chinese numerals (13 → ``十三``, 105 → ``一百零五``)."""
    if not 0 < number < 10000:
        raise ValueError(f"out of range: {number}")
    digits = "零一二三四五六七八九"
    parts: list[str] = []
    pending_zero = False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = number // value % 10
        if digit == 0:
            pending_zero = bool(parts)
            continue
        if pending_zero:
            parts.append("零")
            pending_zero = False
        parts.append(digits[digit] + unit)
    text = "".join(parts)
    return text[1:] if text.startswith("一十") else text


# ---------------------------------------------------------------- numbers in running text, in any script

_FINANCIAL = str.maketrans("壹贰貳叁參肆伍陆陸柒捌玖拾佰仟萬億", "一二二三三四五六六七八九十百千万亿")
_CN_VALUE = {**_DIGIT, "十": 10, "百": 100, "千": 1000}
_CN_RUN = re.compile(r"[零〇一二两三四五六七八九十百千万亿壹贰貳叁參肆伍陆陸柒捌玖拾佰仟萬億]+")
# what may follow a count (三个, 两级, 五倍, 十年); a lone numeral before anything else is a word (统一, 十分)
_CLASSIFIERS = set("个次年岁元天项批名倍条级人月周种类件位家所届期轮档等层批张份名点步段章部")
_ARABIC = re.compile(r"(?<![\d.])\d+(?:[.,]\d+)*(?:\s*[万亿])?")
_ROMAN_CHARS = {chr(0x2160 + i): i + 1 for i in range(12)} | {chr(0x2170 + i): i + 1 for i in range(12)}
_ROMAN_CHARS |= {"Ⅼ": 50, "Ⅽ": 100, "Ⅾ": 500, "Ⅿ": 1000, "ⅼ": 50, "ⅽ": 100, "ⅾ": 500, "ⅿ": 1000}
_ROMAN_UNICODE = re.compile(f"[{''.join(_ROMAN_CHARS)}]+")
_ROMAN_ASCII = re.compile(
    r"(?<![A-Za-z])(?=[MDCLXVI]{2,}(?![A-Za-z]))M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})(?![A-Za-z])"
)
_ROMAN_VALUE = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
ENGLISH_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()  # noqa: SIM905
_ORDINALS = "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth".split()  # noqa: SIM905
_WORD_VALUE = {w: i for i, w in enumerate(ENGLISH_ONES)} | {w: 20 + 10 * i for i, w in enumerate(_TENS)}
_WORD_VALUE |= {w: i + 1 for i, w in enumerate(_ORDINALS)} | {"dozen": 12, "double": 2, "twice": 2, "triple": 3}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 10**6, "billion": 10**9}
_WORD = "|".join(sorted([*_WORD_VALUE, *_SCALES], key=len, reverse=True))
_ENGLISH_RUN = re.compile(rf"\b(?:{_WORD})(?:(?:[\s-]+|\s+and\s+)(?:{_WORD}))*\b", re.I)
_TRIVIAL = {"一", "one", "first"}  # "one of", 统一/一线: too common to be a claim's number


def _chinese_value(run: str) -> float:
    run = run.translate(_FINANCIAL)
    if all(ch in _DIGIT for ch in run):
        return float("".join(str(_DIGIT[ch]) for ch in run))
    total, section, digit = 0, 0, 0
    for ch in run:
        if ch in _DIGIT:
            digit = _DIGIT[ch]
        elif ch in ("万", "亿"):
            total += (section + digit) * (10_000 if ch == "万" else 100_000_000)
            section = digit = 0
        else:
            section += (digit or 1) * _CN_VALUE[ch]
            digit = 0
    return float(total + section + digit)


def _arabic_value(written: str) -> float:
    scale = 10_000 if written.endswith("万") else 100_000_000 if written.endswith("亿") else 1
    digits = written.rstrip("万亿").strip().replace(",", "")
    try:
        return float(digits) * scale
    except ValueError:
        return float(digits.replace(".", "", digits.count(".") - 1)) * scale


def _roman_value(written: str) -> float:
    values = [_ROMAN_CHARS.get(ch) or _ROMAN_VALUE[ch.upper()] for ch in written]
    if len(values) == 1:
        return float(values[0])
    return float(sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values)))


def _english_value(written: str) -> float:
    total, current = 0, 0
    for word in re.split(r"[\s-]+", written.lower()):
        if word == "and":
            continue
        if word in _SCALES:
            current = max(current, 1) * _SCALES[word]
            if _SCALES[word] >= 1000:
                total, current = total + current, 0
        else:
            current += _WORD_VALUE[word]
    return float(total + current)


_OTHER_SCRIPTS = ((_ROMAN_UNICODE, _roman_value), (_ROMAN_ASCII, _roman_value), (_ENGLISH_RUN, _english_value))


class Number(NamedTuple):
    """A number in running text: as written, its value, and the character written right after it ("" at the end)."""

    written: str
    value: float
    after: str


def numbers_in(text: str, every: bool = False) -> list[Number]:
    """The numbers written in ``text``: Arabic (1,000 / 2.5 / 50万), Chinese (三十, 两, 伍佰, 五万), Roman (Ⅻ, XII)
    and English words (fifty thousand, twenty-five, twice).

    By default a lone Chinese numeral counts only before a classifier (三个, 两级), and 一, one and first are left
    out (统一, 一线, one of); ``every`` counts them all, for the text a claim is checked against.
    """
    found: list[Number] = []

    def add(match: re.Match[str], value: float) -> None:
        found.append(Number(match.group(0), value, text[match.end() : match.end() + 1].strip()))

    for match in _ARABIC.finditer(text):
        add(match, _arabic_value(match.group(0)))
    for match in _CN_RUN.finditer(text):
        run, after = match.group(0), text[match.end() : match.end() + 1]
        if not run.strip("万亿一"):
            continue  # the scale of an Arabic number (50万), or 一一
        financial = run != run.translate(_FINANCIAL)
        if every or len(run) > 1 or financial or after in _CLASSIFIERS:
            add(match, _chinese_value(run))
    for pattern, value in _OTHER_SCRIPTS:
        for match in pattern.finditer(text):
            if match.group(0):
                add(match, value(match.group(0)))
    return found if every else [n for n in found if n.written.lower() not in _TRIVIAL]
