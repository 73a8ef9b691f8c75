"""Titles and abbreviations, from ``data/abbreviations.tsv``, each with the context it needs.

>>> normalize("Mr. Smith met Lt. Col. Vindman and Dr. Jones in St. Petersburg.")
'Mister Smith met Lieutenant Colonel Vindman and Doctor Jones in Saint Petersburg.'
>>> normalize("They seized tanks, trucks, etc.")
'They seized tanks, trucks, et cetera.'
>>> normalize("He lives at No. 10, on Elm St. near Mt. Ararat; e.g. Russia vs. Ukraine.")
'He lives at number 10, on Elm Street near Mount Ararat; for example Russia versus Ukraine.'
"""

from __future__ import annotations

import re
from functools import cache

from ._data import Lazy, alternation, rows
from ._sentence import stop
from .cleanup import PLACEHOLDER

# context → a test of the text around the abbreviation (start, end of the match)
_CONTEXTS = {
    "always": lambda text, start, end: True,
    "name": lambda text, start, end: _NAME_NEXT.rx.match(text, end) is not None,
    "number": lambda text, start, end: _NUMBER_NEXT.rx.match(text, end) is not None,
    "after": lambda text, start, end: (
        _CAPITALISED_BEFORE.rx.search(text, max(0, start - 40), start) is not None
    ),
    "address": lambda text, start, end: (
        _ADDRESS_BEFORE.rx.search(text, max(0, start - 40), start) is not None
    ),
}
_NAME_NEXT: Lazy = Lazy(rf" (?:[A-Z][a-z.]|[{PLACEHOLDER}])")  # "Gen. Smith", not "Gen. Z"
_NUMBER_NEXT: Lazy = Lazy(r" ?\d")
_CAPITALISED_BEFORE: Lazy = Lazy(r"\b[A-Z][\w'&-]*,? $")
_ADDRESS_BEFORE: Lazy = Lazy(r"(?<![\w.,])\d+[A-Za-z]? (?:[A-Z][\w'-]* ){1,3}$")  # "42 High St. London"


@cache
def _table() -> dict[str, list[tuple[str, str]]]:
    """Written → [(context, spoken)] in table order: the first context that fits wins."""
    out: dict[str, list[tuple[str, str]]] = {}
    for written, spoken, context in rows("abbreviations"):
        out.setdefault(written, []).append((context, spoken))
    return out


# One flat alternation of literals: the regex engine can then skip ahead by first letter.
_ABBREVIATION = Lazy(lambda: rf"(?:{alternation(_table())})(?![\w]|\.\w)")


def _expand(m: re.Match[str]) -> str:
    text, start, end, written = m.string, m.start(), m.end(), m.group(0)
    if start and (text[start - 1].isalpha() or text[start - 1] in "._"):
        return written  # inside a longer word
    for context, spoken in _table()[written]:
        if _CONTEXTS[context](text, start, end):
            dot = stop(text, end) if written.endswith(".") and context != "name" else ""
            return spoken + dot
    return written


def normalize(text: str) -> str:
    """Expand every abbreviation whose context fits; leave the rest as written."""
    return _ABBREVIATION.sub(_expand, text)
