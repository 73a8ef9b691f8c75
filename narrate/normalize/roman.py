"""Roman numerals in context: regnal names and numbered things, never the pronoun "I".

>>> normalize("King Charles III met Pope Benedict XVI after World War II; read Chapter IV.")
'King Charles the Third met Pope Benedict the Sixteenth after World War Two; read Chapter Four.'
>>> normalize("I said MIX it, Elizabeth I and Henry VIII.")
'I said MIX it, Elizabeth the First and Henry the Eighth.'
"""

from __future__ import annotations

import re

from . import words
from ._data import Lazy, alternation
from ._data import words as table

_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
_NUMERAL = r"M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})"
_SMALL = r"(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})"  # up to 89, enough for kings and popes

# a one-letter numeral after a regnal name only where the pronoun "I" could not stand
_LONE = r"[.,;:!?)]|$| (?:of|and|in|at|to)\b(?! (?:I|you|he|she|we|they)\b)|'s\b"
_CARDINAL = Lazy(
    lambda: (
        rf"\b({alternation(table('roman_cardinal_context'))}) ((?=[IVXLCDM]){_NUMERAL})\b(?!-\w|'(?!s\b)\w)"
    )
)
_REGNAL = Lazy(
    lambda: (
        rf"\b(?:({alternation(table('regnal_names'))}) ((?=[IVXL]{{2}}){_SMALL}|[IVX](?={_LONE}))"
        rf"|([A-Z][a-z]+) ((?=[IVXL]{{2}}){_SMALL}))\b(?!-\w|'(?!s\b)\w)"
    )
)
# text without a match for the gate holds nothing for this class
_GATE = Lazy(r"[IVXLCDM]{2}|\b[IVX]\b")


def value(numeral: str) -> int:
    """``"XVI"`` → 16; ``""`` → 0."""
    values = [_VALUES[ch] for ch in numeral]
    if not values:
        return 0
    return sum(-v if v < nxt else v for v, nxt in zip(values, [*values[1:], 0], strict=True))


def _cardinal(m: re.Match[str]) -> str:
    n = value(m.group(2))
    return f"{m.group(1)} {words.cardinal(n).title()}" if n else m.group(0)


def _regnal(m: re.Match[str]) -> str:
    name, numeral = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
    n = value(numeral)
    return f"{name} the {words.ordinal(n).title()}" if n else m.group(0)


def normalize(text: str) -> str:
    """Numbered things get cardinals; names of monarchs and popes get "the" + ordinal."""
    if not _GATE.rx.search(text):
        return text
    text = _CARDINAL.sub(_cardinal, text)
    return _REGNAL.sub(_regnal, text)
