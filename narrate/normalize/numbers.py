"""Cardinals, decimals, negatives, ordinals, years, decades, fractions, percentages, ranges
and number-noun compounds. Runs after money, dates, times and measures have taken theirs.

>>> normalize("7,000 troops, 21st century, the early 1990s, 45%, 10-15 people.")
'seven thousand troops, twenty-first century, the early nineteen nineties, forty-five percent, \
ten to fifteen people.'
>>> normalize("A 30-year-old, 2/3 of voters, -5 overnight, 0.5 points, in 2008.")
'A thirty-year-old, two thirds of voters, minus five overnight, zero point five points, \
in two thousand eight.'
>>> normalize("won 6-4, a 3-7-1 record, the 787-9, an i7-1360P, a 401(k), 802.11ax, 1080p, 2-3x")
'won six four, a three seven one record, the seven eighty-seven nine, an i seven thirteen sixty P, \
a four oh one K, eight oh two eleven A X, ten eighty p, two to three times'

Scores and records are read without "to" (a range always rises; a pair that falls, or
stands by a score word such as "won", is a score); model numbers are read in digit groups.
"""

from __future__ import annotations

import re

from . import words
from ._data import Lazy, alternation
from ._data import words as table

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


def code(digits: str) -> str:
    """Digits of a model number or code, in the groups a narrator says them: ``"787"`` →
    seven eighty-seven, ``"1360"`` → thirteen sixty, ``"401"`` → four oh one."""
    if len(digits) <= 2:
        if digits[0] != "0" or len(digits) == 1:
            return words.number(digits)
        return "oh " + words.digits(digits[1])
    if len(digits) == 3:
        head, tail = digits[0], digits[1:]
        if tail == "00":
            return words.cardinal(int(digits))
        rest = "oh " + words.digits(tail[1]) if tail[0] == "0" else words.cardinal(int(tail))
        return f"{words.digits(head)} {rest}"
    if len(digits) == 4 and digits[0] != "0":
        return words.year(int(digits))
    if len(digits) == 5 and digits[0] != "0":
        return f"{words.number(digits[:2])} {code(digits[2:])}"
    return words.digits(digits)


_WORD = Lazy(r"[A-Za-z]+")
_SCORE_AFTER = Lazy(r"\W+(?:[a-z]+\W+)?([a-z]+)")


def _scored(m: re.Match[str]) -> bool:
    """A score word among the three before the pair or the two after: "won 6-4", "a 2-3 defeat"."""
    before = _WORD.rx.findall(m.string, max(0, m.start() - 30), m.start())[-3:]
    after = _SCORE_AFTER.rx.match(m.string, m.end())
    found = [w.lower() for w in before] + ([after.group(1)] if after else [])
    return any(w in table("score_words") for w in found)


def _score(number: str) -> str:
    return "nothing" if number == "0" else spoken(number)


def _range(m: re.Match[str]) -> str:
    first, second = m.group(1), m.group(2)
    if is_year(first) and len(second) == 2 and int(second) > int(first[2:]):
        second = first[:2] + second
    a, b = int(first.replace(",", "")), int(second.replace(",", ""))
    if len(first) >= 3 and len(second) <= 2 and b < a and "," not in first:
        return f"{code(first)} {code(second)}"  # a model and its variant: 787-9, 737-8
    if len(first) <= 2 and len(second) <= 2 and (b <= a or _scored(m)):
        return f"{_score(first)} {_score(second)}"  # a score or a tally: 6-4, 2-2, lost 1-2
    return f"{spoken(first)} to {spoken(second)}"


def _series(m: re.Match[str]) -> str:
    """``3-7-1`` (a win-loss-tie record) → three seven one."""
    return " ".join(_score(n) for n in m.group(0).split("-"))


def _model(m: re.Match[str]) -> str:
    """``A321neo`` → A three twenty-one neo; ``i7-1360P`` → i seven thirteen sixty P."""
    parts = re.split(r"(\d+)", m.group(0))
    out = [code(p) if p.isdigit() else p.strip("-") for p in parts]
    return " ".join(p for p in out if p)


def _multiple(m: re.Match[str]) -> str:
    low, high = m.group(1), m.group(2)
    return f"{spoken(low)}{f' to {spoken(high)}' if high else ''} times"


def _resolution(m: re.Match[str]) -> str:
    return f"{code(m.group(1))} {m.group(2)}"


def _version(m: re.Match[str]) -> str:
    """``802.11ax`` → eight oh two eleven A X."""
    return f"{code(m.group(1))} {words.number(m.group(2))} {' '.join(m.group(3).upper())}"


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


