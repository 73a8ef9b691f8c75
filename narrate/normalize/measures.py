"""Measures: a number followed by a unit from ``data/units.tsv``.

>>> normalize("Winds of 120 mph over 4,400 sq km; 30°C; 1.5kg.")
'Winds of 120 miles per hour over 4,400 square kilometers; 30 degrees Celsius; 1.5 kilograms.'
>>> normalize("a 5-km stretch, 1 ft, 40 million kg, a 65W charger, 148 hp")
'a 5-kilometer stretch, 1 foot, 40 million kilograms, a 65-watt charger, 148 horsepower'

Only the unit is read here; the number is left to the numbers class. An amount used as an
adjective takes the singular, as a narrator says it: "a 3.5mm jack" → a 3.5-millimeter
jack (a determiner before the amount, a word that can be a noun after it).
"""

from __future__ import annotations

import re
from functools import cache

from ._data import Lazy, alternation, rows, words
from ._sentence import stop
from .numbers import NUM

_SCALE = r"(?: (?:thousand|million|billion|trillion))?"


@cache
def _units() -> dict[str, tuple[str, str, bool]]:
    """Written unit → (singular, plural, only when glued to the number); ``cu ft`` is
    also written ``cu-ft`` ("a 25-cu-ft fridge"). The first row for a unit wins."""
    out: dict[str, tuple[str, str, bool]] = {}
    for r in rows("units"):
        out.setdefault(r[0], (r[1], r[2], len(r) > 3 and r[3] == "glued"))
    return {**{k.replace(" ", "-"): v for k, v in out.items() if " " in k}, **out}


@cache
def _glued() -> dict[str, tuple[str, str]]:
    """Units that mean something else against the number: "3nm" is a chip's nanometers,
    "12 nm" a sea distance in nautical miles."""
    return {r[0]: (r[1], r[2]) for r in rows("units") if len(r) > 3 and r[3] == "glued"}


# "m" glued to a number is million in news copy ("5m people"), so it needs a space to be metres.
_UNIT = Lazy(
    lambda: (
        rf"(?<![\w.,])(-?(?:{NUM})(?:\.\d+)?)({_SCALE})( ?-?|(?<=\d)(?=°))"
        rf"({alternation([*_units(), *_GLUED_ONLY])})(?![\w°/]|\.\d)"
    )
)
# text without a match for the gate holds nothing for this class
_GATE = Lazy(r"\d")
_DETERMINER = Lazy(
    r"\b(?:[Aa]n?|[Tt]he|[Ii]ts|[Hh]is|[Hh]er|[Tt]heir|[Oo]ur|[Yy]our|[Mm]y|[Tt]his|[Tt]hat|[Ee]ach|"
    r"[Ee]very|[Aa]nother) (?:[a-z]+ )?$"
)
_NEXT_WORD = Lazy(r" ([a-z]+)\b(?!['-])")


# Read only when glued to the number: "5m people", "5bn barrels", "40C" (British copy).
_GLUED_ONLY: dict[str, str] = {
    "m": "million",
    "bn": "billion",
    "tn": "trillion",
    "C": "degrees Celsius",
    "F": "degrees Fahrenheit",
    "K": "kelvin",  # colour temperature (6500K) only: "4K" is a resolution, "100K" a count
}


def _adjective(m: re.Match[str]) -> bool:
    """``a 65W charger``: a determiner before the amount and a noun after it."""
    if not _DETERMINER.rx.search(m.string, max(0, m.start() - 24), m.start()):
        return False
    after = _NEXT_WORD.rx.match(m.string, m.end())
    noun = after.group(1) if after else ""
    return bool(noun) and noun not in words("not_nouns") and not noun.endswith("ly")


def _colour_temperature(m: re.Match[str]) -> bool:
    """6500K is a colour temperature; 4K a resolution, 100K a count, i9-14900K a model."""
    number, before = m.group(1), m.string[max(0, m.start() - 1) : m.start()]
    return number.isdigit() and 1000 <= int(number) <= 12000 and before != "-"


def _unit(m: re.Match[str]) -> str:
    number, scale, gap, unit = m.groups()
    if gap == "" and unit in _GLUED_ONLY and not scale:
        if unit == "K" and not _colour_temperature(m):
            return m.group(0)
        return f"{number} {_GLUED_ONLY[unit]}"
    found = _units().get(unit)
    if found is None or (found[2] and (gap or scale)):
        return m.group(0)  # "5 C": a glued-only unit with a space is not a unit
    one, many, _ = found
    if gap == "" and unit in _glued():
        one, many = _glued()[unit]
    dot = stop(m.string, m.end()) if unit.endswith(".") else ""  # "4.5 cu. ft." ends a sentence
    if "-" in gap or _adjective(m):
        return f"{number}{scale}-{one.replace(' ', '-')}{dot}"
    return f"{number}{scale} {one if number in ('1', '-1') and not scale else many}{dot}"


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
