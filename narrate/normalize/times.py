"""Clock times: ``10:30 a.m.`` → ten thirty A M; ``9:05 p.m.`` → nine oh five P M.

>>> normalize("The briefing starts at 10:30 a.m.")
'The briefing starts at ten thirty A M.'
>>> normalize("Polls close by 3 p.m. local time; trains leave at 14:00 and 9:00.")
"Polls close by three P M local time; trains leave at fourteen hundred and nine o'clock."
>>> normalize("At 9.30 a.m. and 0600 GMT; a 16:9 screen.")
'At nine thirty A M and oh six hundred GMT; a 16 to 9 screen.'
"""

from __future__ import annotations

import re

from . import words
from ._data import Lazy
from ._sentence import stop

_MERIDIEM = r"(?:([AaPp])\.? ?[Mm]\.?(?![\w]))"
_CLOCK = Lazy(rf"(?<![\w.:,])([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?(?![\d:])(?: ?{_MERIDIEM})?")
_HOUR = Lazy(rf"(?<![\w.:,])(1[0-2]|0?[1-9]) ?{_MERIDIEM}")
# British copy writes "9.30 a.m.": a dot between hour and minutes, with a.m./p.m. after.
_DOTTED = Lazy(rf"(?<![\w.:,])(1[0-2]|0?[1-9])\.([0-5]\d) ?{_MERIDIEM}")
# Military and wire style: "0600 GMT", "1430 hrs" — four digits before a time zone.
_MILITARY = Lazy(
    r"(?<![\w.:,])([01]\d|2[0-3])([0-5]\d) ?(?=(?:GMT|UTC|BST|CET|CEST|EST|EDT|CST|CDT|MST|MDT|PST|PDT|"
    r"IST|JST|AEST|AEDT|ET|PT|Zulu|Z|hrs|hours|local time)\b)(?:hrs\b)?"
)
_FOUR_DIGITS = Lazy(r"\d\d\d\d ?[A-Zhl]|\b0\d\d\d\b")
# "0600" on its own: a number never starts with 0, so four digits from 0000 to 0959 are a time.
_MILITARY_BARE = Lazy(r"(?<![\w.:,$£€/-])(0\d)([0-5]\d)\b(?![.,:/-]\w|%| \d)")
# A ratio: "16:9", "50:50", "3:2" — not a clock time (one-digit minutes, or hours past 24).
_RATIO = Lazy(r"(?<![\w.:,])(\d{1,3}):(\d{1,3})(?![\d:])")
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


def _ratio(m: re.Match[str]) -> str:
    hours, minutes = m.group(1), m.group(2)
    if len(minutes) == 2 and int(hours) <= 23 and int(minutes) <= 59:
        return m.group(0)  # a clock time
    return f"{hours} to {minutes}"


def _dotted(m: re.Match[str]) -> str:
    minute = int(m.group(2))
    text = words.cardinal(int(m.group(1))) + (f" {_minutes(minute)}" if minute else "")
    return text + _suffix(m, m.group(3))


def _military(m: re.Match[str]) -> str:
    """``0600`` → oh six hundred; ``1430`` → fourteen thirty."""
    hour, minute = m.group(1), int(m.group(2))
    text = ("oh " if hour.startswith("0") else "") + words.cardinal(int(hour))
    hours = " hours" if m.group(0).endswith("hrs") else " "
    return text + (f" {_minutes(minute)}" if minute else " hundred") + hours


def normalize(text: str) -> str:
    """Times with a colon, and bare hours followed by a.m./p.m."""
    if not _GATE.rx.search(text):
        return text
    if ":" in text:
        text = _RATIO.sub(_ratio, text)
        text = _CLOCK.sub(_clock, text)
    if "." in text:
        text = _DOTTED.sub(_dotted, text)
    if _FOUR_DIGITS.rx.search(text):
        text = _MILITARY.sub(_military, text)
        text = _MILITARY_BARE.sub(lambda m: _military(m).rstrip(), text)
    return _HOUR.sub(_hour, text)
