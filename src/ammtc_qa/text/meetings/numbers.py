"""Meeting numbers as reports write them: digits, ordinals ("19th", "Nineteenth", "twenty-first")
and upper-case Roman numerals ("XIX"), bounded so that years and counts are not read as numbers."""

from __future__ import annotations

import re

MAX_MEETING_NUMBER = 999
"""Meetings are numbered from 1; anything above this is a year or noise ("the AMMTC chair for 2031")."""

_UNITS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth"]
_TEENS = ["tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth",
          "seventeenth", "eighteenth", "nineteenth"]  # fmt: skip
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_TENS_ORD = ["twentieth", "thirtieth", "fortieth", "fiftieth", "sixtieth", "seventieth", "eightieth",
             "ninetieth"]  # fmt: skip


def _spelled_ordinals() -> dict[str, int]:
    table: dict[str, int] = {}
    for i, word in enumerate(_UNITS, start=1):
        table[word] = i
    for i, word in enumerate(_TEENS, start=10):
        table[word] = i
    for i, (tens, tens_ord) in enumerate(zip(_TENS, _TENS_ORD, strict=True), start=2):
        table[tens_ord] = i * 10
        for j, unit in enumerate(_UNITS, start=1):
            table[f"{tens}-{unit}"] = i * 10 + j
    return table


_SPELLED: dict[str, int] = _spelled_ordinals()
SPELLED_RE = (
    r"(?:(?:"
    + "|".join(_TENS)
    + r")[\s-]?(?:"
    + "|".join(_UNITS)
    + r")|"
    + "|".join(sorted((w for w in _SPELLED if "-" not in w), key=len, reverse=True))
    + ")"
)
# Upper-case only (scoped flag), so "AMMTC in" or "AMMTC Venue" never reads as a numeral; a
# lone "I" is refused ("... at AMMTC I said").
ROMAN_RE = r"(?-i:(?=[MDCLXV]|I[IVX])M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3}))"
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
# Digits not continued by more digits ("2031", "1.5", "1,000" are not meeting numbers).
DIGITS_RE = r"\d+(?![\d]|[.,]\d)"
ORDINAL_SUFFIX = r"(?:st|nd|rd|th)"
SEP = r"[\s_]*[-–—_]?[\s_]*"  # AMMTC 7, AMMTC-7, AMMTC7, AMMTC–7, ammtc_7


def _roman_to_int(numeral: str) -> int:
    total = 0
    for i, char in enumerate(numeral):
        value = _ROMAN_VALUES[char]
        nxt = _ROMAN_VALUES[numeral[i + 1]] if i + 1 < len(numeral) else 0
        total += -value if value < nxt else value
    return total


def parse_number(text: str | None) -> int | None:
    """A plausible meeting number from digits, a spelled ordinal or a Roman numeral, else None."""
    if not text:
        return None
    text = text.strip()
    if text.isdigit():
        if len(text) > 3:  # also avoids int() on absurdly long digit strings
            return None
        value = int(text)
    elif text.isupper() and re.fullmatch(r"[IVXLCDM]+", text):
        value = _roman_to_int(text)
    else:
        word = text.lower()
        for tens in _TENS:  # "twentyfirst" -> "twenty-first"
            if word.startswith(tens) and word[len(tens) : len(tens) + 1].isalpha():
                word = f"{tens}-{word[len(tens) :]}"
        value = _SPELLED.get(re.sub(r"[\s-]+", "-", word), 0)
    return value if 1 <= value <= MAX_MEETING_NUMBER else None


