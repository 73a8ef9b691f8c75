"""Dates: month-day(-year), day-month(-year), day ranges, ISO and numeric dates, abbreviated months.

>>> normalize("The attack began on Sept. 19, 2023.")
'The attack began on September nineteenth, 2023.'
>>> normalize("From 1 March 2023; published 2023-09-19; Dec. 25")
'From the first of March 2023; published September nineteenth, 2023; December twenty-fifth'

>>> normalize("Oct. 5-7 and 18-20 November")
'October fifth to seventh and the eighteenth to the twentieth of November'

Years are left as digits: the numbers class reads them as years.
"""

from __future__ import annotations

import re
from functools import cache

from . import words
from ._data import Lazy, rows


@cache
def _months() -> dict[str, tuple[int, str]]:
    """Every spelling of a month (``Sept``, ``Sept.``, ``September``) → (number, name)."""
    out: dict[str, tuple[int, str]] = {}
    for row in rows("months"):
        number, name = int(row[0]), row[1]
        out[name] = (number, name)
        for abbr in filter(None, (row[2] if len(row) > 2 else "").split(",")):
            out[abbr + "."] = out[abbr] = (number, name)
    return out


# text without a match for the gate holds nothing for this class
_GATE = Lazy(r"\d|\b(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.")


def _month_alt() -> str:
    keys = sorted(_months(), key=len, reverse=True)
    return "|".join(re.escape(k) + ("" if k.endswith(".") else r"\b") for k in keys)


_DAY = r"(?:[12]\d|3[01]|0?[1-9])"
_YEAR = r"(?:1\d{3}|20\d{2})(?!\d)"
_TH = r"(?:st|nd|rd|th)?"
_MONTH_DAY = Lazy(
    lambda: rf"\b({_month_alt()}) ({_DAY}){_TH}(?:(?:-| to | through )({_DAY}){_TH})?(?![\d:%]|-\d| ?per)"
    rf"(?:(,)? ({_YEAR}))?"
    rf"(-(?=(?:{_month_alt()})))?"
)
_DAY_MONTH = Lazy(
    lambda: rf"(?<![\w.,-])({_DAY}){_TH}(?:(?:-| to | through )({_DAY}){_TH})? (?:of )?({_month_alt()})"
    rf"(?: ({_YEAR}))?"
)
_ISO = Lazy(rf"(?<![\w.-])({_YEAR})-(1[0-2]|0[1-9])-({_DAY})(?![\w-])")
_NUMERIC = Lazy(rf"(?<![\w./])({_DAY})/({_DAY})/({_YEAR}|\d\d)(?![\w/])")
_ABBREVIATED = Lazy(
    lambda: r"\b(" + "|".join(re.escape(k) for k in _months() if k.endswith(".")) + r")(?= [a-z\d])"
)


def month_day(month: int, day: int, year: str | None = None) -> str:
    """``(9, 19, "2023")`` → ``September nineteenth, 2023``."""
    name = rows("months")[month - 1][1]
    return f"{name} {words.ordinal(day)}" + (f", {year}" if year else "")


def _month_day(m: re.Match[str]) -> str:
    """``Oct. 5`` → October fifth; ``Oct. 5-7, 2023`` → October fifth to seventh, 2023."""
    month, first, last, _, year, dash = m.groups()
    number, _ = _months()[month]
    to = " to " if dash else ""  # Oct. 5-Nov. 7
    if last and int(last) > int(first):
        days = month_day(number, int(first)) + f" to {words.ordinal(int(last))}"
        return days + (f", {year}" if year else "") + to
    return month_day(number, int(first), year) + to if not last else m.group(0)


def _day_month(m: re.Match[str]) -> str:
    """``1 March`` → the first of March; ``18-20 November`` → the eighteenth to the twentieth of November."""
    first, last, month, year = m.groups()
    if last is not None and int(first) >= int(last):
        return m.group(0)
    _, name = _months()[month]
    year = f" {year}" if year else ""
    the = "" if m.string.endswith(("the ", "The "), 0, m.start()) else "the "
    if last is None:
        return f"{the}{words.ordinal(int(first))} of {name}{year}"
    return f"{the}{words.ordinal(int(first))} to the {words.ordinal(int(last))} of {name}{year}"


def _iso(m: re.Match[str]) -> str:
    return month_day(int(m.group(2)), int(m.group(3)), m.group(1))


def _numeric(m: re.Match[str]) -> str:
    first, second, year = int(m.group(1)), int(m.group(2)), m.group(3)
    if len(year) == 2:
        year = ("20" if int(year) < 50 else "19") + year
    if first > 12 and second <= 12:
        return f"the {words.ordinal(first)} of {rows('months')[second - 1][1]} {year}"
    if first > 12:
        return m.group(0)
    return month_day(first, second, year)


def normalize(text: str) -> str:
    """``Jan. 5`` → January fifth; ``19/09/2023`` → the nineteenth of September 2023."""
    if not _GATE.rx.search(text):
        return text
    text = _ISO.sub(_iso, text)
    text = _NUMERIC.sub(_numeric, text)
    text = _MONTH_DAY.sub(_month_day, text)
    text = _DAY_MONTH.sub(_day_month, text)
    return _ABBREVIATED.sub(lambda m: _months()[m.group(1)][1], text)
