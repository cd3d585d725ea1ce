"""Chinese numerals <-> integers, for references such as 第十三条 and 第四部分."""

from __future__ import annotations

__all__ = ["CN_COUNTS", "CN_DIGITS", "cn_to_int", "int_to_cn"]

CN_DIGITS = "〇零一二两三四五六七八九十百千"
CN_COUNTS = "一二两三四五六七八九十"  # the numerals of small counts: 哪四个, 三张清单
_DIGIT = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNIT = {"十": 10, "百": 100, "千": 1000}


def cn_to_int(text: str) -> int:
    """Parse a Chinese or Arabic numeral below 10000 (``十三`` → 13, ``一百零五`` → 105, ``13`` → 13).

    Raises:
        ValueError: if ``text`` is not a numeral.
    """
    text = text.strip()
    if text.isdigit():
        return int(text)
    if not text or any(ch not in _DIGIT and ch not in _UNIT for ch in text):
        raise ValueError(f"not a numeral: {text!r}")
    if all(ch in _DIGIT for ch in text) and len(text) > 1:
        return int("".join(str(_DIGIT[ch]) for ch in text))
    total, digit = 0, None
    for ch in text:
        if ch in _DIGIT:
            digit = _DIGIT[ch]
        else:
            total += (1 if digit is None else digit) * _UNIT[ch]
            digit = None
    return total + (digit or 0)


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
