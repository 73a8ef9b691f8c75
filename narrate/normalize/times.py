"""Clock times: ``10:30 a.m.`` → ten thirty A M; ``9:05 p.m.`` → nine oh five P M.

>>> normalize("The briefing starts at 10:30 a.m.")
'The briefing starts at ten thirty A M.'
>>> normalize("Polls close by 3 p.m. local time; trains leave at 14:00 and 9:00.")
"Polls close by three P M local time; trains leave at fourteen hundred and nine o'clock."
"""

from __future__ import annotations

import re

from . import words
from ._data import Lazy
from ._sentence import stop

_MERIDIEM = r"(?:([AaPp])\.? ?[Mm]\.?(?![\w]))"
_CLOCK = Lazy(rf"(?<![\w.:,])([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?(?![\d:])(?: ?{_MERIDIEM})?")
_HOUR = Lazy(rf"(?<![\w.:,])(1[0-2]|0?[1-9]) ?{_MERIDIEM}")
# text without a match for the gate holds nothing for this class
_GATE = Lazy(r"\d")


def _minutes(value: int) -> str:
    return f"oh {words.cardinal(value)}" if value < 10 else words.cardinal(value)


def _suffix(m: re.Match[str], letter: str | None) -> str:
    if not letter:
        return ""
    dot = stop(m.string, m.end()) if m.group(0).endswith(".") else ""
    return f" {letter.upper()} M{dot}"


def _clock(m: re.Match[str]) -> str:
    hour, minute, seconds, letter = int(m.group(1)), int(m.group(2)), m.group(3), m.group(4)
    text = words.cardinal(hour)
    if minute:
        text += " " + _minutes(minute)
    elif not letter:
        text += " hundred" if hour > 12 or m.group(1).startswith("0") else " o'clock"
    if seconds:
        text += " and " + words.cardinal(int(seconds)) + " seconds"
    return text + _suffix(m, letter)


def _hour(m: re.Match[str]) -> str:
    return words.cardinal(int(m.group(1))) + _suffix(m, m.group(2))


def normalize(text: str) -> str:
    """Times with a colon, and bare hours followed by a.m./p.m."""
    if not _GATE.rx.search(text):
        return text
    text = _CLOCK.sub(_clock, text)
    return _HOUR.sub(_hour, text)
