"""Cardinals, decimals, negatives, ordinals, years, decades, fractions, percentages, ranges
and number-noun compounds. Runs after money, dates, times and measures have taken theirs.

>>> normalize("7,000 troops, 21st century, the early 1990s, 45%, 10-15 people.")
'seven thousand troops, twenty-first century, the early nineteen nineties, forty-five percent, \
ten to fifteen people.'
>>> normalize("A 30-year-old, 2/3 of voters, -5 overnight, 0.5 points, in 2008.")
'A thirty-year-old, two thirds of voters, minus five overnight, zero point five points, \
in two thousand eight.'
"""

from __future__ import annotations

import re

from . import words
from ._data import Lazy

NUM = r"\d{1,3}(?:,\d{3})+(?![\d,]\d)|\d+"
_B = r"(?<![\w.,])"  # a number starts a token
_E = r"(?![\d])"
# text without a match for the gate holds nothing for this class
_GATE = Lazy(r"\d")


def spoken(text: str) -> str:
    """Any number as written, year-aware: ``"1,500"`` → one thousand five hundred,
    ``"1994"`` → nineteen ninety-four, ``"3.25"`` → three point two five."""
    whole, _, frac = text.partition(".")
    if frac:
        return words.decimal(whole, frac)
    if is_year(whole):
        return words.year(int(whole))
    return words.number(whole)


def is_year(text: str) -> bool:
    """Four digits, no separator, 1000–2099: read as a year."""
    return len(text) == 4 and text.isdigit() and 1000 <= int(text) <= 2099 and text[0] != "0"


def _decade(m: re.Match[str]) -> str:
    century, tens = m.group(1) or "", m.group(2)
    if not century:
        return words.plural(words.cardinal(int(tens)))
    value = int(century + tens)
    return words.plural(words.year(value) if value >= 1000 else words.cardinal(value))


def _ordinal(m: re.Match[str]) -> str:
    return words.ordinal(int(m.group(1).replace(",", "")))


def _range(m: re.Match[str]) -> str:
    first, second = m.group(1), m.group(2)
    if is_year(first) and len(second) == 2 and int(second) > int(first[2:]):
        second = first[:2] + second
    return f"{spoken(first)} to {spoken(second)}"


def _fraction(m: re.Match[str]) -> str:
    whole, num, den = m.group(1), int(m.group(2)), int(m.group(3))
    if 0 < num < den <= 100:
        text = words.fraction(num, den)
        if whole and num == 1:
            text = "a " + text.removeprefix("one ")
        return f"{spoken(whole)} and {text}" if whole else text
    head = f"{spoken(whole)} " if whole else ""
    if is_year(m.group(2)):
        return f"{head}{spoken(m.group(2))} to {spoken(m.group(3))}"
    return f"{head}{spoken(m.group(2))} over {spoken(m.group(3))}"


def _percent(m: re.Match[str]) -> str:
    return f"{_signed(m.group(1), m.group(2))} percent"


def _signed(sign: str | None, number: str) -> str:
    return ("minus " if sign else "") + spoken(number.replace(",", "") if "." in number else number)


def _cardinal(m: re.Match[str]) -> str:
    return _signed(m.group(1), m.group(2))


_GLUED = Lazy(r"(?<=[^\W\d_])-?(?=\d)|(?<=\d)(?=[^\W\d_])")
_RULES = (
    # 1990s, '90s, 90's → nineteen nineties, nineties
    (Lazy(r"(?:(?<![\w'])'|(?<![\w.,']))(\d{1,2})?(\d0)'?s\b"), _decade),
    # 21st, 3rd, 100th
    (Lazy(_B + rf"({NUM})(?:st|nd|rd|th)\b"), _ordinal),
    # COVID-19, G7, 5G → split from the letters
    (_GLUED, " "),
    # 2 1/2, 1/3, 2023/24
    (Lazy(_B + r"(?:(\d+) (?:and )?)?(\d+)/(\d+)" + _E), _fraction),
    # 52%-48% → 52% to 48%
    (Lazy(r"(?<=\d%) ?- ?(?=\d)"), " to "),
    # 2020-2023, 10-15, 1992-94
    (Lazy(_B + rf"({NUM})(?:\.\d+)? ?- ?({NUM})" + _E), _range),
    # 45%, -3.2 percent
    (Lazy(r"(?:(?<![\w.,%-])(-))?" + _B + rf"((?:{NUM})(?:\.\d+)?) ?(?:%|per ?cent\b|pc\b)"), _percent),
    # -5, 0.5, .5, 7,000, 2008
    (Lazy(r"(?:(?<![\w.,-])(-))?" + _B + rf"((?:{NUM})?(?:\.\d+)?)(?<=\d)"), _cardinal),
    # whatever digits are left, e.g. inside "1,2,3"
    (Lazy(r"\d+"), lambda m: words.number(m.group(0))),
)


def normalize(text: str) -> str:
    """Every class in order, most specific first."""
    if not _GATE.rx.search(text):
        return text
    for pattern, fn in _RULES:
        text = pattern.sub(fn, text)
    return text