_GLUED = Lazy(r"(?<=[^\W\d_])-?(?=\d)|(?<=\d)(?=[^\W\d_])", name="letters and digits apart")
# A model code: a short letter prefix glued to digits, with a suffix or a hyphenated
# variant, read in digit groups when a group has three or more digits or a variant follows.
_MODEL = Lazy(
    r"(?<![\w.,'-])(?:[A-Z]{1,4}-?|[a-z]|[A-Z][a-z]-)(?=\d)"
    r"(?=[\w-]*\d{3}|\d+[A-Za-z]*-\d)\d+[A-Za-z]*(?:-\d+[A-Za-z]*)*(?![\w-])(?<![^\d]s)",
    name="model code",
)
# Codes, standards, resolutions, multiples and series are rare: one search finds whether any is there.
# Every branch starts at a digit, so the search is a quick scan for digits (4x faster than
# an alternation of the rules' own starts).
_TECH_GATE = Lazy(r"\d(?:(?<=[A-Za-z]\d)|(?<=[A-Za-z]-\d)|(?<=/\d)|[(A-Zpix×/]|\.\d\d?[a-z]| [x×]|-\d\d?-\d)")
# An identifier with slashes, letters and digits: S/RES/2334, A/HRC/55 (not a fraction or a date).
_IDENTIFIER = Lazy(
    r"(?<![\w/.@-])(?=[\w/]*[A-Za-z])(?=[\w/]*\d)([A-Za-z]+|\d+)(?:/(?:[A-Za-z]+|\d+))+(?![\w/]|\.\w)",
    name="identifier",
)
_MAKER = Lazy(
    lambda: rf"\b({alternation(table('model_makers'))}) (\d{{3,4}})(s?)\b(?![.,]\d)", name="maker's model"
)
_TECH_RULES = (
    # 401(k), 230(c) → four oh one K
    (
        Lazy(r"(?<![\w.,])(\d{2,4})\(([a-z])\)", name="code in brackets"),
        lambda m: f"{code(m.group(1))} {m.group(2).upper()}",
    ),
    # 802.11ax → eight oh two eleven A X
    (Lazy(r"(?<![\w.,])(\d{3})\.(\d{1,2})([a-z]{1,2})\b", name="standard"), _version),
    # S/RES/2334 → S slash RES slash twenty-three thirty-four
    (_IDENTIFIER, lambda m: " slash ".join(code(p) if p.isdigit() else p for p in m.group(0).split("/"))),
    # 1080p, 720p, 1080i → ten eighty p
    (Lazy(r"(?<![\w.,])(240|360|480|576|720|1080|1440|2160|4320)([pi])\b", name="resolution"), _resolution),
    # A321neo, i7-1360P, F-150, RTX4090 → digit groups
    (_MODEL, _model),
    # 155H, 5800X3D: digits with a capital suffix are a part number
    (
        Lazy(r"(?<![\w.,-])(\d{3,5})([A-Z]{1,2}\d?)\b", name="part number"),
        lambda m: f"{code(m.group(1))} {m.group(2)}",
    ),
    # Boeing 737, Porsche 911 → seven thirty-seven, nine eleven
    (_MAKER, lambda m: f"{m.group(1)} {words.plural(code(m.group(2))) if m.group(3) else code(m.group(2))}"),
    # 2-3x, 10x → two to three times; 1920x1080 → by
    (
        Lazy(rf"(?<![\w.,])((?:{NUM})(?:\.\d+)?)(?:-((?:{NUM})(?:\.\d+)?))?[x×](?![\w])", name="multiple"),
        _multiple,
    ),
    (Lazy(r"(?<![\w.,])(\d+) ?[x×] ?(?=\d)", name="dimensions"), r"\1 by "),
    # 3-7-1 → a record or a series, never a range
    (Lazy(r"(?<![\w.,-])\d{1,2}(?:-\d{1,2}){2,}(?![\w-]|[.,]\d)", name="series"), _series),
)
_RULES = (
    # 1990s, '90s, 90's → nineteen nineties, nineties
    (Lazy(r"(?:(?<![\w'])'|(?<![\w.,']))(\d{1,2})?(\d0)'?s\b", name="decade"), _decade),
    # 21st, 3rd, 100th
    (Lazy(_B + rf"({NUM})(?:st|nd|rd|th)\b", name="ordinal"), _ordinal),
    # COVID-19, G7, 5G → split from the letters
    (_GLUED, " "),
    # 2 1/2, 1/3, 2023/24
    (Lazy(_B + r"(?:(\d+) (?:and )?)?(\d+)/(\d+)" + _E, name="fraction"), _fraction),
    # 52%-48% → 52% to 48%
    (Lazy(r"(?<=\d%) ?- ?(?=\d)", name="percent range"), " to "),
    # 2020-2023, 10-15, 1992-94
    (Lazy(_B + rf"({NUM})(?:\.\d+)? ?- ?({NUM})" + _E, name="range"), _range),
    # 45%, -3.2 percent
    (
        Lazy(
            r"(?:(?<![\w.,%-])(-))?" + _B + rf"((?:{NUM})(?:\.\d+)?) ?(?:%|per ?cent\b|pc\b)", name="percent"
        ),
        _percent,
    ),
    # -5, 0.5, .5, 7,000, 2008
    (Lazy(r"(?:(?<![\w.,-])(-))?" + _B + rf"((?:{NUM})?(?:\.\d+)?)(?<=\d)", name="cardinal"), _cardinal),
    # whatever digits are left, e.g. inside "1,2,3"
    (Lazy(r"\d+", name="digits"), lambda m: words.number(m.group(0))),
)


def normalize(text: str) -> str:
    """Every class in order, most specific first."""
    if not _GATE.rx.search(text):
        return text
    if _TECH_GATE.rx.search(text) or any(maker in text for maker in table("model_makers")):
        for pattern, fn in _TECH_RULES:
            text = pattern.sub(fn, text)
    for pattern, fn in _RULES:
        text = pattern.sub(fn, text)
    return text
