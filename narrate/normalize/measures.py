"""Measures: a number followed by a unit from ``data/units.tsv``.

>>> normalize("Winds of 120 mph over 4,400 sq km; 30°C; 1.5kg.")
'Winds of 120 miles per hour over 4,400 square kilometers; 30 degrees Celsius; 1.5 kilograms.'
>>> normalize("a 5-km stretch, 1 ft")
'a 5-kilometer stretch, 1 foot'

Only the unit is read here; the number is left to the numbers class.
"""

from __future__ import annotations

import re

from ._data import Lazy, alternation, rows
from .numbers import NUM

# "m" glued to a number is million in news copy ("5m people"), so it needs a space to be metres.
_UNIT = Lazy(
    lambda: (
        rf"(?<![\w.,])(-?(?:{NUM})(?:\.\d+)?)( ?-?|(?<=\d)(?=°))"
        rf"({alternation([*(r[0] for r in rows('units')), *_GLUED_ONLY])})(?![\w°/]|\.\d)"
    )
)
# text without a match for the gate holds nothing for this class
_GATE = Lazy(r"\d")


# Read only when glued to the number: "5m people", "5bn barrels", "40C" (British copy).
_GLUED_ONLY: dict[str, str] = {
    "m": "million",
    "bn": "billion",
    "tn": "trillion",
    "C": "degrees Celsius",
    "F": "degrees Fahrenheit",
}


def _unit(m: re.Match[str]) -> str:
    number, gap, unit = m.groups()
    if gap == "" and unit in _GLUED_ONLY:
        return f"{number} {_GLUED_ONLY[unit]}"
    found = [r[1:3] for r in rows("units") if r[0] == unit]
    if not found:
        return m.group(0)  # "5 C": a glued-only unit with a space is not a unit
    one, many = found[0]
    if "-" in gap:
        return f"{number}-{one.replace(' ', '-')}"
    return f"{number} {one if number in ('1', '-1') else many}"


_FEET_INCHES = Lazy(r"(?<![\w.,])(\d+) ?(?:ft|feet|foot|') ?(\d+) ?(?:in|inches|\")(?![\w\"])")


def _feet_inches(m: re.Match[str]) -> str:
    feet, inches = m.groups()
    return f"{feet} {'foot' if feet == '1' else 'feet'} {inches} {'inch' if inches == '1' else 'inches'}"


def normalize(text: str) -> str:
    """``120 mph`` → 120 miles per hour; ``a 5-km stretch`` → a 5-kilometer stretch."""
    if not _GATE.rx.search(text):
        return text
    text = _FEET_INCHES.sub(_feet_inches, text)
    return _UNIT.sub(_unit, text)
