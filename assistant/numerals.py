"""Chinese numerals <-> integers, for references such as 第十三条 and 第四部分."""

from __future__ import annotations

__all__ = ["CN_COUNTS", "CN_DIGITS", "cn_to_int", "int_to_cn", "parse_numeral"]

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
