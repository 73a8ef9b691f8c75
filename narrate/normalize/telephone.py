"""Telephone numbers, read digit by digit in their groups.

>>> normalize("Call 555-123-4567 now.")
'Call five five five, one two three, four five six seven now.'
>>> normalize("Ring +44 20 7946 0958.")
'Ring plus four four, two zero, seven nine four six, zero nine five eight.'
>>> normalize("Or (212) 555-0100.")
'Or two one two, five five five, zero one zero zero.'
"""

from __future__ import annotations

import re

from . import words
from ._data import Lazy

_NORTH_AMERICAN = Lazy(
    r"(?<![\w.,+-])(?:(\+?1)[ .-])?(\(\d{3}\) ?|\d{3}[ .-])(\d{3})[ .-](\d{4})(?![\w-]|[.,]\d)"
)
_INTERNATIONAL = Lazy(r"(?<![\w.,+-])\+(\d{1,3})((?:[ .-]\(?\d{1,5}\)?){2,5})(?![\w-]|[.,]\d)")
_EMERGENCY = Lazy(r"\b((?:[Cc]all|[Dd]ial)(?:ed|led|ing|s)?) (\d{3})\b(?![.,]\d)")
# text without a match for the gate holds nothing for this class
_GATE = Lazy(r"\d")


def _groups(groups: list[str]) -> str:
    return ", ".join(words.digits(g) for g in groups if any(c.isdigit() for c in g))


def _north_american(m: re.Match[str]) -> str:
    lead = "plus one, " if m.group(1) and m.group(1).startswith("+") else ""
    lead = lead or ("one, " if m.group(1) else "")
    return lead + _groups([m.group(2), m.group(3), m.group(4)])


def _international(m: re.Match[str]) -> str:
    return "plus " + _groups([m.group(1), *re.split(r"[ .-]", m.group(2))])


def normalize(text: str) -> str:
    """Numbers shaped like phone numbers; ``call 911`` → call nine one one."""
    if not _GATE.rx.search(text):
        return text
    text = _NORTH_AMERICAN.sub(_north_american, text)
    text = _INTERNATIONAL.sub(_international, text)
    return _EMERGENCY.sub(lambda m: f"{m.group(1)} {words.digits(m.group(2))}", text)
